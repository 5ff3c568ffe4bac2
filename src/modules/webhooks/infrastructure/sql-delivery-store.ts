import { type PreparedStatements } from '../../../platform/database/prepared-statements.js';
import { type MikroOrmUnitOfWork } from '../../../platform/database/unit-of-work.js';
import { OUTBOX_COLUMNS, outboxRecords, outboxRecordset } from '../../../platform/outbox/outbox-sql.js';
import { type GitProviderRepository } from '../../git-providers/domain/git-provider-repository.js';
import {
  type DeliveryScreen,
  type DeliveryStore,
  type MatchableSource,
  type WebhookProvider,
  type WebhookSecret,
} from '../application/ports/deliveries.js';
import { type NormalizedPush } from '../domain/push.js';
import { type WebhookDelivery } from '../domain/webhook-delivery.js';
import { type RepositoryHooks } from './repository-hooks.js';

/**
 * The candidates of one push, its parameters numbered from `$first` (provider id, repository, then the branch for a
 * branch push): the partial index service_source_match serves it, whatever the number of sources.
 */
export function candidatesSql(ref: NormalizedPush['ref'], first = 1): string {
  const [provider, repository, branch] = [first, first + 1, first + 2].map((n) => `$${n}`);
  return `select service_type, service_id, trigger_type, branch, watch_paths, auto_deploy from service_source
    where source_type = 'git' and provider_id = ${provider} and lower(repository) = lower(${repository})
      and ${ref.type === 'tag' ? `trigger_type = 'tag'` : `trigger_type = 'push' and branch = ${branch}`}
    order by service_type, service_id`;
}

const candidatesParams = (providerId: string, push: NormalizedPush): unknown[] =>
  push.ref.type === 'tag' ? [providerId, push.repository] : [providerId, push.repository, push.ref.name];

const PROVIDER_SQL = `select p.id, p.type, p.organization_id,
       md5(p.secrets || coalesce((select string_agg(h.repository || ' ' || h.secret, ' ' order by h.repository)
                                    from repository_hook h where h.provider_id = p.id), '')) as secrets_version
  from git_provider p where p.id = $1`;

const DELIVERY_COLUMNS = 'id, provider_id, organization_id, delivery_id, event, received_at, outcome, reason, deployments';

/** One statement, so one transaction: see record(). $1–$9 the delivery, $10 the events (OUTBOX_RECORDSET). */
const RECORD_SQL = `with first as (
     insert into webhook_delivery (${DELIVERY_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (provider_id, delivery_id) where outcome <> 'duplicate' do nothing
     returning id),
   events as (
     insert into outbox (${OUTBOX_COLUMNS})
     select ${OUTBOX_COLUMNS} from ${outboxRecordset('$10')} where exists (select 1 from first)
     returning 1),
   copy as (
     insert into webhook_delivery (${DELIVERY_COLUMNS})
     select $1, $2, $3, $4, $5, $6, 'duplicate', 'already received', 0 where not exists (select 1 from first)
     returning 1)
   select exists (select 1 from first) as first`;

/** Named statements are prepared per connection: one name per shape of the screening query (the refs' types). */
const MAX_NAMED_PUSHES = 4;

interface SecretsEntry {
  readonly version: string;
  readonly secrets: WebhookSecret[];
}

/**
 * The webhook hot path in plain SQL (ADR 0011): three round trips per delivery — the provider with a fingerprint of
 * its secrets, then dedupe + candidates, then one statement writing the delivery and its events.
 */
export class SqlDeliveryStore implements DeliveryStore {
  /** Decrypted verification secrets per provider, used while the provider's secretsVersion is unchanged (bounded LRU). */
  private readonly secretsCache = new Map<string, SecretsEntry>();

  constructor(
    private readonly sql: PreparedStatements,
    private readonly uow: MikroOrmUnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly hooks: RepositoryHooks,
    private readonly maxCachedProviders = 1_000,
  ) {}

  async provider(providerId: string): Promise<WebhookProvider | null> {
    // The fingerprint covers every column a verification secret comes from: the provider's encrypted secrets
    // (GitHub's webhookSecret) and its repository hooks' (GitLab, Gitea/Forgejo, Bitbucket).
    const [row] = await this.sql.query<{ id: string; type: WebhookProvider['type']; organization_id: string; secrets_version: string }>('webhook_provider', PROVIDER_SQL, [providerId]);
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
    if (provider.type !== 'github') return this.hooks.secretsFor(provider.id);
    const loaded = await this.uow.read(() => this.providers.findById(provider.id));
    const secret = loaded?.secret('webhookSecret');
    return secret ? [{ secret: secret.reveal() }] : [];
  }

  async screen(providerId: string, deliveryId: string, pushes: readonly NormalizedPush[]): Promise<DeliveryScreen> {
    const values: unknown[] = [providerId, deliveryId];
    const columns = pushes.map((push, i) => {
      const sql = candidatesSql(push.ref, values.length + 1);
      values.push(...candidatesParams(providerId, push));
      return `, (select coalesce(json_agg(json_build_object('serviceType', c.service_type, 'serviceId', c.service_id, 'triggerType', c.trigger_type,
                   'branch', c.branch, 'watchPaths', c.watch_paths, 'autoDeploy', c.auto_deploy) order by c.service_type, c.service_id), '[]'::json)
                 from (${sql}) c) as c${i}`;
    });
    const name = pushes.length <= MAX_NAMED_PUSHES ? `webhook_screen_${pushes.map((p) => p.ref.type[0]).join('')}` : undefined;
    const [row] = await this.sql.query<Record<string, unknown>>(
      name,
      `select exists (select 1 from webhook_delivery where provider_id = $1 and delivery_id = $2 and outcome <> 'duplicate') as received${columns.join('')}`,
      values,
    );
    return { alreadyReceived: row?.received === true, candidates: pushes.map((_, i) => (row?.[`c${i}`] as MatchableSource[] | undefined) ?? []) };
  }

  async record(delivery: WebhookDelivery): Promise<boolean> {
    const events = delivery.pullDomainEvents();
    const d = delivery;
    // One statement, so one transaction: the first record of provider + delivery id with its events, or (when a copy
    // was recorded first, also by a concurrent instance: the partial unique index decides) a `duplicate` record alone.
    const [row] = await this.sql.query<{ first: boolean }>('webhook_record', RECORD_SQL, [
      d.id, d.providerId, d.organizationId, d.deliveryId, d.event ?? null, d.receivedAt, d.outcome, d.reason, d.deployments,
      outboxRecords(events),
    ]);
    const first = row?.first === true;
    if (first && events.length > 0) this.uow.committed();
    return first;
  }
}
