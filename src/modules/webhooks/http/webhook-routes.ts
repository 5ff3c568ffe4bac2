import express, { type Router } from 'express';
import { z } from 'zod';
import { FailureError, failure } from '../../../shared/failure.js';
import { isUuid } from '../../../shared/ids.js';
import { actorOf, type RouteContributor } from '../../../platform/http/app.js';
import { sendProblem } from '../../../platform/http/problem.js';
import { parseInput } from '../../../platform/http/validate.js';
import { type Logger } from '../../../platform/logging/logger.js';
import { isOwnerOrAdmin } from '../../identity/domain/actor.js';
import { type ProviderQueries } from '../../git-providers/application/queries/provider-summary.js';
import { type ReceiveWebhookHandler } from '../application/commands/receive-webhook/receive-webhook.js';
import { type DeliveryQueries } from '../application/queries/delivery-list.js';

export const WEBHOOK_BODY_LIMIT = '25mb';

/** POST /v1/webhooks/{providerId}: raw bytes in, verified before anything else looks at them. */
export class WebhookRoutes implements RouteContributor {
  readonly kind = 'public' as const;

  constructor(
    private readonly receive: ReceiveWebhookHandler,
    private readonly logger: Logger,
  ) {}

  register(router: Router): void {
    router.post('/webhooks/:providerId', express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }), async (req, res) => {
      const providerId = req.params.providerId ?? '';
      if (!isUuid(providerId)) return sendProblem(res, failure.notFound('Git provider'));
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v[0] : v]));
      const result = await this.receive.execute(providerId, { headers, rawBody });
      if (!result.ok) {
        if (result.error.code === 'INVALID_SIGNATURE') this.logger.warn({ providerId, ip: req.socket.remoteAddress }, 'webhook rejected: bad signature');
        return sendProblem(res, result.error);
      }
      const answer = result.value;
      if (answer.duplicate) return res.status(200).json({ deliveryId: answer.deliveryId, duplicate: true, deployments: 0 });
      if (answer.deployments > 0) return res.status(202).json({ deliveryId: answer.deliveryId, deployments: answer.deployments });
      res.status(200).json({ deliveryId: answer.deliveryId, deployments: 0, reason: answer.reason });
    });
    // Public paths take no API key: another method here is an unknown route, not an authentication failure.
    router.all('/webhooks/{*rest}', (req, res) => sendProblem(res, { code: 'NOT_FOUND', detail: `No route for ${req.method} ${req.originalUrl.split('?')[0]}` }));
  }
}

const listQuery = z.object({
  providerId: z.uuid({ message: 'must be a UUID' }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.uuid({ message: 'must be an id returned as nextCursor' }).optional(),
});

export class DeliveryRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(
    private readonly deliveries: DeliveryQueries,
    private readonly providers: ProviderQueries,
  ) {}

  register(router: Router): void {
    router.get('/webhook-deliveries', async (req, res) => {
      const q = parseInput(listQuery, req.query, 'query');
      const actor = actorOf(res);
      let providerIds: string[] | null = null;
      if (q.providerId) {
        if (!(await this.providers.get(actor, q.providerId))) throw new FailureError(failure.notFound('Git provider'));
        providerIds = [q.providerId];
      } else if (!isOwnerOrAdmin(actor)) {
        providerIds = (await this.providers.list(actor)).map((p) => p.id);
      }
      res.json(await this.deliveries.list(actor.organizationId, { providerIds, limit: q.limit, after: q.after }));
    });
  }
}
