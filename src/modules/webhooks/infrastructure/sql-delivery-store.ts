import { type PreparedStatements } from '../../../platform/database/prepared-statements.js';
import { type MikroOrmUnitOfWork } from '../../../platform/database/unit-of-work.js';
import { OUTBOX_COLUMNS, outboxRecords, outboxRecordset } from '../../../platform/outbox/outbox-sql.js';
import { type RepositoryRef } from '../../../shared/repository-identity.js';
import { type GitProviderRepository } from '../../git-providers/domain/git-provider-repository.js';
import {
  type DeliveryScreen,
  type DeliveryStore,
  type MatchableSource,
  type ScreenTarget,
  type WebhookProvider,
  type WebhookSecret,
} from '../application/ports/deliveries.js';
import { type WebhookDelivery } from '../domain/webhook-delivery.js';
import { type RepositoryHooks } from './repository-hooks.js';

/**
 * The candidates of one push, its parameters numbered from `$first`: provider id, [repository id,] repository name,
 * [branch]. By the forge's id (index service_source_match_id); rows stored before ids were recorded match by name
 * (index service_source_match) until a delivery fills their id in. Cost does not grow with the number of sources.
 */
export function candidatesSql(target: ScreenTarget, first = 1): { sql: string; params: (providerId: string) => unknown[] } {
  let n = first;
  const next = (): string => `$${n++}`;
  const provider = next();
  const id = target.repository.id !== undefined ? next() : undefined;
  const name = next();
  const wanted = 'ref' in target ? (target.ref.type === 'branch' ? target.ref.name : undefined) : target.targetBranch;
  const branch = wanted !== undefined ? next() : undefined;
  // A pull/merge request's candidates are the sources on its target branch, whatever their trigger (previews are their own opt-in).
  const refFilter = !('ref' in target)
    ? `branch = ${branch}`
    : branch
      ? `trigger_type = 'push' and branch = ${branch}`
      : `trigger_type = 'tag'`;
  const columns = 'service_type, service_id, repository, repository_id, trigger_type, branch, watch_paths, auto_deploy, previews';
  return {
    sql: `select ${columns} from service_source
           where source_type = 'git' and provider_id = ${provider} and ${id ? `repository_id = ${id}` : 'false'} and ${refFilter}
          union all
          select ${columns} from service_source
           where source_type = 'git' and provider_id = ${provider} and lower(repository) = lower(${name}) and repository_id is null and ${refFilter}`,
    params: (providerId) => [providerId, ...(id ? [target.repository.id] : []), target.repository.fullName, ...(branch ? [wanted] : [])],
  };
}

const PROVIDER_SQL = `select p.id, p.type, p.organization_id,
       md5(p.secrets || coalesce((select string_agg(h.repository || ' ' || coalesce(h.repository_id, '') || ' ' || h.secret, ' ' order by h.repository, h.secret)
                                    from repository_hook h where h.provider_id = p.id), '')) as secrets_version
  from git_provider p where p.id = $1`;

const DELIVERY_COLUMNS = 'id, provider_id, organization_id, delivery_id, event, received_at, outcome, reason, deployments';

/**
 * One statement, so one transaction: see record(). $1–$9 the delivery, $10 the events (outboxRecordset), $11 the
 * body's SHA-256, $12 the repository's forge id (hook health reads it back through webhook_delivery_repository; the
 * duplicate copy carries it too: a redelivery still shows the hook is alive). No conflict target: either partial
 * unique index (delivery id, or body hash) makes a duplicate.
 */
const RECORD_SQL = `with first as (
     insert into webhook_delivery (${DELIVERY_COLUMNS}, body_sha256, repository_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $12)
     on conflict do nothing
     returning id),
   events as (
     insert into outbox (${OUTBOX_COLUMNS})
     select ${OUTBOX_COLUMNS} from ${outboxRecordset('$10')} where exists (select 1 from first)
     returning 1),
   copy as (
     insert into webhook_delivery (${DELIVERY_COLUMNS}, repository_id)
     select $1, $2, $3, $4, $5, $6, 'duplicate', 'already received', 0, $12 where not exists (select 1 from first)
     returning 1)
   select exists (select 1 from first) as first`;

/** Named statements are prepared per connection: one name per shape of the screening query. */
const MAX_NAMED_PUSHES = 4;

/** Pushes screened per statement (each is one column of the select list; PostgreSQL allows 1,664). */
const SCREEN_BATCH = 200;

interface SecretsEntry {
  readonly version: string;
  readonly secrets: WebhookSecret[];
}

/**
 * The webhook hot path in plain SQL (ADR 0014): three round trips per delivery — the provider with a fingerprint of
 * its secrets, then dedupe + candidates, then one statement writing the delivery and its events — as named prepared
 * statements. A delivery that renames stored repositories (rare) is recorded through the unit of work instead.
 */
export class SqlDeliveryStore implements DeliveryStore {
  /** Decrypted verification secrets per provider, used while the provider's secretsVersion is unchanged (bounded LRU). */
  private readonly secretsCache = new Map<string, SecretsEntry>();

  constructor(
    private readonly sql: PreparedStatements,
    private readonly uow: MikroOrmUnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly hooks: RepositoryHooks,
    /** The provider's own webhookSecret signs its deliveries (an app-level hook), not each repository hook's. */
    private readonly signedByProvider: (type: string) => boolean,
    private readonly maxCachedProviders = 1_000,
  ) {}

  async provider(providerId: string): Promise<WebhookProvider | null> {
    // The fingerprint covers every column a verification secret comes from: the provider's encrypted secrets
    // (GitHub's webhookSecret) and its repository hooks' (GitLab, Gitea/Forgejo, Bitbucket), with what they are bound to.
    const [row] = await this.sql.query<{ id: string; type: WebhookProvider['type']; organization_id: string; secrets_version: string }>(
      'webhook_provider',
      PROVIDER_SQL,
      [providerId],
    );
    return row ? { id: row.id, type: row.type, organizationId: row.organization_id, secretsVersion: row.secrets_version } : null;
  }

  async secrets(provider: WebhookProvider): Promise<WebhookSecret[]> {
    const cached = this.secretsCache.get(provider.id);
    if (cached?.version === provider.secretsVersion) return cached.secrets;
    // Loaded after the version was read: at worst newer than it, and the next delivery then sees a new version.
    const secrets = await this.loadSecrets(provider);
    this.secretsCache.delete(provider.id);
    this.secretsCache.set(provider.id, { version: provider.secretsVersion, secrets });
    if (this.secretsCache.size > this.maxCachedProviders) {
      const oldest = this.secretsCache.keys().next().value;
      if (oldest !== undefined) this.secretsCache.delete(oldest);
    }
    return secrets;
  }

  private async loadSecrets(provider: WebhookProvider): Promise<WebhookSecret[]> {
    if (!this.signedByProvider(provider.type)) return this.hooks.secretsFor(provider.id);
    const loaded = await this.uow.read(() => this.providers.findById(provider.id));
    const secret = loaded?.secret('webhookSecret');
    return secret ? [{ secret: secret.reveal() }] : [];
  }

  async screen(providerId: string, deliveryId: string, bodySha256: string, pushes: readonly ScreenTarget[]): Promise<DeliveryScreen> {
    if (pushes.length > SCREEN_BATCH) {
      // One column per push: PostgreSQL allows 1,664 in a select list, and a mirror push can change thousands of refs.
      const batches: DeliveryScreen[] = [];
      for (let i = 0; i < pushes.length; i += SCREEN_BATCH)
        batches.push(await this.screen(providerId, deliveryId, bodySha256, pushes.slice(i, i + SCREEN_BATCH)));
      return { alreadyReceived: batches[0]?.alreadyReceived === true, candidates: batches.flatMap((b) => b.candidates) };
    }
    const values: unknown[] = [providerId, deliveryId, bodySha256];
    const columns = pushes.map((push, i) => {
      const candidates = candidatesSql(push, values.length + 1);
      values.push(...candidates.params(providerId));
      return `, (select coalesce(json_agg(json_build_object('serviceType', c.service_type, 'serviceId', c.service_id, 'repository', c.repository,
                   'repositoryId', c.repository_id, 'triggerType', c.trigger_type, 'branch', c.branch, 'watchPaths', c.watch_paths,
                   'autoDeploy', c.auto_deploy, 'previews', c.previews) order by c.service_type, c.service_id), '[]'::json)
                 from (${candidates.sql}) c) as c${i}`;
    });
    const shape = pushes.map((p) => `${'ref' in p ? p.ref.type[0] : 'p'}${p.repository.id !== undefined ? 'i' : 'n'}`).join('');
    const [row] = await this.sql.query<Record<string, unknown>>(
      pushes.length <= MAX_NAMED_PUSHES ? `webhook_screen_${shape}` : undefined,
      `select exists (select 1 from webhook_delivery where provider_id = $1 and (delivery_id = $2 or body_sha256 = $3) and outcome <> 'duplicate') as received${columns.join('')}`,
      values,
    );
    return {
      alreadyReceived: row?.received === true,
      candidates: pushes.map((_, i) => (row?.[`c${i}`] as MatchableSource[] | undefined) ?? []),
    };
  }

  /**
   * The forge showed the repository with this id under this name (contract: "Repository identity"): sources and the
   * hook with the id take the name; rows stored before ids were recorded, found by name, take the id. Runs inside
   * record()'s transaction, so the names change together with the delivery that showed them.
   */
  private async followRepository(providerId: string, repository: RepositoryRef & { id: string }): Promise<void> {
    const em = this.uow.em;
    const run = (sql: string, params: unknown[]) => em.getConnection().execute(sql, params, 'run', em.getTransactionContext());
    const owner = repository.fullName.slice(0, repository.fullName.lastIndexOf('/'));
    await run(
      `update service_source set repository = ?, owner = ?, repository_id = ?, version = version + 1, updated_at = now()
        where source_type = 'git' and provider_id = ?
          and (repository_id = ? or (repository_id is null and lower(repository) = lower(?)))
          and (repository <> ? or repository_id is null)`,
      [repository.fullName, owner, repository.id, providerId, repository.id, repository.fullName, repository.fullName],
    );
    await run(`update repository_hook set repository = ? where provider_id = ? and repository_id = ? and repository <> ?`, [
      repository.fullName,
      providerId,
      repository.id,
      repository.fullName,
    ]);
    // A hook row older than ids takes this one, unless a row with the id exists already (then that one is the hook).
    await run(
      `update repository_hook set repository_id = ?, repository = ?
        where ctid = (select ctid from repository_hook where provider_id = ? and repository_id is null and lower(repository) = lower(?) limit 1)
          and not exists (select 1 from repository_hook where provider_id = ? and repository_id = ?)`,
      [repository.id, repository.fullName, providerId, repository.fullName, providerId, repository.id],
    );
  }

  async record(delivery: WebhookDelivery): Promise<boolean> {
    if (delivery.renamed.length > 0) return this.recordWithRenames(delivery);
    const events = delivery.pullDomainEvents();
    const d = delivery;
    // One statement, so one transaction: the first record of provider + delivery id with its events, or (when a copy
    // or the same body, was recorded first, also by a concurrent instance: the partial unique indexes decide) a
    // `duplicate` record alone.
    const [row] = await this.sql.query<{ first: boolean }>('webhook_record', RECORD_SQL, [
      d.id,
      d.providerId,
      d.organizationId,
      d.deliveryId,
      d.event ?? null,
      d.receivedAt,
      d.outcome,
      d.reason,
      d.deployments,
      outboxRecords(events),
      d.bodySha256 ?? null,
      d.repositoryId,
    ]);
    const first = row?.first === true;
    if (first && events.length > 0) this.uow.committed();
    return first;
  }

  /** record() through the unit of work, for a delivery that also renames stored repositories (rare). */
  private async recordWithRenames(delivery: WebhookDelivery): Promise<boolean> {
    return this.uow.run(async () => {
      const em = this.uow.em;
      const connection = em.getConnection();
      const inserted = (await connection.execute(
        // No conflict target: either unique index (delivery id, or body hash) makes this a duplicate.
        `insert into webhook_delivery (id, provider_id, organization_id, delivery_id, event, received_at, outcome, reason, deployments, body_sha256, repository_id)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         on conflict do nothing
         returning id`,
        [
          delivery.id,
          delivery.providerId,
          delivery.organizationId,
          delivery.deliveryId,
          delivery.event ?? null,
          delivery.receivedAt,
          delivery.outcome,
          delivery.reason,
          delivery.deployments,
          delivery.bodySha256 ?? null,
          delivery.repositoryId,
        ],
        'all',
        em.getTransactionContext(),
      )) as unknown[];
      if (inserted.length > 0) {
        for (const repository of delivery.renamed) await this.followRepository(delivery.providerId, repository);
        this.uow.track(delivery);
        return true;
      }
      await connection.execute(
        `insert into webhook_delivery (id, provider_id, organization_id, delivery_id, event, received_at, outcome, reason, deployments, repository_id)
         values (?, ?, ?, ?, ?, ?, 'duplicate', 'already received', 0, ?)`,
        [
          delivery.id,
          delivery.providerId,
          delivery.organizationId,
          delivery.deliveryId,
          delivery.event ?? null,
          delivery.receivedAt,
          delivery.repositoryId,
        ],
        'run',
        em.getTransactionContext(),
      );
      return false;
    });
  }
}
