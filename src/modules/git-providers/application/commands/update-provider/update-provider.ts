import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { type GitProvider, type ProviderChange, type ProviderType } from '../../../domain/git-provider.js';
import { type GitProviderRepository } from '../../../domain/git-provider-repository.js';
import { type ForgeUrlPolicy } from '../../ports/forge-url-policy.js';
import { checkForgeUrl, describedApp } from '../create-provider/create-provider.js';
import { type GitHubAppLookup } from '../../ports/github-app-lookup.js';
import { type GitHubSettings, type ProviderSettings } from '../../../domain/git-provider.js';

export interface UpdateProvider {
  readonly providerId: string;
  readonly type: ProviderType;
  readonly change: ProviderChange;
  readonly expectedVersion?: number;
}

/** The seed's github.update / gitlab.update, for every forge type. */
export class UpdateProviderHandler {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly urls: ForgeUrlPolicy,
    private readonly apps: GitHubAppLookup,
  ) {}

  async execute(actor: Actor, command: UpdateProvider): Promise<Result<GitProvider, Failure>> {
    const blocked = await this.checkUrls(command);
    if (blocked) return err(blocked);
    const appPage = command.type === 'github' ? await this.appPageAfter(command) : undefined;
    return this.uow.run(async () => {
      const provider = await this.providers.findById(command.providerId);
      if (!provider || !provider.isVisibleTo(actor) || provider.type !== command.type) return err(failure.notFound(`${command.type} provider`));
      if (command.change.name !== undefined && (await this.providers.existsWithName(provider.organizationId, command.change.name.trim(), provider.id))) {
        return err(failure.conflict(`A git provider named "${command.change.name.trim()}" already exists in the organisation`));
      }
      const change = appPage && provider.settings.type === 'github' ? withAppPage(command.change, appPage) : command.change;
      const updated = provider.update(actor, withTokenReset(provider, change), command.expectedVersion);
      if (!updated.ok) return updated;
      await this.providers.save(provider);
      return ok(provider);
    });
  }

  /** A URL change is checked on the settings it produces: a new public URL with an internal one set is not fetched. */
  private async checkUrls(command: UpdateProvider): Promise<Failure | undefined> {
    const change = (command.change.settings ?? {}) as Record<string, unknown>;
    if (!['githubUrl', 'gitlabUrl', 'giteaUrl', 'internalUrl'].some((key) => change[key] !== undefined)) return undefined;
    const current = await this.uow.read(() => this.providers.findById(command.providerId));
    const merged: Record<string, unknown> = { ...(current?.settings ?? {}), ...change };
    if (merged.internalUrl === null) delete merged.internalUrl;
    const url = typeof merged.internalUrl === 'string' ? 'internalUrl' : ['githubUrl', 'gitlabUrl', 'giteaUrl'].find((key) => typeof merged[key] === 'string');
    // Only a URL that changed needs the guard now (the others passed it when they were set).
    if (!url || change[url] === undefined && change.internalUrl === undefined) return undefined;
    return checkForgeUrl(this.urls, { [url]: merged[url] } as Partial<ProviderSettings>);
  }

  private async appPageAfter(command: UpdateProvider): Promise<AppPage | undefined> {
    const s = (command.change.settings ?? {}) as Partial<GitHubSettings>;
    const key = command.change.secrets?.privateKey;
    if (s.appId === undefined && s.githubUrl === undefined && s.internalUrl === undefined && !key) return undefined;
    const current = await this.uow.read(() => this.providers.findById(command.providerId));
    if (!current || current.settings.type !== 'github') return undefined;
    const merged = { ...current.settings, ...s } as ProviderSettings;
    const privateKey = key ? key.reveal() : current.secret('privateKey')?.reveal();
    return (await describedApp(this.apps, merged, privateKey)) ?? 'unknown';
  }
}

/** Tokens were issued by one server and OAuth application: moving either invalidates them. */
function withTokenReset(provider: GitProvider, change: ProviderChange): ProviderChange {
  const s = (change.settings ?? {}) as Record<string, unknown>;
  const current = provider.settings as unknown as Record<string, unknown>;
  const moved = ['gitlabUrl', 'giteaUrl', 'applicationId', 'clientId'].some((key) => s[key] !== undefined && s[key] !== current[key]);
  // internalUrl is the same server reached another way: tokens stay valid.
  if (!moved || (provider.type !== 'gitlab' && provider.type !== 'gitea')) return change;
  return { ...change, settings: { ...change.settings, tokenExpiresAt: null }, secrets: { ...change.secrets, accessToken: null, refreshToken: null } };
}

type AppPage = { appSlug: string; appHtmlUrl: string } | 'unknown';

/** When the app's id, key or host changes, its slug and page are learnt again (or dropped, so no stale installUrl). */
function withAppPage(change: ProviderChange, page: AppPage): ProviderChange {
  const settings = page === 'unknown' ? { appSlug: null, appHtmlUrl: null } : page;
  return { ...change, settings: { ...change.settings, ...settings } as ProviderChange['settings'] };
}
