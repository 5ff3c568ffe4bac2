import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { GitProvider, type ProviderSecrets, type ProviderSettings, serverUrlOf } from '../../../domain/git-provider.js';
import { type GitProviderRepository } from '../../../domain/git-provider-repository.js';
import { type ForgeUrlPolicy } from '../../ports/forge-url-policy.js';
import { type GitHubAppLookup } from '../../ports/github-app-lookup.js';

export interface CreateProvider {
  readonly name: string;
  readonly settings: ProviderSettings;
  readonly secrets: ProviderSecrets;
}

export class CreateProviderHandler {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly urls: ForgeUrlPolicy,
    private readonly apps: GitHubAppLookup,
  ) {}

  /** Authorise before acting: a caller who may not create makes no DNS lookup, no GitHub call and no write. */
  async execute(actor: Actor, input: CreateProvider): Promise<Result<GitProvider, Failure>> {
    const allowed = GitProvider.authorizeCreate(actor);
    if (!allowed.ok) return allowed;
    const blocked = await checkForgeUrl(this.urls, input.settings);
    if (blocked) return err(blocked);
    const command = await this.withAppPage(input);
    return this.uow.run(async () => {
      if (await this.providers.existsWithName(actor.organizationId, command.name.trim())) {
        return err(failure.conflict(`A git provider named "${command.name.trim()}" already exists in the organisation`));
      }
      const created = GitProvider.create(actor, command);
      if (!created.ok) return created;
      await this.providers.save(created.value);
      return ok(created.value);
    });
  }

  /** A hand-made GitHub App: ask GitHub for its slug and page (best effort) so the summary can offer installUrl. */
  private async withAppPage(command: CreateProvider): Promise<CreateProvider> {
    const app = await describedApp(this.apps, command.settings, command.secrets.privateKey?.reveal());
    return app ? { ...command, settings: { ...command.settings, ...app } as ProviderSettings } : command;
  }
}

export function describedApp(
  apps: GitHubAppLookup,
  settings: ProviderSettings,
  privateKey: string | undefined,
): Promise<{ appSlug: string; appHtmlUrl: string } | undefined> {
  if (settings.type !== 'github' || settings.appId === undefined || !privateKey) return Promise.resolve(undefined);
  return apps.describe({ githubUrl: serverUrlOf(settings), appId: settings.appId, privateKey });
}

/**
 * The SSRF guard on the URL forgelink's own requests will go to, as a VALIDATION_FAILED naming the field:
 * `internalUrl` when one is set (the public URL is then only shown to browsers), else the forge URL.
 */
export async function checkForgeUrl(policy: ForgeUrlPolicy, settings: Partial<ProviderSettings>): Promise<Failure | undefined> {
  const s = settings as Record<string, unknown>;
  const fields = typeof s.internalUrl === 'string' ? (['internalUrl'] as const) : (['githubUrl', 'gitlabUrl', 'giteaUrl'] as const);
  for (const field of fields) {
    const url = s[field];
    if (typeof url !== 'string') continue;
    const reason = await policy.check(url);
    if (reason) return failure.validation(`${field} ${reason}`, [{ path: `body.${field}`, message: reason }]);
  }
  return undefined;
}
