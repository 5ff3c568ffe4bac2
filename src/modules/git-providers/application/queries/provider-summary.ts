import { type ReadDatabase } from '../../../../shared/read-database.js';
import { type PublicUrls } from '../../../../shared/public-urls.js';
import { type Actor, isOwnerOrAdmin } from '../../../identity/domain/actor.js';
import { type ProviderSettings, type ProviderStatus, type ProviderType } from '../../domain/git-provider.js';

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

/** Signs install-page states for the GitHub summary's installUrl. */
export interface InstallUrls {
  installUrl(appHtmlUrl: string, providerId: string, userId: string, organizationId: string): string;
}

const COLUMNS = 'id, organization_id, created_by, name, type, shared_with_organization, status, settings, secrets, created_at, version';

/** Every read of a provider returns this view, never a secret: `has*` booleans stand in for them. */
export class ProviderQueries {
  constructor(
    private readonly db: ReadDatabase,
    private readonly urls: PublicUrls,
    private readonly install: InstallUrls,
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
    const s = row.settings;
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
    switch (s.type) {
      case 'github':
        return {
          ...base,
          github: {
            githubUrl: s.githubUrl,
            ...(s.internalUrl ? { internalUrl: s.internalUrl } : {}),
            // Absent (not null) until the manifest flow has created the app: appId is always an integer when present.
            ...(s.appId !== undefined ? { appId: s.appId } : {}),
            ...(s.appSlug ? { appSlug: s.appSlug } : {}),
            ...(s.installationId !== undefined ? { installationId: s.installationId } : {}),
            ...(s.clientId ? { clientId: s.clientId } : {}),
            webhookUrl: this.urls.webhookUrl(row.id),
            ...(s.appHtmlUrl ? { installUrl: this.install.installUrl(s.appHtmlUrl, row.id, actor.userId, row.organization_id) } : {}),
            hasPrivateKey: has.has('privateKey'),
            hasWebhookSecret: has.has('webhookSecret'),
            hasClientSecret: has.has('clientSecret'),
          },
        };
      case 'gitlab':
        return {
          ...base,
          gitlab: {
            gitlabUrl: s.gitlabUrl,
            ...(s.internalUrl ? { internalUrl: s.internalUrl } : {}),
            applicationId: s.applicationId,
            redirectUri: s.redirectUri,
            ...(s.groupName ? { groupName: s.groupName } : {}),
            hasSecret: has.has('clientSecret'),
            hasTokens: has.has('accessToken'),
            ...(s.tokenExpiresAt ? { tokenExpiresAt: s.tokenExpiresAt } : {}),
          },
        };
      case 'bitbucket':
        return {
          ...base,
          bitbucket: {
            username: s.username,
            ...(s.email ? { email: s.email } : {}),
            workspace: s.workspace,
            authMethod: s.authMethod,
            hasCredentials: has.has(s.authMethod === 'api_token' ? 'apiToken' : 'appPassword'),
            deprecatedAuth: s.authMethod === 'app_password',
          },
        };
      case 'gitea':
        return {
          ...base,
          gitea: {
            giteaUrl: s.giteaUrl,
            ...(s.internalUrl ? { internalUrl: s.internalUrl } : {}),
            clientId: s.clientId,
            redirectUri: s.redirectUri,
            hasClientSecret: has.has('clientSecret'),
            hasTokens: has.has('accessToken'),
            ...(s.tokenExpiresAt ? { tokenExpiresAt: s.tokenExpiresAt } : {}),
          },
        };
    }
  }
}
