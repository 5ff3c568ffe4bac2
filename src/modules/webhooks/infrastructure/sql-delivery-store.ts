import { type MikroOrmUnitOfWork } from '../../../platform/database/unit-of-work.js';
import { type ReadDatabase } from '../../../shared/read-database.js';
import { type RepositoryRef } from '../../../shared/repository-identity.js';
import { type GitProviderRepository } from '../../git-providers/domain/git-provider-repository.js';
import { type DeliveryStore, type MatchableSource, type WebhookProvider, type WebhookSecret } from '../application/ports/deliveries.js';
import { type WebhookDelivery } from '../domain/webhook-delivery.js';
import { type RepositoryHooks } from './repository-hooks.js';

interface SourceRow {
  service_type: string;
  service_id: string;
  repository: string;
  repository_id: string | null;
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

  async alreadyReceived(providerId: string, deliveryId: string): Promise<boolean> {
    const rows = await this.db.query(`select 1 from webhook_delivery where provider_id = ? and delivery_id = ? and outcome <> 'duplicate' limit 1`, [providerId, deliveryId]);
    return rows.length > 0;
  }

  async candidates(providerId: string, repository: RepositoryRef, ref: { type: 'branch' | 'tag'; name: string }): Promise<MatchableSource[]> {
    const refFilter = ref.type === 'tag' ? `trigger_type = 'tag'` : `trigger_type = 'push' and branch = ?`;
    const refArgs = ref.type === 'tag' ? [] : [ref.name];
    // By the forge's id (index service_source_match_id); rows stored before ids were recorded match by name
    // (index service_source_match) until a delivery fills their id in.
    const byId = repository.id !== undefined;
    const rows = await this.db.query<SourceRow>(
      `select service_type, service_id, repository, repository_id, trigger_type, branch, watch_paths, auto_deploy from service_source
        where source_type = 'git' and provider_id = ? and ${byId ? 'repository_id = ?' : 'false'} and ${refFilter}
       union all
       select service_type, service_id, repository, repository_id, trigger_type, branch, watch_paths, auto_deploy from service_source
        where source_type = 'git' and provider_id = ? and lower(repository) = lower(?) and repository_id is null and ${refFilter}
       order by service_type, service_id`,
      [providerId, ...(byId ? [repository.id] : []), ...refArgs, providerId, repository.fullName, ...refArgs],
    );
    return rows.map((r) => ({
      serviceType: r.service_type,
      serviceId: r.service_id,
      repository: r.repository,
      repositoryId: r.repository_id,
      triggerType: r.trigger_type,
      branch: r.branch,
      watchPaths: r.watch_paths,
      autoDeploy: r.auto_deploy,
    }));
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
      repository.fullName, providerId, repository.id, repository.fullName,
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
    return this.uow.run(async () => {
      const em = this.uow.em;
      const connection = em.getConnection();
      const inserted = (await connection.execute(
        `insert into webhook_delivery (id, provider_id, organization_id, delivery_id, event, received_at, outcome, reason, deployments)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?)
         on conflict (provider_id, delivery_id) where outcome <> 'duplicate' do nothing
         returning id`,
        [delivery.id, delivery.providerId, delivery.organizationId, delivery.deliveryId, delivery.event ?? null, delivery.receivedAt, delivery.outcome, delivery.reason, delivery.deployments],
        'all',
        em.getTransactionContext(),
      )) as unknown[];
      if (inserted.length > 0) {
        for (const repository of delivery.renamed) await this.followRepository(delivery.providerId, repository);
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
