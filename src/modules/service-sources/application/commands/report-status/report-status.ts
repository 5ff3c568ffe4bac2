import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { type GitProviderRepository } from '../../../../git-providers/domain/git-provider-repository.js';
import { canSeeProviderOf } from '../provider-visibility.js';
import { type ServiceSource, type ServiceStatus, type ServiceType } from '../../../domain/service-source.js';
import { type ServiceSourceRepository } from '../../../domain/service-source-repository.js';
import { type CommitStatusOutbox } from '../../ports/commit-statuses.js';

/** What the deployer reports; `commitSha` also asks for a commit status on the forge (docs/api.md "Commit statuses"). */
export interface StatusReport {
  readonly status: ServiceStatus;
  readonly commitSha?: string;
  readonly targetUrl?: string;
  readonly description?: string;
}

/** The deployer reports a service's deployment status back. */
export class ReportStatusHandler {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly sources: ServiceSourceRepository,
    private readonly providers: GitProviderRepository,
    private readonly statuses: CommitStatusOutbox,
  ) {}

  execute(actor: Actor, serviceType: ServiceType, serviceId: string, r: StatusReport): Promise<Result<ServiceSource, Failure>> {
    return this.uow.run(async () => {
      const source = await this.sources.find(actor.organizationId, serviceType, serviceId);
      if (!source || !(await canSeeProviderOf(this.providers, source, actor))) return err(failure.notFound('Service source'));
      source.reportStatus(r.status);
      await this.sources.save(source);
      // `idle` says nothing about a commit; a source without a repository has no forge to post to.
      if (r.commitSha && r.status !== 'idle' && source.isConnected() && source.providerId && source.repository) {
        await this.statuses.record({
          organizationId: source.organizationId,
          providerId: source.providerId,
          serviceType: source.serviceType,
          serviceId: source.serviceId,
          repository: source.repository,
          repositoryId: source.repositoryId,
          commitSha: r.commitSha.toLowerCase(),
          state: r.status,
          targetUrl: r.targetUrl ?? null,
          description: r.description ?? null,
        });
      }
      return ok(source);
    });
  }
}
