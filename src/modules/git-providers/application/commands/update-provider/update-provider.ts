import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { type GitProvider, type ProviderChange, type ProviderType, serverUrlOf } from '../../../domain/git-provider.js';
import { type GitProviderRepository } from '../../../domain/git-provider-repository.js';
import { type ForgeUrlPolicy } from '../../ports/forge-url-policy.js';
import { checkForgeUrl, describedApp } from '../create-provider/create-provider.js';
import { type GitHubAppLookup } from '../../ports/github-app-lookup.js';
import { type ProviderSettings } from '../../../domain/git-provider.js';

export interface UpdateProvider {
  readonly providerId: string;
  readonly type: ProviderType;
  readonly change: ProviderChange;
  readonly expectedVersion?: number;
}

/**
 * The seed's github.update / gitlab.update, for every forge type.
 * Order (API contract, "Authorise before acting"): load → authorise → version → only then the SSRF guard's DNS
 * lookups and the GitHub App lookup → write. A refused request makes no outbound request and writes nothing.
 */
export class UpdateProviderHandler {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly urls: ForgeUrlPolicy,
    private readonly apps: GitHubAppLookup,
  ) {}

  async execute(actor: Actor, command: UpdateProvider): Promise<Result<GitProvider, Failure>> {
    // A detached copy: the change is tried on it to learn what the provider would become (which secrets the
    // domain drops for a new address), never saved.
    const preview = await this.uow.read(() => this.providers.findById(command.providerId));
    if (!preview || !preview.isVisibleTo(actor) || preview.type !== command.type) return err(failure.notFound(`${command.type} provider`));
    const moved = preview.movesAddress(command.change);
    const before = preview.settings;
    const tried = preview.update(actor, command.change, command.expectedVersion);
    if (!tried.ok) return tried;

    if (moved) {
      const blocked = await checkForgeUrl(this.urls, outboundField(preview.settings));
      if (blocked) return err(blocked);
    }
    const appPage = command.type === 'github' ? await this.appPageAfter(command, before, preview) : undefined;

    return this.uow.run(async () => {
      const provider = await this.providers.findById(command.providerId);
      if (!provider || !provider.isVisibleTo(actor) || provider.type !== command.type)
        return err(failure.notFound(`${command.type} provider`));
      if (
        command.change.name !== undefined &&
        (await this.providers.existsWithName(provider.organizationId, command.change.name.trim(), provider.id))
      ) {
        return err(failure.conflict(`A git provider named "${command.change.name.trim()}" already exists in the organisation`));
      }
      const change = appPage ? withAppPage(command.change, appPage) : command.change;
      const updated = provider.update(actor, change, command.expectedVersion);
      if (!updated.ok) return updated;
      await this.providers.save(provider);
      return ok(provider);
    });
  }

  /**
   * When the app's id, key or address changes, its slug and page are learnt again (or dropped, so no stale
   * installUrl). The key used is the one the provider keeps after the change: never a stored key for a new address.
   */
  private async appPageAfter(command: UpdateProvider, before: ProviderSettings, after: GitProvider): Promise<AppPage | undefined> {
    const s = (command.change.settings ?? {}) as Record<string, unknown>;
    const changed = ['appId', 'githubUrl', 'internalUrl'].some(
      (key) => s[key] !== undefined && s[key] !== (before as unknown as Record<string, unknown>)[key],
    );
    if (!changed && !command.change.secrets?.privateKey) return undefined;
    return (await describedApp(this.apps, after.settings, after.secret('privateKey')?.reveal())) ?? 'unknown';
  }
}

/** The address forgelink's own requests go to after the change, under the name of the field that sets it. */
function outboundField(settings: ProviderSettings): Partial<ProviderSettings> {
  if (settings.type === 'bitbucket') return {};
  const url = serverUrlOf(settings);
  if (settings.internalUrl) return { internalUrl: url } as Partial<ProviderSettings>;
  const field = settings.type === 'github' ? 'githubUrl' : settings.type === 'gitlab' ? 'gitlabUrl' : 'giteaUrl';
  return { [field]: url } as Partial<ProviderSettings>;
}

type AppPage = { appSlug: string; appHtmlUrl: string } | 'unknown';

function withAppPage(change: ProviderChange, page: AppPage): ProviderChange {
  const settings = page === 'unknown' ? { appSlug: null, appHtmlUrl: null } : page;
  return { ...change, settings: { ...change.settings, ...settings } as ProviderChange['settings'] };
}
