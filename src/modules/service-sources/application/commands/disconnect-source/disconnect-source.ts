import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type RepositoryRef } from '../../../../../shared/repository-identity.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { type GitProviderRepository } from '../../../../git-providers/domain/git-provider-repository.js';
import { canSeeProviderOf } from '../provider-visibility.js';
import { type ServiceSource, type ServiceType } from '../../../domain/service-source.js';
import { type ServiceSourceRepository } from '../../../domain/service-source-repository.js';
import { type WebhookRegistrar } from '../../ports/source-forge.js';

/** The seed's application.disconnectGitProvider / compose.disconnectGitProvider. */
export class DisconnectSourceHandler {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly sources: ServiceSourceRepository,
    private readonly providers: GitProviderRepository,
    private readonly hooks: WebhookRegistrar,
  ) {}

  async execute(actor: Actor, serviceType: ServiceType, serviceId: string): Promise<Result<ServiceSource, Failure>> {
    let released: { providerId: string; repository: RepositoryRef } | undefined;
    const result = await this.uow.run(async (): Promise<Result<ServiceSource, Failure>> => {
      const source = await this.sources.find(actor.organizationId, serviceType, serviceId);
      if (!source || !(await canSeeProviderOf(this.providers, source, actor))) return err(failure.notFound('Service source'));
      const repository = source.repositoryRef();
      if (source.providerId && repository) released = { providerId: source.providerId, repository };
      source.disconnect();
      await this.sources.save(source);
      return ok(source);
    });
    if (result.ok && released) await this.hooks.releaseIfUnused(released.providerId, released.repository);
    return result;
  }
}
