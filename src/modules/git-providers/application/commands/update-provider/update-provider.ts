import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { type GitProvider, type ProviderChange, type ProviderType } from '../../../domain/git-provider.js';
import { type GitProviderRepository } from '../../../domain/git-provider-repository.js';
import { type ForgeUrlPolicy } from '../../ports/forge-url-policy.js';
import { checkForgeUrl } from '../create-provider/create-provider.js';

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
  ) {}

  async execute(actor: Actor, command: UpdateProvider): Promise<Result<GitProvider, Failure>> {
    const blocked = await checkForgeUrl(this.urls, command.change.settings ?? {});
    if (blocked) return err(blocked);
    return this.uow.run(async () => {
      const provider = await this.providers.findById(command.providerId);
      if (!provider || !provider.isVisibleTo(actor) || provider.type !== command.type) return err(failure.notFound(`${command.type} provider`));
      if (command.change.name !== undefined && (await this.providers.existsWithName(provider.organizationId, command.change.name.trim(), provider.id))) {
        return err(failure.conflict(`A git provider named "${command.change.name.trim()}" already exists in the organisation`));
      }
      const updated = provider.update(actor, withTokenReset(provider, command.change), command.expectedVersion);
      if (!updated.ok) return updated;
      await this.providers.save(provider);
      return ok(provider);
    });
  }
}

/** Tokens were issued by one server and OAuth application: moving either invalidates them. */
function withTokenReset(provider: GitProvider, change: ProviderChange): ProviderChange {
  const s = (change.settings ?? {}) as Record<string, unknown>;
  const current = provider.settings as unknown as Record<string, unknown>;
  const moved = ['gitlabUrl', 'giteaUrl', 'applicationId', 'clientId'].some((key) => s[key] !== undefined && s[key] !== current[key]);
  if (!moved || (provider.type !== 'gitlab' && provider.type !== 'gitea')) return change;
  return { ...change, settings: { ...change.settings, tokenExpiresAt: null }, secrets: { ...change.secrets, accessToken: null, refreshToken: null } };
}
