import { z } from 'zod';
import { type RouteContributor } from '../../../platform/http/app.js';
import { type ApiRouter, unwrap } from '../../../platform/http/api-routes.js';
import { actorOf } from '../../identity/http/actor-of.js';
import { SERVICE_TYPES } from '../domain/service-source.js';
import { invalidRefName } from '../domain/source-values.js';
import { invalidPathSegment } from '../../../shared/path-segments.js';
import { type RequestDeploymentHandler } from '../application/commands/request-deployment/request-deployment.js';

const params = z.object({
  serviceType: z.enum(SERVICE_TYPES),
  serviceId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9._:-]+$/, 'must be an id (letters, digits, . _ : -)'),
});

const refName = z.string().superRefine((value, ctx) => {
  // Git's rules, then what a forge URL path cannot carry (%, \\, ?, #: their meaning changes once encoded).
  const problem =
    invalidRefName(value) ??
    value
      .split('/')
      .map(invalidPathSegment)
      .find((p) => p !== undefined);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const deployBody = z
  .object({
    ref: z
      .object({
        type: z.enum(['branch', 'tag']),
        name: refName.describe('Short name (`main`, `release/1.2`, `v1.0.0`), git ref-name rules, at most 255 characters'),
      })
      .strict()
      .optional()
      .describe('Default: the source’s branch'),
  })
  .meta({ id: 'DeploymentRequest' });

const deployAnswer = z
  .object({
    eventId: z.uuid().describe('The id of the `deployment.requested` event'),
    commit: z.object({
      sha: z.string().describe('The ref’s head on the forge when the request was made'),
      message: z.string(),
      author: z.string(),
    }),
  })
  .meta({ id: 'DeploymentRequested' });

/** POST …/deployments: a manual deploy of the ref's current head (the console's Deploy button). */
export class DeploymentRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(private readonly deploy: RequestDeploymentHandler) {}

  register(routes: ApiRouter): void {
    routes.route({
      method: 'post',
      path: '/services/:serviceType/:serviceId/deployments',
      tag: 'Service sources',
      summary: 'Deploy the current head of a branch or tag (manual deploy)',
      description:
        'Resolves the ref’s current commit on the forge and emits `deployment.requested` with `trigger: "manual"` and `deliveryId: null`. Any member who can see the source may deploy it. A branch or tag the forge no longer has is 422 `PROVIDER_NOT_READY` naming it; nothing is emitted.',
      params,
      body: deployBody,
      responses: { 202: { description: 'Requested: the event is in the outbox', schema: deployAnswer } },
      problems: ['NOT_FOUND', 'CONFLICT', 'PROVIDER_NOT_READY', 'FORGE_FORBIDDEN', 'FORGE_RATE_LIMITED', 'FORGE_ERROR'],
      handle: async ({ params: p, body: b }, _req, res) => {
        const result = await this.deploy.execute(actorOf(res), { serviceType: p.serviceType, serviceId: p.serviceId, ref: b.ref });
        res.status(202).json(unwrap(result));
      },
    });
  }
}
