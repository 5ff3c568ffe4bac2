import { z } from 'zod';
import { failure } from '../../../shared/failure.js';
import { type RouteContributor } from '../../../platform/http/app.js';
import { actorOf } from '../../identity/http/actor-of.js';
import { type ApiRouter, refuse, unwrap } from '../../../platform/http/api-routes.js';
import { invalidGlob } from '../domain/watch-paths.js';
import { SERVICE_STATUSES, SERVICE_TYPES, type ServiceSource, TRIGGER_TYPES } from '../domain/service-source.js';
import { invalidRefName, invalidRepoPath, invalidRepositoryName } from '../domain/source-values.js';
import { type ConnectSourceHandler } from '../application/commands/connect-source/connect-source.js';
import { type DisconnectSourceHandler } from '../application/commands/disconnect-source/disconnect-source.js';
import { type ReportStatusHandler } from '../application/commands/report-status/report-status.js';
import { type SourceQueries, type SourceView, sourceView } from '../application/queries/source-view.js';
import { type HookHealth } from '../application/ports/hook-health.js';
import { type Actor } from '../../identity/domain/actor.js';

const params = z.object({
  serviceType: z.enum(SERVICE_TYPES),
  serviceId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9._:-]+$/, 'must be an id (letters, digits, . _ : -)'),
});

const check = (rule: (value: string) => string | undefined) => (value: string, ctx: z.RefinementCtx) => {
  const problem = rule(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};

const connectBody = z
  .object({
    providerId: z.uuid({ message: 'must be a UUID' }),
    repository: z.string().trim().superRefine(check(invalidRepositoryName)),
    branch: z.string().trim().superRefine(check(invalidRefName)).optional(),
    triggerType: z.enum(TRIGGER_TYPES).default('push'),
    watchPaths: z
      .array(z.string().min(1).max(500).superRefine(check(invalidGlob)))
      .max(100)
      .optional(),
    autoDeploy: z.boolean().default(true),
    buildPath: z.string().min(1).max(1000).superRefine(check(invalidRepoPath)).default('/'),
    composePath: z.string().min(1).max(1000).superRefine(check(invalidRepoPath)).optional(),
    previews: z
      .object({
        enabled: z.boolean().default(false),
        fromForks: z.boolean().default(false).describe('Also preview requests from forks (they run code from outside the repository)'),
      })
      .strict()
      .optional()
      .describe('Pull/merge request previews targeting `branch` (default off); a PUT without it turns them off'),
  })
  .refine((b) => b.triggerType === 'tag' || b.branch !== undefined, { message: 'is required for push sources', path: ['branch'] });

/** Commit statuses (docs/api.md "Commit statuses"): a full hex commit id, an http(s) link, one line of text. */
const statusBody = z.object({
  status: z.enum(SERVICE_STATUSES),
  commitSha: z
    .string()
    .regex(/^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/, 'must be a full commit id (40 hex characters, or 64 for SHA-256 repositories)')
    .optional()
    .describe('The deployed commit: forgelink also posts a commit status on it (not for `idle`)'),
  targetUrl: z
    .string()
    .max(2000, 'must be at most 2,000 characters')
    .pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }))
    // The forge shows the link to everyone who can see the commit: credentials in it would be published.
    .refine((u) => URL.canParse(u) && !new URL(u).username && !new URL(u).password, 'must not carry a user name or password')
    .optional()
    .describe('Where the commit status links (the deployment’s page); Bitbucket, which requires a link, gets DASHBOARD_URL without it'),
  description: z
    .string()
    .trim()
    .min(1)
    .max(1000)
    // eslint-disable-next-line no-control-regex -- a status description is one printable line on every forge
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must be one line without control characters')
    .optional()
    .describe('Shown next to the status; cut to each forge’s limit (GitHub 140 characters)'),
});

/** The problems of a route that calls the forge. */
const FORGE_PROBLEMS = ['PROVIDER_NOT_READY', 'FORGE_RATE_LIMITED', 'FORGE_ERROR'] as const;

const sourceSchema = z
  .object({
    serviceType: z.enum(SERVICE_TYPES),
    serviceId: z.string(),
    organizationId: z.uuid(),
    sourceType: z.enum(['git', 'none']),
    providerId: z.uuid().nullable(),
    providerType: z.string().nullable(),
    repository: z.string().nullable().describe('`owner/name` as the forge names it now'),
    owner: z.string().nullable(),
    branch: z.string().nullable(),
    triggerType: z.enum(TRIGGER_TYPES).nullable(),
    watchPaths: z.array(z.string()).nullable(),
    autoDeploy: z.boolean(),
    buildPath: z.string(),
    composePath: z.string().nullable().describe('null for applications'),
    previews: z.object({ enabled: z.boolean(), fromForks: z.boolean() }),
    status: z.enum(SERVICE_STATUSES),
    webhook: z.object({
      registered: z.boolean(),
      url: z.string().nullable(),
      managedBy: z.enum(['github-app', 'forgelink']).optional(),
      error: z.string().optional().describe('Why registering the repository hook failed'),
      registeredAt: z.iso.datetime().optional().describe('When the hook started serving this source'),
      lastDeliveryAt: z.iso.datetime().optional().describe('The last delivery concerning this repository (within the delivery retention)'),
      lastOutcome: z.enum(['deployed', 'ignored', 'duplicate', 'rejected']).optional(),
      status: z
        .enum(['not_registered', 'awaiting_first_delivery', 'delivering', 'disabled'])
        .describe('`disabled`: the forge disabled the hook (see `disabledReason`); checked with the forge on GET'),
      disabledReason: z.string().optional(),
    }),
    statusReporting: z
      .object({
        state: z.enum(['ok', 'forbidden', 'failing']),
        reason: z.string().optional().describe('The forge’s words for the last refusal or failure'),
        lastPostedAt: z.iso.datetime().optional(),
      })
      .optional()
      .describe('How posting commit statuses to the forge goes; absent until a status with `commitSha` was handled'),
    version: z.number().int(),
  })
  .meta({ id: 'ServiceSource' });

export interface SourceRouteDeps {
  readonly connect: ConnectSourceHandler;
  readonly disconnect: DisconnectSourceHandler;
  readonly status: ReportStatusHandler;
  readonly queries: SourceQueries;
  /** Asks the forge whether it disabled the source's hook (GET only); absent: the stored view is answered. */
  readonly hookHealth?: HookHealth;
}

export class SourceRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(private readonly deps: SourceRouteDeps) {}

  /** A command's answer, read back so it carries the repository's last delivery like a GET (the forge is not asked). */
  private async answer(actor: Actor, source: ServiceSource): Promise<SourceView> {
    return (await this.deps.queries.get(actor, source.serviceType, source.serviceId)) ?? sourceView(source);
  }

  register(routes: ApiRouter): void {
    const path = '/services/:serviceType/:serviceId/source';

    routes.route({
      method: 'put',
      path,
      tag: 'Service sources',
      summary: 'Connect a service to a provider + repository + branch (or change it)',
      description:
        'The provider must be visible to the caller and the repository and branch must exist on the forge. Registers the repository webhook (GitLab, Gitea, Bitbucket).',
      params,
      body: connectBody,
      responses: { 200: { description: 'The source', schema: sourceSchema } },
      problems: ['NOT_FOUND', 'CONFLICT', ...FORGE_PROBLEMS],
      handle: async ({ params: p, body: b }, _req, res) => {
        if (p.serviceType !== 'compose' && b.composePath !== undefined) {
          refuse(
            failure.validation('composePath is only for compose services', [
              { path: 'body.composePath', message: 'only for compose services' },
            ]),
          );
        }
        const result = await this.deps.connect.execute(actorOf(res), {
          serviceType: p.serviceType,
          serviceId: p.serviceId,
          providerId: b.providerId,
          repository: b.repository,
          branch: b.branch ?? null,
          triggerType: b.triggerType,
          watchPaths: b.watchPaths ?? null,
          autoDeploy: b.autoDeploy,
          buildPath: b.buildPath,
          composePath: b.composePath ?? null,
          previews: b.previews ?? { enabled: false, fromForks: false },
        });
        const value = unwrap(result);
        res.json(await this.answer(actorOf(res), value));
      },
    });

    routes.route({
      method: 'get',
      path,
      tag: 'Service sources',
      summary: 'A service’s source',
      params,
      responses: { 200: { description: 'The source (after a disconnect: `sourceType: "none"`)', schema: sourceSchema } },
      problems: ['NOT_FOUND'],
      handle: async ({ params: p }, _req, res) => {
        const view = await this.deps.queries.get(actorOf(res), p.serviceType, p.serviceId);
        if (!view) refuse(failure.notFound('Service source'));
        res.json(this.deps.hookHealth ? await this.deps.hookHealth.check(view) : view);
      },
    });

    routes.route({
      method: 'delete',
      path,
      tag: 'Service sources',
      summary: 'Disconnect the service from its Git provider (the seed’s disconnectGitProvider)',
      params,
      responses: { 200: { description: 'The source, every Git field cleared', schema: sourceSchema } },
      problems: ['NOT_FOUND', 'CONFLICT'],
      handle: async ({ params: p }, _req, res) => {
        const result = await this.deps.disconnect.execute(actorOf(res), p.serviceType, p.serviceId);
        const value = unwrap(result);
        res.json(sourceView(value));
      },
    });

    routes.route({
      method: 'put',
      path: '/services/:serviceType/:serviceId/status',
      tag: 'Service sources',
      summary: 'The deployer reports the service’s deployment status',
      description:
        'With `commitSha` (and a status other than `idle`), forgelink also posts a commit status named `forgelink/<serviceType>/<serviceId>` on that commit, through an outbox: retried with backoff, in report order, never delaying this answer.',
      params,
      body: statusBody,
      responses: { 200: { description: 'The source', schema: sourceSchema } },
      problems: ['NOT_FOUND', 'CONFLICT'],
      handle: async ({ params: p, body: b }, _req, res) => {
        const result = await this.deps.status.execute(actorOf(res), p.serviceType, p.serviceId, {
          status: b.status,
          ...(b.commitSha ? { commitSha: b.commitSha } : {}),
          ...(b.targetUrl ? { targetUrl: b.targetUrl } : {}),
          ...(b.description ? { description: b.description } : {}),
        });
        const value = unwrap(result);
        res.json(await this.answer(actorOf(res), value));
      },
    });
  }
}
