import express from 'express';
import { z } from 'zod';
import { failure } from '../../../shared/failure.js';
import { isUuid } from '../../../shared/ids.js';
import { type RouteContributor } from '../../../platform/http/app.js';
import { actorOf } from '../../identity/http/actor-of.js';

import { type ApiRouter, refuse, unwrap } from '../../../platform/http/api-routes.js';
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

  register(routes: ApiRouter): void {
    routes.route({
      method: 'post',
      path: '/webhooks/:providerId',
      tag: 'Webhooks',
      summary: 'A forge delivers an event (the provider’s one webhook URL)',
      description:
        'No API key: the signature (or GitLab token) over the raw bytes is the proof, checked before anything is parsed. ' +
        'GitHub `X-Hub-Signature-256`; GitLab `X-Gitlab-Token`; Gitea/Forgejo `X-Gitea-Signature`/`X-Forgejo-Signature`; ' +
        'Bitbucket Cloud and Data Center `X-Hub-Signature`. A repeated delivery id (or byte-identical body) answers 200 `{duplicate: true}`.',
      // Unknown or malformed ids answer 404 below, as an unknown provider: the schema only bounds the input.
      params: z.object({ providerId: z.string().max(200) }),
      rawBody: {
        description: 'The forge’s event payload, up to 25 MiB, verified over its raw bytes',
        content: {
          'application/json': z.record(z.string(), z.unknown()),
          'application/x-www-form-urlencoded': z.object({ payload: z.string().describe('The JSON payload (GitHub’s form encoding)') }),
        },
      },
      middleware: [express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT })],
      responses: {
        200: { description: 'Recorded; nothing to deploy (or a duplicate)', schema: webhookIgnored },
        202: { description: 'Recorded; `deployments` events emitted', schema: webhookDeployed },
      },
      problems: ['INVALID_SIGNATURE', 'NOT_FOUND'],
      handle: async ({ params }, req, res) => {
        const providerId = params.providerId;
        if (!isUuid(providerId)) refuse(failure.notFound('Git provider'));
        const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v[0] : v]));
        const result = await this.receive.execute(providerId, { headers, rawBody });
        if (!result.ok) {
          if (result.error.code === 'INVALID_SIGNATURE')
            this.logger.warn({ providerId, ip: req.socket.remoteAddress }, 'webhook rejected: bad signature');
        }
        const answer = unwrap(result);
        if (answer.duplicate) return res.status(200).json({ deliveryId: answer.deliveryId, duplicate: true, deployments: 0 });
        if (answer.deployments > 0) return res.status(202).json({ deliveryId: answer.deliveryId, deployments: answer.deployments });
        res.status(200).json({ deliveryId: answer.deliveryId, deployments: 0, reason: answer.reason });
      },
    });
    // Public paths take no API key: another method here is an unknown route, not an authentication failure.
    routes.fallback('/webhooks', (req) =>
      refuse({ code: 'NOT_FOUND', detail: `No route for ${req.method} ${req.originalUrl.split('?')[0]}` }),
    );
  }
}

const webhookDeployed = z.object({ deliveryId: z.string(), deployments: z.number().int().positive() }).meta({ id: 'WebhookDeployed' });
const webhookIgnored = z
  .object({
    deliveryId: z.string(),
    deployments: z.literal(0),
    duplicate: z.literal(true).optional(),
    reason: z.string().nullable().optional().describe('Why nothing deploys, e.g. `no_matching_source`, `branch_deleted`'),
  })
  .meta({ id: 'WebhookIgnored' });

const listQuery = z.object({
  providerId: z.uuid({ message: 'must be a UUID' }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.uuid({ message: 'must be an id returned as nextCursor' }).optional(),
});

const deliveryPage = z
  .object({
    items: z.array(
      z
        .object({
          id: z.string().describe('Cursor: pass as `after` for the next page'),
          deliveryId: z.string(),
          providerId: z.uuid(),
          event: z.string().nullable(),
          receivedAt: z.iso.datetime(),
          outcome: z.enum(['deployed', 'ignored', 'duplicate']),
          reason: z.string().nullable(),
          deployments: z.number().int().nonnegative(),
        })
        .meta({ id: 'WebhookDelivery' }),
    ),
    nextCursor: z.string().nullable().describe('Pass as `after` for the next (older) page'),
  })
  .meta({ id: 'WebhookDeliveryPage' });

export class DeliveryRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(
    private readonly deliveries: DeliveryQueries,
    private readonly providers: ProviderQueries,
  ) {}

  register(routes: ApiRouter): void {
    routes.route({
      method: 'get',
      path: '/webhook-deliveries',
      tag: 'Webhooks',
      summary: 'Recent webhook deliveries of the providers the caller can see',
      query: listQuery,
      responses: { 200: { description: 'Newest first', schema: deliveryPage } },
      problems: ['NOT_FOUND'],
      handle: async ({ query: q }, _req, res) => {
        const actor = actorOf(res);
        let providerIds: string[] | null = null;
        if (q.providerId) {
          if (!(await this.providers.get(actor, q.providerId))) refuse(failure.notFound('Git provider'));
          providerIds = [q.providerId];
        } else if (!isOwnerOrAdmin(actor)) {
          providerIds = (await this.providers.list(actor)).map((p) => p.id);
        }
        res.json(await this.deliveries.list(actor.organizationId, { providerIds, limit: q.limit, after: q.after }));
      },
    });
  }
}
