import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { type GitProvider } from '../../../domain/git-provider.js';
import { type GitProviderRepository } from '../../../domain/git-provider-repository.js';

/** The seed's gitProvider.toggleShare. */
export class ChangeSharingHandler {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
  ) {}

  execute(actor: Actor, providerId: string, shared: boolean): Promise<Result<GitProvider, Failure>> {
    return this.uow.run(async () => {
      const provider = await this.providers.findById(providerId);
      if (!provider) return err(failure.notFound('Git provider'));
      const changed = provider.changeSharing(actor, shared);
      if (!changed.ok) return changed;
      await this.providers.save(provider);
      return ok(provider);
    });
  }
}
