import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { type GitProviderRepository } from '../../../../git-providers/domain/git-provider-repository.js';
import { type DeployCommit, type DeployRef, type ServiceType } from '../../../domain/service-source.js';
import { type ServiceSourceRepository } from '../../../domain/service-source-repository.js';
import { type RefHeads } from '../../ports/ref-heads.js';

export interface RequestDeployment {
  readonly serviceType: ServiceType;
  readonly serviceId: string;
  /** Absent: the source's branch. */
  readonly ref?: DeployRef;
}

export interface DeploymentRequested {
  readonly eventId: string;
  readonly commit: DeployCommit;
}

/**
 * A manual deploy (the dashboard's Deploy button): authorise, load the source and its provider, then ask the forge
 * for the ref's current head, and record `deployment.requested` (trigger "manual") in one transaction. Every member
 * who can see the source may deploy it (docs/api.md). The forge is asked outside the transaction.
 */
export class RequestDeploymentHandler {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly sources: ServiceSourceRepository,
    private readonly providers: GitProviderRepository,
    private readonly heads: RefHeads,
  ) {}

  async execute(actor: Actor, command: RequestDeployment): Promise<Result<DeploymentRequested, Failure>> {
    const source = await this.uow.read(() => this.sources.find(actor.organizationId, command.serviceType, command.serviceId));
    if (!source) return err(failure.notFound('Service source'));
    const repository = source.repositoryRef();
    // A disconnected source is the organisation's (provider-visibility.ts): every member learns it cannot deploy.
    if (!source.isConnected() || !source.providerId || !repository)
      return err(failure.conflict('The service is not connected to a Git provider (sourceType "none"): connect it before deploying'));
    // The provider loaded once serves both checks: visible to the caller (canSeeProviderOf's rule), and ready.
    const providerId = source.providerId;
    const provider = await this.uow.read(() => this.providers.findById(providerId));
    if (!provider || !provider.isVisibleTo(actor)) return err(failure.notFound('Service source'));
    const ref: DeployRef | undefined = command.ref ?? (source.branch ? { type: 'branch', name: source.branch } : undefined);
    if (!ref)
      return err(
        failure.validation('The source has no branch to deploy: name a ref', [
          { path: 'body.ref', message: 'is required: the source has no branch' },
        ]),
      );
    if (provider.status !== 'ready')
      return err(
        failure.notReady(
          `The git provider is not ready (status ${provider.status}): finish its setup before deploying (GET /v1/git-providers/${provider.id} says what it needs)`,
        ),
      );

    const head = await this.heads.resolve(provider, repository, ref);
    if (!head.ok) return head;

    return this.uow.run(async (): Promise<Result<DeploymentRequested, Failure>> => {
      const current = await this.sources.find(actor.organizationId, command.serviceType, command.serviceId);
      // Disconnected or moved to another repository while the forge answered: that commit is no longer this service's.
      if (!current?.isConnected() || current.providerId !== provider.id || current.repositoryId !== source.repositoryId)
        return err(failure.conflict('The service source changed while its ref was resolved; try again'));
      const eventId = current.requestDeployment(ref, head.value);
      await this.sources.save(current);
      return ok({ eventId, commit: head.value });
    });
  }
}
