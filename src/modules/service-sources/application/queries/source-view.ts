import { type ReadDatabase } from '../../../../shared/read-database.js';
import { type Actor, isOwnerOrAdmin } from '../../../identity/domain/actor.js';
import { type ServiceSource } from '../../domain/service-source.js';

export interface SourceView {
  serviceType: string;
  serviceId: string;
  organizationId: string;
  sourceType: 'git' | 'none';
  providerId: string | null;
  providerType: string | null;
  repository: string | null;
  /** The forge's stable id of the repository; null when not connected (or connected before ids were recorded, until its next delivery). */
  repositoryId: string | null;
  owner: string | null;
  branch: string | null;
  triggerType: string | null;
  watchPaths: string[] | null;
  autoDeploy: boolean;
  buildPath: string;
  /** Always present; null for applications (they have no compose file). */
  composePath: string | null;
  status: string;
  webhook: Record<string, unknown>;
  version: number;
}

interface SourceRow {
  service_type: string;
  service_id: string;
  organization_id: string;
  source_type: 'git' | 'none';
  provider_id: string | null;
  provider_type: string | null;
  repository: string | null;
  repository_id: string | null;
  owner: string | null;
  branch: string | null;
  trigger_type: string | null;
  watch_paths: string[] | null;
  auto_deploy: boolean;
  build_path: string;
  compose_path: string | null;
  status: string;
  webhook: Record<string, unknown>;
  version: number;
}

export class SourceQueries {
  constructor(private readonly db: ReadDatabase) {}

  /**
   * The caller's view of a service's source, or null when there is none — or when it is connected to a provider the
   * caller may not see (the provider rule: its creator, everyone once shared, owners and admins), so a source never
   * reveals a private provider's id, repository or hook.
   */
  async get(actor: Actor, serviceType: string, serviceId: string): Promise<SourceView | null> {
    const [row] = await this.db.query<SourceRow>(
      `select s.* from service_source s
         left join git_provider p on p.id = s.provider_id
        where s.service_type = ? and s.service_id = ? and s.organization_id = ?
          and (s.provider_id is null or p.id is null or p.created_by = ? or p.shared_with_organization or ?)`,
      [serviceType, serviceId, actor.organizationId, actor.userId, isOwnerOrAdmin(actor)],
    );
    return row ? fromRow(row) : null;
  }
}

function fromRow(row: SourceRow): SourceView {
  return {
    serviceType: row.service_type,
    serviceId: row.service_id,
    organizationId: row.organization_id,
    sourceType: row.source_type,
    providerId: row.provider_id,
    providerType: row.provider_type,
    repository: row.repository,
    repositoryId: row.repository_id,
    owner: row.owner,
    branch: row.branch,
    triggerType: row.trigger_type,
    watchPaths: row.watch_paths,
    autoDeploy: row.auto_deploy,
    buildPath: row.build_path,
    composePath: row.compose_path,
    status: row.status,
    webhook: row.webhook,
    version: row.version,
  };
}

/** The same view from an aggregate just saved (a command's answer). */
export function sourceView(source: ServiceSource): SourceView {
  return fromRow({
    service_type: source.serviceType,
    service_id: source.serviceId,
    organization_id: source.organizationId,
    source_type: source.sourceType,
    provider_id: source.providerId,
    provider_type: source.providerType,
    repository: source.repository,
    repository_id: source.repositoryId,
    owner: source.owner,
    branch: source.branch,
    trigger_type: source.triggerType,
    watch_paths: source.watchPaths,
    auto_deploy: source.autoDeploy,
    build_path: source.buildPath,
    compose_path: source.composePath,
    status: source.status,
    webhook: { ...source.webhook },
    version: source.version,
  });
}
