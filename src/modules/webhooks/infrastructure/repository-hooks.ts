import { randomBytes } from 'node:crypto';
import { type Knex } from '@mikro-orm/postgresql';
import { HOOK_SECRET_PURPOSE } from '../../../platform/crypto/secret-purposes.js';
import { type PublicUrls } from '../../../shared/public-urls.js';
import { type UnitOfWork } from '../../../shared/unit-of-work.js';
import { type SecretCipher } from '../../../platform/crypto/secret-cipher.js';
import { type Logger } from '../../../platform/logging/logger.js';
import { ForgeError } from '../../git-providers/application/ports/forge.js';
import { type ForgeConnector } from '../../git-providers/application/ports/forge-connector.js';
import { type RegisteredHooks } from '../../git-providers/application/commands/remove-provider/remove-provider.js';
import { type GitProvider } from '../../git-providers/domain/git-provider.js';
import { type GitProviderRepository } from '../../git-providers/domain/git-provider-repository.js';
import { type ForgeRepositoryRef, type WebhookRegistrar } from '../../service-sources/application/ports/source-forge.js';
import { type RepositoryRef } from '../../../shared/repository-identity.js';
import { type WebhookRegistration } from '../../service-sources/domain/service-source.js';

const SECRET_PURPOSE = HOOK_SECRET_PURPOSE;

/**
 * One forge hook per provider + repository id (whatever spelling sources were connected with), with a secret forgelink generates and keeps encrypted
 * (GitLab: the hook token; Gitea/Forgejo and Bitbucket: the HMAC secret). Registration and release of the
 * same repository are serialised with an advisory lock, so racing connects cannot leave the forge and the
 * database with different secrets.
 */
export class RepositoryHooks implements WebhookRegistrar, RegisteredHooks {
  constructor(
    private readonly knex: Knex,
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly connector: ForgeConnector,
    private readonly cipher: SecretCipher,
    private readonly urls: PublicUrls,
    private readonly logger: Logger,
  ) {}

  async register(provider: GitProvider, repository: ForgeRepositoryRef): Promise<WebhookRegistration> {
    const url = this.urls.webhookUrl(provider.id);
    const appManaged = this.connector.appManagedHooks(provider);
    // The forge's app delivers every repository's events (a GitHub App): nothing to register.
    if (appManaged)
      return { registered: true, url, managedBy: appManaged as WebhookRegistration['managedBy'], registeredAt: new Date().toISOString() };
    const hooks = this.connector.hooks(provider);
    if (!hooks) return { registered: false, url, managedBy: 'forgelink', error: 'This forge has no repository hooks' };
    try {
      return await this.knex.transaction(async (trx) => {
        await lock(trx, provider.id, repository);
        // The row with this id, else one stored before ids were recorded under any spelling of the name.
        const { rows } = (await trx.raw(
          `select ctid::text as row, secret, repository_id, created_at from repository_hook
            where provider_id = ? and (repository_id = ? or (repository_id is null and lower(repository) = lower(?)))
            order by repository_id nulls last limit 1`,
          [provider.id, repository.id, repository.fullName],
        )) as { rows: { row: string; secret: string; repository_id: string | null; created_at: Date }[] };
        const existing = rows[0];
        const secret = existing ? this.cipher.decrypt(existing.secret, SECRET_PURPOSE) : randomBytes(32).toString('hex');
        const hook = await hooks.ensureHook(repository.fullName, url, secret);
        if (existing && existing.repository_id === null) {
          await trx.raw('update repository_hook set repository_id = ?, repository = ?, hook_id = ?, url = ? where ctid = ?::tid', [
            repository.id,
            repository.fullName,
            hook.id,
            url,
            existing.row,
          ]);
        } else {
          await trx.raw(
            `insert into repository_hook (provider_id, repository_id, repository, hook_id, url, secret, created_at) values (?, ?, ?, ?, ?, ?, now())
             on conflict (provider_id, repository_id) where repository_id is not null
             do update set repository = excluded.repository, hook_id = excluded.hook_id, url = excluded.url`,
            [
              provider.id,
              repository.id,
              repository.fullName,
              hook.id,
              url,
              existing?.secret ?? this.cipher.encrypt(secret, SECRET_PURPOSE),
            ],
          );
        }
        // The hook row's age: a hook that already served the repository keeps counting deliveries from its creation.
        const registeredAt = (existing ? new Date(existing.created_at) : new Date()).toISOString();
        return { registered: true, url, managedBy: 'forgelink' as const, registeredAt };
      });
    } catch (error) {
      if (!(error instanceof ForgeError)) throw error;
      this.logger.warn(
        { providerId: provider.id, repository: repository.fullName, kind: error.kind, detail: error.message },
        'webhook registration refused',
      );
      // A refusal of this repository leaves the provider ready; a refusal of the credentials flagged it (ForgeConnector).
      const why =
        error.kind === 'resource_forbidden'
          ? `the forge refused to create the webhook: ${error.message}; the credentials need admin/maintainer rights on the repository`
          : error.message;
      return { registered: false, url, managedBy: 'forgelink', error: why };
    }
  }

  async releaseIfUnused(providerId: string, repository: RepositoryRef): Promise<void> {
    try {
      await this.knex.transaction(async (trx) => {
        await lock(trx, providerId, repository);
        // Sources and hooks are the same repository when their ids agree; rows older than ids compare by name.
        const same = `(repository_id = ? or ((repository_id is null or ?::text is null) and lower(repository) = lower(?)))`;
        const args = [repository.id ?? null, repository.id ?? null, repository.fullName];
        const { rows: users } = (await trx.raw(
          `select 1 from service_source where provider_id = ? and source_type = 'git' and ${same} limit 1`,
          [providerId, ...args],
        )) as { rows: unknown[] };
        if (users.length > 0) return;
        const { rows } = (await trx.raw(`delete from repository_hook where provider_id = ? and ${same} returning repository`, [
          providerId,
          ...args,
        ])) as { rows: { repository: string }[] };
        if (rows.length === 0) return;
        // Still under the lock: a connect waiting for it must not update the hook this removal is about to delete.
        const provider = await this.uow.read(() => this.providers.findById(providerId));
        // A provider without usable credentials is not asked (the hook stays on the forge; its deliveries find no source).
        if (provider?.status === 'ready') await this.removeFromForge(provider, [...new Set(rows.map((r) => r.repository))]);
      });
    } catch (error) {
      this.logger.warn({ providerId, repository: repository.fullName, err: error }, 'releasing a repository webhook failed');
    }
  }

  async repositoriesWithHooks(providerId: string): Promise<string[]> {
    const { rows } = (await this.knex.raw('select repository from repository_hook where provider_id = ? order by repository', [
      providerId,
    ])) as { rows: { repository: string }[] };
    return rows.map((r) => r.repository);
  }

  async removeFromForge(provider: GitProvider, repositories: readonly string[]): Promise<void> {
    const hooks = this.connector.hooks(provider);
    if (!hooks) return;
    const url = this.urls.webhookUrl(provider.id);
    for (const repository of repositories) {
      try {
        await hooks.removeHook(repository, url);
      } catch (error) {
        this.logger.warn(
          { providerId: provider.id, repository, detail: error instanceof Error ? error.message : String(error) },
          'removing a webhook from the forge failed; remove it by hand',
        );
      }
    }
  }

  /**
   * Every hook secret registered for the provider, each bound to its repository (by id; by name for hooks stored
   * before ids were recorded): the candidates a GitLab/Gitea/Bitbucket delivery is verified against.
   */
  async secretsFor(providerId: string): Promise<{ secret: string; repository: RepositoryRef }[]> {
    const { rows } = (await this.knex.raw('select repository, repository_id, secret from repository_hook where provider_id = ?', [
      providerId,
    ])) as {
      rows: { repository: string; repository_id: string | null; secret: string }[];
    };
    return rows.map((r) => ({
      secret: this.cipher.decrypt(r.secret, SECRET_PURPOSE),
      repository: r.repository_id === null ? { fullName: r.repository } : { id: r.repository_id, fullName: r.repository },
    }));
  }
}

/** Registration and release of one repository are serialised: keyed by its id (by its lower-cased name on rows older than ids). */
const lock = (trx: Knex.Transaction, providerId: string, repository: RepositoryRef): Promise<unknown> =>
  trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [
    `hook:${providerId}:${repository.id ?? repository.fullName.toLowerCase()}`,
  ]);
