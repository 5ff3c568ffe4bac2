import { type Router } from 'express';
import { z } from 'zod';
import { FailureError } from '../../../shared/failure.js';
import { type Failure } from '../../../shared/failure.js';
import { type Result } from '../../../shared/result.js';
import { actorOf, type RouteContributor } from '../../../platform/http/app.js';
import { httpUrl, parseInput } from '../../../platform/http/validate.js';
import { EVENT_TYPES } from '../domain/event-subscription.js';
import { type EventSubscriptions } from '../application/event-subscriptions.js';

export const subscriptionCreate = z.strictObject({
  url: httpUrl({ allowQuery: true }),
  types: z.array(z.enum(EVENT_TYPES)).min(1, 'must name at least one event type (omit it for every type)').max(EVENT_TYPES.length * 2).optional(),
  description: z.string().trim().max(500).optional(),
});

export const subscriptionIdParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

function unwrap<T>(result: Result<T, Failure>): T {
  if (!result.ok) throw new FailureError(result.error);
  return result.value;
}

/** POST/GET/DELETE /v1/event-subscriptions (API-CONTRACT.md, "Event subscriptions"). */
export class SubscriptionRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(private readonly subscriptions: EventSubscriptions) {}

  register(router: Router): void {
    router.post('/event-subscriptions', async (req, res) => {
      const actor = actorOf(res);
      // The role first: a member learns nothing from validation messages.
      unwrap(this.subscriptions.authorise(actor));
      const body = parseInput(subscriptionCreate, req.body, 'body');
      res.status(201).json(unwrap(await this.subscriptions.create(actor, body)));
    });

    router.get('/event-subscriptions', async (_req, res) => {
      res.json({ items: unwrap(await this.subscriptions.list(actorOf(res))) });
    });

    router.delete('/event-subscriptions/:id', async (req, res) => {
      const actor = actorOf(res);
      unwrap(this.subscriptions.authorise(actor));
      const { id } = parseInput(subscriptionIdParams, req.params, 'path');
      unwrap(await this.subscriptions.remove(actor, id));
      res.status(204).end();
    });
  }
}
