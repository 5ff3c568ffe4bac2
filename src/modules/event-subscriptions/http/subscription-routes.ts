import { z } from 'zod';

import { type RouteContributor } from '../../../platform/http/app.js';
import { actorOf } from '../../identity/http/actor-of.js';
import { httpUrl } from '../../../platform/http/validate.js';
import { type ApiRouter, unwrap } from '../../../platform/http/api-routes.js';
import { EVENT_TYPES } from '../domain/event-subscription.js';
import { type EventSubscriptions } from '../application/event-subscriptions.js';

export const subscriptionCreate = z.strictObject({
  url: httpUrl({ allowQuery: true }),
  types: z
    .array(z.enum(EVENT_TYPES))
    .min(1, 'must name at least one event type (omit it for every type)')
    .max(EVENT_TYPES.length * 2)
    .optional(),
  description: z.string().trim().max(500).optional(),
});

export const subscriptionIdParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

const created = z
  .object({
    id: z.uuid(),
    url: z.string(),
    types: z.array(z.string()).describe('Every type when the request named none'),
    description: z.string().nullable(),
    secret: z.string().describe('`whsec_` + base64: verify `webhook-signature` with it. Shown this once.'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'EventSubscriptionCreated' });

const subscription = z
  .object({
    id: z.uuid(),
    url: z.string(),
    types: z.array(z.string()),
    description: z.string().nullable(),
    createdAt: z.iso.datetime(),
    lastDeliveryAt: z.iso.datetime().optional(),
    lastStatus: z.number().int().optional().describe('HTTP status of the last attempt'),
    lastError: z.string().optional(),
    failing: z.boolean().describe('The last attempt failed; retries continue with backoff'),
  })
  .meta({ id: 'EventSubscription' });

/** POST/GET/DELETE /v1/event-subscriptions (API-CONTRACT.md, "Event subscriptions"). */
export class SubscriptionRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(private readonly subscriptions: EventSubscriptions) {}

  register(routes: ApiRouter): void {
    const tag = 'Event subscriptions';
    // The role first: a member learns nothing from validation messages.
    const guard = (_req: unknown, res: Parameters<typeof actorOf>[0]): void => void unwrap(this.subscriptions.authorise(actorOf(res)));

    routes.route({
      method: 'post',
      path: '/event-subscriptions',
      tag,
      summary: 'Send the organisation’s events to an HTTPS endpoint, signed (Standard Webhooks) — owners and admins',
      guard,
      body: subscriptionCreate,
      responses: { 201: { description: 'The subscription and its signing secret (shown once)', schema: created } },
      problems: ['UNAUTHORIZED'],
      handle: async ({ body }, _req, res) => {
        res.status(201).json(unwrap(await this.subscriptions.create(actorOf(res), body)));
      },
    });

    routes.route({
      method: 'get',
      path: '/event-subscriptions',
      tag,
      summary: 'The organisation’s event subscriptions and their delivery state (never the secret)',
      responses: {
        200: {
          description: 'Every subscription',
          schema: z.object({ items: z.array(subscription) }).meta({ id: 'EventSubscriptionList' }),
        },
      },
      problems: ['UNAUTHORIZED'],
      handle: async (_input, _req, res) => {
        res.json({ items: unwrap(await this.subscriptions.list(actorOf(res))) });
      },
    });

    routes.route({
      method: 'delete',
      path: '/event-subscriptions/:id',
      tag,
      summary: 'Stop sending events to the endpoint',
      guard,
      params: subscriptionIdParams,
      responses: { 204: { description: 'Removed' } },
      problems: ['UNAUTHORIZED', 'NOT_FOUND'],
      handle: async ({ params }, _req, res) => {
        unwrap(await this.subscriptions.remove(actorOf(res), params.id));
        res.status(204).end();
      },
    });
  }
}
