import { type Router } from 'express';
import { z } from 'zod';
import { FailureError, failure } from '../../../shared/failure.js';
import { actorOf, type RouteContributor } from '../../../platform/http/app.js';
import { parseInput } from '../../../platform/http/validate.js';
import { invalidGlob } from '../../webhooks/domain/watch-paths.js';
import { SERVICE_STATUSES, SERVICE_TYPES, TRIGGER_TYPES } from '../domain/service-source.js';
import { invalidRefName, invalidRepoPath, invalidRepositoryName } from '../domain/source-values.js';
import { type ConnectSourceHandler } from '../application/commands/connect-source/connect-source.js';
import { type DisconnectSourceHandler } from '../application/commands/disconnect-source/disconnect-source.js';
import { type ReportStatusHandler } from '../application/commands/report-status/report-status.js';
import { type SourceQueries, sourceView } from '../application/queries/source-view.js';

const params = z.object({
  serviceType: z.enum(SERVICE_TYPES),
  serviceId: z.string().min(1).max(200).regex(/^[A-Za-z0-9._:-]+$/, 'must be an id (letters, digits, . _ : -)'),
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
    watchPaths: z.array(z.string().min(1).max(500).superRefine(check(invalidGlob))).max(100).optional(),
    autoDeploy: z.boolean().default(true),
    buildPath: z.string().min(1).max(1000).superRefine(check(invalidRepoPath)).default('/'),
    composePath: z.string().min(1).max(1000).superRefine(check(invalidRepoPath)).optional(),
  })
  .refine((b) => b.triggerType === 'tag' || b.branch !== undefined, { message: 'is required for push sources', path: ['branch'] });

const statusBody = z.object({ status: z.enum(SERVICE_STATUSES) });

export interface SourceRouteDeps {
  readonly connect: ConnectSourceHandler;
  readonly disconnect: DisconnectSourceHandler;
  readonly status: ReportStatusHandler;
  readonly queries: SourceQueries;
}

export class SourceRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(private readonly deps: SourceRouteDeps) {}

  register(router: Router): void {
    const path = '/services/:serviceType/:serviceId/source';

    router.put(path, async (req, res) => {
      const p = parseInput(params, req.params, 'path');
      const b = parseInput(connectBody, req.body, 'body');
      if (p.serviceType !== 'compose' && b.composePath !== undefined) {
        throw new FailureError(failure.validation('composePath is only for compose services', [{ path: 'body.composePath', message: 'only for compose services' }]));
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
      });
      if (!result.ok) throw new FailureError(result.error);
      res.json(sourceView(result.value));
    });

    router.get(path, async (req, res) => {
      const p = parseInput(params, req.params, 'path');
      const view = await this.deps.queries.get(actorOf(res).organizationId, p.serviceType, p.serviceId);
      if (!view) throw new FailureError(failure.notFound('Service source'));
      res.json(view);
    });

    router.delete(path, async (req, res) => {
      const p = parseInput(params, req.params, 'path');
      const result = await this.deps.disconnect.execute(actorOf(res), p.serviceType, p.serviceId);
      if (!result.ok) throw new FailureError(result.error);
      res.json(sourceView(result.value));
    });

    router.put('/services/:serviceType/:serviceId/status', async (req, res) => {
      const p = parseInput(params, req.params, 'path');
      const b = parseInput(statusBody, req.body, 'body');
      const result = await this.deps.status.execute(actorOf(res), p.serviceType, p.serviceId, b.status);
      if (!result.ok) throw new FailureError(result.error);
      res.json(sourceView(result.value));
    });
  }
}
