import { type PreparedStatements } from '../../../platform/database/prepared-statements.js';
import { type MikroOrmUnitOfWork } from '../../../platform/database/unit-of-work.js';
import { BatchedStatement } from '../../../platform/database/batched-statement.js';
import { OUTBOX_COLUMNS, outboxRecord, outboxRecordset } from '../../../platform/outbox/outbox-sql.js';
import { type RepositoryRef } from '../../../shared/repository-identity.js';
import { type GitProviderRepository } from '../../git-providers/domain/git-provider-repository.js';
import {
  type DeliveryScreen,
  type DeliveryStore,
  type KnownProvider,
  type MatchableSource,
  type ScreenTarget,
  type WebhookProvider,
  type WebhookSecret,
} from '../application/ports/deliveries.js';
import { type WebhookDelivery } from '../domain/webhook-delivery.js';
import { type RepositoryHooks } from './repository-hooks.js';

/**
 * The fingerprint of provider `p`'s verification secrets: every column a secret comes from — the provider's encrypted
 * secrets (GitHub's webhookSecret) and its repository hooks' (GitLab, Gitea/Forgejo, Bitbucket), with what they are bound to.
 */
const SECRETS_VERSION = `md5(p.secrets || coalesce((select string_agg(h.repository || ' ' || coalesce(h.repository_id, '') || ' ' || h.secret, ' ' order by h.repository, h.secret)
                                    from repository_hook h where h.provider_id = p.id), ''))`;

const SOURCE_COLUMNS = 'service_type, service_id, repository, repository_id, trigger_type, branch, watch_paths, auto_deploy, previews';

/**
 * The candidates of target `t` (a row of the screen's targets): by the forge's id (index service_source_match_id),
 * and rows stored before ids were recorded by name (index service_source_match) until a delivery fills their id in.
 * One arm per kind of target — a branch push (`b`: push-triggered sources of that branch), a tag push (`t`: tag-triggered
 * sources), a pull/merge request (`p`: the target branch's sources, whatever their trigger; previews are their own
 * opt-in) — each gated by a one-time filter on the kind, so every arm is an index scan on equalities. Cost does not
 * grow with the number of sources.
 */
const CANDIDATES_SQL = (['id', 'name'] as const)
  .flatMap((by) =>
    (
      [
        [`b`, `trigger_type = 'push' and branch = t.branch`],
        [`t`, `trigger_type = 'tag'`],
        [`p`, `branch = t.branch`],
      ] as const
    ).map(
      ([kind, ref]) =>
        `select ${SOURCE_COLUMNS} from service_source
          where t.kind = '${kind}' and source_type = 'git' and provider_id = t.provider_id and ${
            by === 'id' ? 'repository_id = t.repository_id' : 'lower(repository) = lower(t.name) and repository_id is null'
          } and ${ref}`,
    ),
  )
  .join('\n union all ');

/**
 * Dedupe and candidates of a batch of deliveries in one statement (ADR 0014, 0021). The dedupe is two lookups per
 * delivery, each the whole key of one partial unique index (webhook_delivery_once: provider, delivery id;
 * webhook_delivery_body_once: body hash, provider), as lateral `limit 1` subqueries: an `exists` over both keys was
 * planned as a scan of all the provider's deliveries, or as a hash of the whole table per statement (PostgreSQL
 * assumes 100 rows from jsonb_to_recordset), whose cost grew with every delivery received. The hash lookup compares
 * the provider as text, so no index led by provider_id can serve it: a plan cached while the table is small cannot
 * pick webhook_delivery_once for it (same estimated cost then) and scan the provider's deliveries ever after. $1: the deliveries
 * (`i`, provider, delivery id, body SHA-256), answered by one row each (`j` null) telling whether the provider +
 * delivery id or the same body was recorded already; $2: their targets (`i`, `j` its position), answered by one row
 * each with its candidate sources as JSON.
 */
export const SCREEN_SQL = `with d as (select * from jsonb_to_recordset($1::jsonb) as d(i int, provider_id uuid, delivery_id text, body_sha256 text)),
     t as (select * from jsonb_to_recordset($2::jsonb) as t(i int, j int, provider_id uuid, repository_id text, name text, kind text, branch text))
select d.i, null::int as j, by_id.hit is not null or by_body.hit is not null as received, null::json as candidates,
       (select ${SECRETS_VERSION} from git_provider p where p.id = d.provider_id) as secrets_version
  from d
  left join lateral (select true as hit from webhook_delivery w
                      where w.provider_id = d.provider_id and w.delivery_id = d.delivery_id and w.outcome <> 'duplicate' limit 1) by_id on true
  left join lateral (select true as hit from webhook_delivery w
                      where w.body_sha256 = d.body_sha256 and w.provider_id::text = d.provider_id::text and w.body_sha256 is not null and w.outcome <> 'duplicate'
                      limit 1) by_body on true
union all
select t.i, t.j, null,
       (select coalesce(json_agg(json_build_object('serviceType', c.service_type, 'serviceId', c.service_id, 'repository', c.repository,
                 'repositoryId', c.repository_id, 'triggerType', c.trigger_type, 'branch', c.branch, 'watchPaths', c.watch_paths,
                 'autoDeploy', c.auto_deploy, 'previews', c.previews) order by c.service_type, c.service_id), '[]'::json)
          from (${CANDIDATES_SQL}) c), null
  from t`;

/** One delivery to screen: see DeliveryStore.screen. */
export interface ScreenInput {
  readonly providerId: string;
  readonly deliveryId: string;
  readonly bodySha256: string;
  readonly targets: readonly ScreenTarget[];
}

/** SCREEN_SQL's two parameters for a batch. */
export function screenParams(inputs: readonly ScreenInput[]): [string, string] {
  const deliveries = inputs.map((input, i) => ({
    i,
    provider_id: input.providerId,
    delivery_id: input.deliveryId,
    body_sha256: input.bodySha256,
  }));
  const targets = inputs.flatMap((input, i) =>
    input.targets.map((target, j) => ({
      i,
      j,
      provider_id: input.providerId,
      repository_id: target.repository.id ?? null,
      name: target.repository.fullName,
      kind: 'ref' in target ? (target.ref.type === 'branch' ? 'b' : 't') : 'p',
      branch: 'ref' in target ? (target.ref.type === 'branch' ? target.ref.name : null) : target.targetBranch,
    })),
  );
  return [JSON.stringify(deliveries), JSON.stringify(targets)];
}

interface ScreenRow {
  readonly secrets_version: string | null;
  readonly i: number;
  readonly j: number | null;
  readonly received: boolean | null;
  readonly candidates: MatchableSource[] | null;
}

/** SCREEN_SQL's rows as one DeliveryScreen per input, in order. */
export function screensOf(inputs: readonly ScreenInput[], rows: readonly ScreenRow[]): DeliveryScreen[] {
  const screens = inputs.map((input) => ({
    secretsVersion: null as string | null,
    alreadyReceived: false,
    candidates: input.targets.map((): readonly MatchableSource[] => []),
  }));
  for (const row of rows) {
    const screen = screens[row.i];
    if (!screen) continue;
    if (row.j === null) {
      screen.alreadyReceived = row.received === true;
      screen.secretsVersion = row.secrets_version;
    } else screen.candidates[row.j] = row.candidates ?? [];
  }
  return screens;
}

/** The providers of a batch ($1, ids): each with the fingerprint of its verification secrets. */
const PROVIDERS_SQL = `select p.id, p.type, p.organization_id, ${SECRETS_VERSION} as secrets_version from git_provider p where p.id = any($1::uuid[])`;

const DELIVERY_COLUMNS =
  'id, provider_id, organization_id, delivery_id, event, received_at, outcome, reason, deployments, body_sha256, repository_id';

/**
 * A batch of deliveries and their events in one statement, so one transaction (ADR 0014, 0021). $1: the deliveries
 * (`i` their position); $2: their events, each with the id of its delivery and its position `n` in the batch. Each
 * delivery is inserted unless either partial unique index (provider + delivery id, or body hash) already holds a
 * first record of it — committed earlier, by a concurrent instance, or earlier in this very batch (no conflict
 * target: either index makes a duplicate) —; the events of the inserted ones follow, in order; the others are
 * stored as a `duplicate` record without events (it keeps the repository id: a redelivery still shows the hook is
 * alive). Answers one row per delivery: whether it was the first.
 */
const RECORD_SQL = `with d as (
     select * from jsonb_to_recordset($1::jsonb) as d(i int, id uuid, provider_id uuid, organization_id uuid, delivery_id text, event text,
       received_at timestamptz, outcome text, reason text, deployments int, body_sha256 text, repository_id text)),
   first as (
     insert into webhook_delivery (${DELIVERY_COLUMNS})
     select ${DELIVERY_COLUMNS} from d order by i
     on conflict do nothing
     returning id),
   events as (
     insert into outbox (${OUTBOX_COLUMNS})
     select ${OUTBOX_COLUMNS} from ${outboxRecordset('$2', 'delivery uuid, n int')}
      where e.delivery in (select id from first) order by e.n
     returning 1),
   copy as (
     insert into webhook_delivery (${DELIVERY_COLUMNS})
     select id, provider_id, organization_id, delivery_id, event, received_at, 'duplicate', 'already received', 0, null, repository_id
       from d where id not in (select id from first)
     returning 1)
   select d.i, d.id in (select id from first) as first from d order by d.i`;

/** Targets one delivery brings to a screen statement at most: a mirror push with more is screened in parts. */
const MAX_TARGETS_PER_SCREEN = 2_000;

interface ProviderRow {
  readonly id: string;
  readonly type: WebhookProvider['type'];
  readonly organization_id: string;
  readonly secrets_version: string;
}

/**
 * The webhook hot path in plain SQL (ADR 0014): three statements per delivery — the provider with a fingerprint of
 * its secrets, then dedupe + candidates, then one statement writing the delivery and its events — as named prepared
 * statements, each batched with the concurrent deliveries' (ADR 0021: under load one round trip and one commit
 * serve many deliveries; alone, a delivery waits for nothing). A delivery that renames stored repositories (rare)
 * is recorded through the unit of work instead.
 */
export class SqlDeliveryStore implements DeliveryStore {
  /** Providers with their decrypted verification secrets, as last read (bounded LRU; see knownProvider). */
  private readonly known = new Map<string, KnownProvider>();
  /** Secrets being loaded, per provider id and secrets version. */
  private readonly loading = new Map<string, Promise<WebhookSecret[]>>();
  private readonly providers: BatchedStatement<string, WebhookProvider | null>;
  private readonly screens: BatchedStatement<ScreenInput, DeliveryScreen>;
  private readonly records: BatchedStatement<WebhookDelivery, boolean>;

  constructor(
    private readonly sql: PreparedStatements,
    private readonly uow: MikroOrmUnitOfWork,
    private readonly providerRepository: GitProviderRepository,
    private readonly hooks: RepositoryHooks,
    /** The provider's own webhookSecret signs its deliveries (an app-level hook), not each repository hook's. */
    private readonly signedByProvider: (type: string) => boolean,
    private readonly maxCachedProviders = 1_000,
    /** Deliveries per batched statement at most (ADR 0021). */
    maxBatch = 64,
  ) {
    this.providers = new BatchedStatement((ids) => this.loadProviders(ids), maxBatch);
    this.screens = new BatchedStatement((inputs) => this.screenBatch(inputs), maxBatch);
    this.records = new BatchedStatement((deliveries) => this.recordBatch(deliveries), maxBatch);
  }

  provider(providerId: string): Promise<WebhookProvider | null> {
    return this.providers.submit(providerId);
  }

  private async loadProviders(ids: readonly string[]): Promise<(WebhookProvider | null)[]> {
    const rows = await this.sql.query<ProviderRow>('webhook_providers', PROVIDERS_SQL, [[...new Set(ids)]]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => {
      const row = byId.get(id);
      return row ? { id: row.id, type: row.type, organizationId: row.organization_id, secretsVersion: row.secrets_version } : null;
    });
  }

  knownProvider(providerId: string): KnownProvider | undefined {
    return this.known.get(providerId);
  }

  async secrets(provider: WebhookProvider): Promise<readonly WebhookSecret[]> {
    const cached = this.known.get(provider.id);
    if (cached?.provider.secretsVersion === provider.secretsVersion) return cached.secrets;
    // Concurrent deliveries to a provider this instance has not read yet (a start under load) share one load.
    const key = `${provider.id} ${provider.secretsVersion}`;
    let loading = this.loading.get(key);
    if (!loading) {
      // Loaded after the version was read: at worst newer than it, and the next screen then reports a new version.
      loading = this.loadSecrets(provider).finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    const secrets = await loading;
    this.known.delete(provider.id);
    this.known.set(provider.id, { provider, secrets });
    if (this.known.size > this.maxCachedProviders) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
    return secrets;
  }

  private async loadSecrets(provider: WebhookProvider): Promise<WebhookSecret[]> {
    if (!this.signedByProvider(provider.type)) return this.hooks.secretsFor(provider.id);
    const loaded = await this.uow.read(() => this.providerRepository.findById(provider.id));
    const secret = loaded?.secret('webhookSecret');
    return secret ? [{ secret: secret.reveal() }] : [];
  }

  async screen(providerId: string, deliveryId: string, bodySha256: string, targets: readonly ScreenTarget[]): Promise<DeliveryScreen> {
    if (targets.length <= MAX_TARGETS_PER_SCREEN) return this.screens.submit({ providerId, deliveryId, bodySha256, targets });
    // A mirror push can change thousands of refs: screened in parts, so no statement grows without bound.
    const parts: DeliveryScreen[] = [];
    for (let i = 0; i < targets.length; i += MAX_TARGETS_PER_SCREEN)
      parts.push(await this.screens.submit({ providerId, deliveryId, bodySha256, targets: targets.slice(i, i + MAX_TARGETS_PER_SCREEN) }));
    return {
      secretsVersion: parts[0]?.secretsVersion ?? null,
      alreadyReceived: parts[0]?.alreadyReceived === true,
      candidates: parts.flatMap((part) => part.candidates),
    };
  }

  private async screenBatch(inputs: readonly ScreenInput[]): Promise<DeliveryScreen[]> {
    return screensOf(inputs, await this.sql.query<ScreenRow>('webhook_screen', SCREEN_SQL, screenParams(inputs)));
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
    return this.records.submit(delivery);
  }

  private async recordBatch(batch: readonly WebhookDelivery[]): Promise<boolean[]> {
    // Peeked, not pulled: a failed batch is run again delivery by delivery (BatchedStatement), with the same events.
    const events = batch.map((delivery) => delivery.peekDomainEvents());
    const deliveries = batch.map((d, i) => ({
      i,
      id: d.id,
      provider_id: d.providerId,
      organization_id: d.organizationId,
      delivery_id: d.deliveryId,
      event: d.event ?? null,
      received_at: d.receivedAt.toISOString(),
      outcome: d.outcome,
      reason: d.reason,
      deployments: d.deployments,
      body_sha256: d.bodySha256 ?? null,
      repository_id: d.repositoryId,
    }));
    let n = 0;
    const records = batch.flatMap((d, i) => (events[i] ?? []).map((event) => outboxRecord(event, { delivery: d.id, n: n++ })));
    const rows = await this.sql.query<{ i: number; first: boolean }>('webhook_record', RECORD_SQL, [
      JSON.stringify(deliveries),
      JSON.stringify(records),
    ]);
    for (const delivery of batch) delivery.pullDomainEvents();
    const firstOf = new Map(rows.map((row) => [row.i, row.first]));
    const first = batch.map((_, i) => firstOf.get(i) === true);
    if (first.some((was, i) => was && (events[i]?.length ?? 0) > 0)) this.uow.committed();
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
