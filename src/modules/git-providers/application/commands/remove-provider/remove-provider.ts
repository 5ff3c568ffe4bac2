import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { type GitProvider } from '../../../domain/git-provider.js';
import { type GitProviderRepository } from '../../../domain/git-provider-repository.js';

/** Forge hooks forgelink registered for a provider, removed best-effort once the provider is gone. */
export interface RegisteredHooks {
  /** Repositories with a hook registered for this provider. */
  repositoriesWithHooks(providerId: string): Promise<string[]>;
  /** Best effort: failures are logged, never fail the removal. */
  removeFromForge(provider: GitProvider, repositories: readonly string[]): Promise<void>;
}

/**
 * The service sources connected to a provider, as its removal needs them (implemented by the service-sources
 * module, which the git-providers module must not import).
 */
export interface ConnectedSources {
  /** Disconnects every source connected to the provider, inside the caller's unit of work; returns how many. */
  disconnectAllOf(providerId: string): Promise<number>;
}

/** The seed's gitProvider.remove: every service source using it is disconnected in the same transaction. */
export class RemoveProviderHandler {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly sources: ConnectedSources,
    private readonly hooks: RegisteredHooks,
  ) {}

  async execute(actor: Actor, providerId: string): Promise<Result<{ disconnected: number }, Failure>> {
    // Hooks go first, while the provider's credentials (and OAuth tokens) can still be read.
    const before = await this.uow.read(() => this.providers.findById(providerId));
    if (before && before.isVisibleTo(actor) && before.canManage(actor)) {
      const repositories = await this.hooks.repositoriesWithHooks(before.id);
      if (repositories.length > 0) await this.hooks.removeFromForge(before, repositories);
    }
    return this.uow.run(async (): Promise<Result<{ disconnected: number }, Failure>> => {
      const provider = await this.providers.findById(providerId);
      if (!provider) return err(failure.notFound('Git provider'));
      const allowed = provider.removeBy(actor);
      if (!allowed.ok) return allowed;
      const disconnected = await this.sources.disconnectAllOf(provider.id);
      await this.providers.remove(provider);
      return ok({ disconnected });
    });
  }
}
