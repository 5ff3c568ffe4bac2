import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type RepositoryRef, sameRepository } from '../../../../../shared/repository-identity.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { type GitProviderRepository } from '../../../../git-providers/domain/git-provider-repository.js';
import { ServiceSource, type ServiceType, type SourceLink, type WebhookRegistration } from '../../../domain/service-source.js';
import { type ServiceSourceRepository } from '../../../domain/service-source-repository.js';
import { type SourceForge, type WebhookRegistrar } from '../../ports/source-forge.js';

/**
 * The link the caller asks for; the provider's type is taken from the provider itself, the repository's id and
 * the spelling of its name from the forge.
 */
export interface ConnectSource extends Omit<SourceLink, 'providerType' | 'repositoryId'> {
  readonly serviceType: ServiceType;
  readonly serviceId: string;
}

/**
 * Links a service to provider + repository + branch. Forge calls (existence checks, hook registration)
 * happen outside the transaction; the link and its event commit together.
 */
export class ConnectSourceHandler {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly sources: ServiceSourceRepository,
    private readonly forge: SourceForge,
    private readonly hooks: WebhookRegistrar,
  ) {}

  async execute(actor: Actor, command: ConnectSource): Promise<Result<ServiceSource, Failure>> {
    // Service ids are the organisation's own (API contract): another organisation's use of the same id is invisible here.
    const provider = await this.uow.read(() => this.providers.findById(command.providerId));
    if (!provider || !provider.isVisibleTo(actor)) return err(failure.notFound('Git provider'));
    if (provider.status !== 'ready') {
      return err(
        failure.notReady(
          `The git provider is not ready (status ${provider.status}): finish its setup before connecting services (GET /v1/git-providers/${provider.id} says what it needs)`,
        ),
      );
    }
    const target = await this.forge.resolveTarget(provider, command.repository, command.branch);
    if (!target.ok) return target;
    const repository = target.value;

    // The link commits before the hook is ensured, so a concurrent last disconnect of the repository sees this
    // source and keeps the hook (registering first left a window where the release removed it).
    let previous: { providerId: string; repository: RepositoryRef } | undefined;
    // The same hook keeps serving a re-connected source: its health counts from when it first did.
    let servingSince: string | undefined;
    const result = await this.uow.run(async (): Promise<Result<ServiceSource, Failure>> => {
      const source =
        (await this.sources.find(actor.organizationId, command.serviceType, command.serviceId)) ??
        ServiceSource.empty(actor.organizationId, command.serviceType, command.serviceId);
      const before = source.repositoryRef();
      if (source.providerId && before && (source.providerId !== provider.id || !sameRepository(before, repository))) {
        previous = { providerId: source.providerId, repository: before };
      } else if (source.webhook.registered) servingSince = source.webhook.registeredAt;
      source.connect(
        { ...command, repository: repository.fullName, repositoryId: repository.id, providerType: provider.type },
        { registered: false, url: null },
      );
      await this.sources.save(source);
      return ok(source);
    });
    if (!result.ok) return result;
    if (previous) await this.hooks.releaseIfUnused(previous.providerId, previous.repository);
    const webhook = await this.hooks.register(provider, repository);
    const updated = await this.uow.run(async () => {
      const source = await this.sources.find(actor.organizationId, command.serviceType, command.serviceId);
      if (!source || source.providerId !== provider.id || source.repositoryId !== repository.id) return null;
      source.updateWebhook(earliest(webhook, servingSince));
      await this.sources.save(source);
      return source;
    });
    // Disconnected or moved while the hook was being registered: the hook may have no user left.
    if (!updated) await this.hooks.releaseIfUnused(provider.id, repository);
    return ok(updated ?? result.value);
  }
}

function earliest(webhook: WebhookRegistration, servingSince: string | undefined): WebhookRegistration {
  if (!webhook.registered || !servingSince || !webhook.registeredAt || servingSince >= webhook.registeredAt) return webhook;
  return { ...webhook, registeredAt: servingSince };
}
