import { type UnitOfWork } from '../../shared/unit-of-work.js';
import { type GitProviderRepository } from '../../modules/git-providers/domain/git-provider-repository.js';
import { type AppInstallations } from '../../modules/webhooks/application/ports/app-installations.js';
import { gitHubApp } from './github-app-flows.js';
import { type GitHubSettings, githubKind } from './github-settings.js';

export interface InstallationChange {
  readonly action: 'created' | 'deleted';
  readonly installationId: number;
  readonly appId: number;
}

/**
 * The App's webhook says it was installed or uninstalled. An installation fills in a provider still waiting
 * for one (installed from GitHub's pages, without forgelink's install link); an uninstallation of the
 * provider's own installation sends it back to pending_installation. Anything else changes nothing.
 */
export class RecordInstallationHandler implements AppInstallations {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
  ) {}

  apply(providerId: string, change: InstallationChange): Promise<string> {
    return this.uow.run(async () => {
      const provider = await this.providers.findByIdForUpdate(providerId);
      if (!provider || provider.type !== githubKind.type) return 'installation_ignored: not a GitHub App provider';
      const settings = provider.settings as GitHubSettings;
      if (settings.appId !== change.appId) return `installation_ignored: app ${change.appId} is not this provider's app`;
      if (change.action === 'created') {
        if (settings.installationId === change.installationId) return 'installation_recorded';
        if (settings.installationId !== undefined)
          return `installation_ignored: the provider already uses installation ${settings.installationId}`;
        gitHubApp.installed(provider, change.installationId);
        await this.providers.save(provider);
        return 'installation_recorded';
      }
      if (settings.installationId !== change.installationId) return "installation_ignored: not the provider's installation";
      gitHubApp.uninstalled(provider);
      await this.providers.save(provider);
      return 'installation_removed';
    });
  }
}
