import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { type GitProviderRepository } from '../../../../git-providers/domain/git-provider-repository.js';
import { canSeeProviderOf } from '../provider-visibility.js';
import { type ServiceSource, type ServiceStatus, type ServiceType } from '../../../domain/service-source.js';
import { type ServiceSourceRepository } from '../../../domain/service-source-repository.js';

/** The deployer reports a service's deployment status back. */
export class ReportStatusHandler {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly sources: ServiceSourceRepository,
    private readonly providers: GitProviderRepository,
  ) {}

  execute(actor: Actor, serviceType: ServiceType, serviceId: string, status: ServiceStatus): Promise<Result<ServiceSource, Failure>> {
    return this.uow.run(async () => {
      const source = await this.sources.find(actor.organizationId, serviceType, serviceId);
      if (!source || !(await canSeeProviderOf(this.providers, source, actor))) return err(failure.notFound('Service source'));
      source.reportStatus(status);
      await this.sources.save(source);
      return ok(source);
    });
  }
}
