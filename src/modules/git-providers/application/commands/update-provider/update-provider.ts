import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import {
  type ChangedProvider,
  type GitProvider,
  INTERNAL_URL,
  type ProviderChange,
  type ProviderKind,
  type ProviderSettings,
  type ProviderType,
  type SettingsChange,
} from '../../../domain/git-provider.js';
import { type GitProviderRepository } from '../../../domain/git-provider-repository.js';
import { type ForgeUrlPolicy } from '../../ports/forge-url-policy.js';
import { type ForgeCatalog } from '../../ports/forge-catalog.js';
import { checkForgeUrl } from '../create-provider/create-provider.js';

export interface UpdateProvider {
  readonly providerId: string;
  readonly type: ProviderType;
  readonly change: ProviderChange;
  readonly expectedVersion?: number;
}

/**
 * The seed's github.update / gitlab.update, for every forge type.
 * Order (API contract, "Authorise before acting"): load → authorise → version → only then the SSRF guard's DNS
 * lookups and the forge's own lookup (a GitHub App's page) → write. A refused request makes no outbound request and
 * writes nothing. The provider is loaded once: the checks run on what the change would make of it (`previewUpdate`),
 * and the write resumes that same provider, so a change made in between is a CONFLICT (its version moved).
 */
export class UpdateProviderHandler {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly urls: ForgeUrlPolicy,
    private readonly forges: ForgeCatalog,
  ) {}

  async execute(actor: Actor, command: UpdateProvider): Promise<Result<GitProvider, Failure>> {
    const provider = await this.uow.read(() => this.providers.findById(command.providerId));
    if (!provider || !provider.isVisibleTo(actor) || provider.type !== command.type)
      return err(failure.notFound(`${command.type} provider`));
    const preview = provider.previewUpdate(actor, command.change, command.expectedVersion);
    if (!preview.ok) return preview;

    if (preview.value.movesAddress) {
      const blocked = await checkForgeUrl(this.urls, provider.kind(), outboundField(provider.kind(), preview.value.settings));
      if (blocked) return err(blocked);
    }
    const learnt = await this.learnAgain(provider, command.change, preview.value);

    return this.uow.run(async () => {
      await this.providers.resume(provider);
      const name = command.change.name?.trim();
      if (name !== undefined && (await this.providers.existsWithName(provider.organizationId, name, provider.id))) {
        return err(failure.conflict(`A git provider named "${name}" already exists in the organisation`));
      }
      const change = learnt ? { ...command.change, settings: { ...command.change.settings, ...learnt } } : command.change;
      const updated = provider.update(actor, change, command.expectedVersion);
      if (!updated.ok) return updated;
      await this.providers.save(provider);
      return ok(provider);
    });
  }

  /**
   * When what the forge told about itself was learnt from settings or secrets this change touches (a GitHub App's
   * id, key or address), it is learnt again, or dropped (so no stale installUrl). The credentials used are the ones the
   * provider keeps after the change: never a stored key for a new address.
   */
  private async learnAgain(provider: GitProvider, change: ProviderChange, after: ChangedProvider): Promise<SettingsChange | undefined> {
    const from = this.forges.learnsFrom(provider.type);
    if (from.length === 0) return undefined;
    const settings = (change.settings ?? {}) as Record<string, unknown>;
    const before = provider.settings as Record<string, unknown>;
    const touched = from.some(
      (key) => (settings[key] !== undefined && settings[key] !== before[key]) || (change.secrets?.[key] ?? undefined) !== undefined,
    );
    if (!touched) return undefined;
    const learnt = await this.forges.learn(after.settings, after.secrets);
    if (learnt) return learnt;
    return Object.fromEntries(provider.kind().learnedFromAddress.map((field) => [field, null]));
  }
}

/** The address forgelink's own requests go to after the change, under the name of the field that sets it. */
function outboundField(kind: ProviderKind, settings: ProviderSettings): ProviderSettings {
  if (kind.addressFields.length === 0) return { type: settings.type };
  const fields = settings as Record<string, unknown>;
  if (settings.internalUrl) return { type: settings.type, [INTERNAL_URL]: settings.internalUrl };
  const [field] = kind.addressFields;
  return field ? { type: settings.type, [field]: fields[field] } : { type: settings.type };
}
