import { type UnitOfWork } from '../../../../shared/unit-of-work.js';
import { type GitProviderRepository } from '../../domain/git-provider-repository.js';

/**
 * What happens when a forge refuses a provider's credentials as a whole (401, a revoked grant, a missing scope, a
 * suspended or uninstalled GitHub App): the provider becomes needs_reauthorization, whichever call found it —
 * listing, connect, compare, hook registration. A refusal of one repository (ForgeError 'resource_forbidden')
 * never gets here. The ForgeConnector reports every refusal through this one place, and every call that works again
 * with credentials a person fixed on the forge side (a GitHub key, a Bitbucket token): the read side never writes.
 */
export class CredentialRefusals {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
  ) {}

  async refused(providerId: string): Promise<void> {
    await this.uow.run(async () => {
      const provider = await this.providers.findById(providerId);
      if (!provider || provider.status === 'needs_reauthorization') return;
      provider.requireReauthorization();
      await this.providers.save(provider);
    });
  }

  /** The stored credentials worked again: a provider flagged by a refusal becomes usable (OAuth ones need a new grant instead). */
  async worked(providerId: string): Promise<void> {
    await this.uow.run(async () => {
      const provider = await this.providers.findById(providerId);
      if (!provider || provider.status !== 'needs_reauthorization' || provider.usesOAuth()) return;
      provider.credentialsWorked();
      await this.providers.save(provider);
    });
  }
}
