import { type ReadDatabase } from '../../../../shared/read-database.js';
import { type Actor, isOwnerOrAdmin } from '../../../identity/domain/actor.js';
import { type ProviderSettings, type ProviderStatus, type ProviderType } from '../../domain/git-provider.js';
import { type ForgeCatalog } from '../ports/forge-catalog.js';

export interface ProviderRow {
  id: string;
  organization_id: string;
  created_by: string;
  name: string;
  type: ProviderType;
  shared_with_organization: boolean;
  status: ProviderStatus;
  settings: ProviderSettings;
  /** JSON object of secret name → ciphertext: only its keys are read here. */
  secrets: string;
  created_at: Date;
  version: number;
}

export type ProviderSummary = Record<string, unknown> & { id: string; type: ProviderType };

const COLUMNS = 'id, organization_id, created_by, name, type, shared_with_organization, status, settings, secrets, created_at, version';

/** Every read of a provider returns this view, never a secret: `has*` booleans stand in for them. */
export class ProviderQueries {
  constructor(
    private readonly db: ReadDatabase,
    private readonly forges: ForgeCatalog,
  ) {}

  async list(actor: Actor, type?: ProviderType): Promise<ProviderSummary[]> {
    const privileged = isOwnerOrAdmin(actor);
    const rows = await this.db.query<ProviderRow>(
      `select ${COLUMNS} from git_provider
        where organization_id = ? and (? or created_by = ? or shared_with_organization)
          and (?::text is null or type = ?)
        order by created_at, id`,
      [actor.organizationId, privileged, actor.userId, type ?? null, type ?? null],
    );
    return rows.map((row) => this.summary(row, actor));
  }

  /** null when unknown, of another organisation, or not visible to the caller (all answer 404). */
  async get(actor: Actor, id: string): Promise<ProviderSummary | null> {
    const [row] = await this.db.query<ProviderRow>(`select ${COLUMNS} from git_provider where id = ? and organization_id = ?`, [
      id,
      actor.organizationId,
    ]);
    if (!row) return null;
    if (!(row.created_by === actor.userId || row.shared_with_organization || isOwnerOrAdmin(actor))) return null;
    return this.summary(row, actor);
  }

  summary(row: ProviderRow, actor: Actor): ProviderSummary {
    const has = new Set(Object.keys(JSON.parse(row.secrets) as Record<string, string>));
    const base = {
      id: row.id,
      type: row.type,
      name: row.name,
      organizationId: row.organization_id,
      createdBy: row.created_by,
      isCreator: row.created_by === actor.userId,
      sharedWithOrganization: row.shared_with_organization,
      createdAt: new Date(row.created_at).toISOString(),
      status: row.status,
      version: row.version,
    };
    const view = { id: row.id, organizationId: row.organization_id, settings: row.settings, has: (name: string) => has.has(name) };
    const { key, block } = this.forges.summaryBlock(row.type, view, actor);
    return { ...base, [key]: block };
  }
}
