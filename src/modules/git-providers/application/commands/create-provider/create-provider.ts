import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import {
  GitProvider,
  INTERNAL_URL,
  type ProviderKind,
  type ProviderKinds,
  type ProviderSecrets,
  type ProviderSettings,
} from '../../../domain/git-provider.js';
import { type GitProviderRepository } from '../../../domain/git-provider-repository.js';
import { type ForgeUrlPolicy } from '../../ports/forge-url-policy.js';
import { type ForgeCatalog } from '../../ports/forge-catalog.js';

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
    private readonly kinds: ProviderKinds,
    private readonly forges: ForgeCatalog,
  ) {}

  /** Authorise before acting: a caller who may not create makes no DNS lookup, no forge call and no write. */
  async execute(actor: Actor, input: CreateProvider): Promise<Result<GitProvider, Failure>> {
    const allowed = GitProvider.authorizeCreate(actor);
    if (!allowed.ok) return allowed;
    const kind = this.kinds.of(input.settings.type);
    const blocked = await checkForgeUrl(this.urls, kind, input.settings);
    if (blocked) return err(blocked);
    // What the forge tells about itself (a hand-made GitHub App's slug and page, so the summary can offer installUrl).
    const learnt = await this.forges.learn(input.settings, input.secrets);
    const command = learnt ? { ...input, settings: { ...input.settings, ...learnt, type: input.settings.type } } : input;
    return this.uow.run(async () => {
      if (await this.providers.existsWithName(actor.organizationId, command.name.trim())) {
        return err(failure.conflict(`A git provider named "${command.name.trim()}" already exists in the organisation`));
      }
      const created = GitProvider.create(actor, { ...command, kind });
      if (!created.ok) return created;
      await this.providers.save(created.value);
      return ok(created.value);
    });
  }
}

/**
 * The SSRF guard on the URL forgelink's own requests will go to, as a VALIDATION_FAILED naming the field:
 * `internalUrl` when one is set (the public URL is then only shown to browsers), else the forge's address fields.
 */
export async function checkForgeUrl(policy: ForgeUrlPolicy, kind: ProviderKind, settings: ProviderSettings): Promise<Failure | undefined> {
  const s = settings as Record<string, unknown>;
  const fields = typeof s[INTERNAL_URL] === 'string' ? [INTERNAL_URL] : kind.addressFields.filter((field) => field !== INTERNAL_URL);
  for (const field of fields) {
    const url = s[field];
    if (typeof url !== 'string') continue;
    const reason = await policy.check(url);
    if (reason) return failure.validation(`${field} ${reason}`, [{ path: `body.${field}`, message: reason }]);
  }
  return undefined;
}
