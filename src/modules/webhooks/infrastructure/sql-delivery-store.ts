import { type MikroOrmUnitOfWork } from '../../../platform/database/unit-of-work.js';
import { type ReadDatabase } from '../../../shared/read-database.js';
import { type GitProviderRepository } from '../../git-providers/domain/git-provider-repository.js';
import { type DeliveryStore, type MatchableSource, type WebhookProvider, type WebhookSecret } from '../application/ports/deliveries.js';
import { type WebhookDelivery } from '../domain/webhook-delivery.js';
import { type RepositoryHooks } from './repository-hooks.js';

interface SourceRow {
  service_type: string;
  service_id: string;
  trigger_type: 'push' | 'tag';
  branch: string | null;
  watch_paths: string[] | null;
  auto_deploy: boolean;
}

export class SqlDeliveryStore implements DeliveryStore {
  constructor(
    private readonly db: ReadDatabase,
    private readonly uow: MikroOrmUnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly hooks: RepositoryHooks,
  ) {}

  async provider(providerId: string): Promise<WebhookProvider | null> {
    const [row] = await this.db.query<{ id: string; type: WebhookProvider['type']; organization_id: string }>('select id, type, organization_id from git_provider where id = ?', [providerId]);
    return row ? { id: row.id, type: row.type, organizationId: row.organization_id } : null;
  }

  async secrets(provider: WebhookProvider): Promise<WebhookSecret[]> {
    if (provider.type !== 'github') return this.hooks.secretsFor(provider.id);
    const loaded = await this.uow.read(() => this.providers.findById(provider.id));
    const secret = loaded?.secret('webhookSecret');
    return secret ? [{ secret: secret.reveal() }] : [];
  }

  async alreadyReceived(providerId: string, deliveryId: string, bodySha256: string): Promise<boolean> {
    const rows = await this.db.query(`select 1 from webhook_delivery where provider_id = ? and (delivery_id = ? or body_sha256 = ?) and outcome <> 'duplicate' limit 1`, [providerId, deliveryId, bodySha256]);
    return rows.length > 0;
  }

  async candidates(providerId: string, repository: string, ref: { type: 'branch' | 'tag'; name: string }): Promise<MatchableSource[]> {
    const rows = await this.db.query<SourceRow>(
      `select service_type, service_id, trigger_type, branch, watch_paths, auto_deploy from service_source
        where source_type = 'git' and provider_id = ? and lower(repository) = lower(?)
          and ${ref.type === 'tag' ? `trigger_type = 'tag'` : `trigger_type = 'push' and branch = ?`}
        order by service_type, service_id`,
      ref.type === 'tag' ? [providerId, repository] : [providerId, repository, ref.name],
    );
    return rows.map((r) => ({ serviceType: r.service_type, serviceId: r.service_id, triggerType: r.trigger_type, branch: r.branch, watchPaths: r.watch_paths, autoDeploy: r.auto_deploy }));
  }

  async record(delivery: WebhookDelivery): Promise<boolean> {
    return this.uow.run(async () => {
      const em = this.uow.em;
      const connection = em.getConnection();
      const inserted = (await connection.execute(
        // No conflict target: either unique index (delivery id, or body hash) makes this a duplicate.
        `insert into webhook_delivery (id, provider_id, organization_id, delivery_id, event, received_at, outcome, reason, deployments, body_sha256)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         on conflict do nothing
         returning id`,
        [delivery.id, delivery.providerId, delivery.organizationId, delivery.deliveryId, delivery.event ?? null, delivery.receivedAt, delivery.outcome, delivery.reason, delivery.deployments, delivery.bodySha256 ?? null],
        'all',
        em.getTransactionContext(),
      )) as unknown[];
      if (inserted.length > 0) {
        this.uow.track(delivery);
        return true;
      }
      await connection.execute(
        `insert into webhook_delivery (id, provider_id, organization_id, delivery_id, event, received_at, outcome, reason, deployments)
         values (?, ?, ?, ?, ?, ?, 'duplicate', 'already received', 0)`,
        [delivery.id, delivery.providerId, delivery.organizationId, delivery.deliveryId, delivery.event ?? null, delivery.receivedAt],
        'run',
        em.getTransactionContext(),
      );
      return false;
    });
  }
}
