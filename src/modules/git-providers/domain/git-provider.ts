import { AggregateRoot } from '../../../shared/aggregate-root.js';
import { type Failure, failure } from '../../../shared/failure.js';
import { newId } from '../../../shared/ids.js';
import { err, ok, type Result } from '../../../shared/result.js';
import { type Secret } from '../../../shared/secret.js';
import { type Actor, isOwnerOrAdmin } from '../../identity/domain/actor.js';

export const PROVIDER_TYPES = ['github', 'gitlab', 'bitbucket', 'gitea'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];
export type ProviderStatus = 'ready' | 'pending_installation' | 'pending_authorization' | 'needs_reauthorization';

export interface GitHubSettings {
  readonly type: 'github';
  readonly githubUrl: string;
  /** Where forgelink itself reaches the forge when that differs from the browser's URL (same-host installs). */
  readonly internalUrl?: string;
  readonly appId?: number;
  readonly appSlug?: string;
  /** The app's page on the forge; its install URL is `<appHtmlUrl>/installations/new`. */
  readonly appHtmlUrl?: string;
  readonly installationId?: number;
  readonly clientId?: string;
  /** The GitHub organisation the manifest flow creates the app under, if any. */
  readonly organization?: string;
}
export interface GitLabSettings {
  readonly type: 'gitlab';
  readonly gitlabUrl: string;
  readonly internalUrl?: string;
  readonly applicationId: string;
  readonly redirectUri: string;
  readonly groupName?: string;
  readonly tokenExpiresAt?: string;
  /** When the current access token was received: with tokenExpiresAt, its lifetime (the early-refresh margin is a fraction of it). */
  readonly tokenIssuedAt?: string;
}
export interface BitbucketSettings {
  readonly type: 'bitbucket';
  readonly username: string;
  readonly email?: string;
  readonly workspace: string;
  readonly authMethod: 'api_token' | 'app_password';
}
export interface GiteaSettings {
  readonly type: 'gitea';
  readonly giteaUrl: string;
  readonly internalUrl?: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly tokenExpiresAt?: string;
  readonly tokenIssuedAt?: string;
}
export type ProviderSettings = GitHubSettings | GitLabSettings | BitbucketSettings | GiteaSettings;

/** The URL forgelink's own requests go to: the internal URL when one is set, else the public one. */
export function serverUrlOf(settings: GitHubSettings | GitLabSettings | GiteaSettings): string {
  if (settings.internalUrl) return settings.internalUrl;
  switch (settings.type) {
    case 'github':
      return settings.githubUrl;
    case 'gitlab':
      return settings.gitlabUrl;
    case 'gitea':
      return settings.giteaUrl;
  }
}
export type SettingsOf<T extends ProviderType> = Extract<ProviderSettings, { type: T }>;

export const SECRET_NAMES = [
  'privateKey',
  'webhookSecret',
  'clientSecret',
  'accessToken',
  'refreshToken',
  'apiToken',
  'appPassword',
] as const;
export type SecretName = (typeof SECRET_NAMES)[number];
export type ProviderSecrets = Partial<Record<SecretName, Secret>>;

/** The settings that say where forgelink sends a provider's credentials. */
export const ADDRESS_FIELDS: Readonly<Record<ProviderType, readonly string[]>> = {
  github: ['githubUrl', 'internalUrl'],
  gitlab: ['gitlabUrl', 'internalUrl'],
  gitea: ['giteaUrl', 'internalUrl'],
  // Bitbucket Cloud's API address is the server's configuration (BITBUCKET_API_URL), never the caller's.
  bitbucket: [],
};

/**
 * The stored secrets forgelink sends to the forge (signs a JWT with, posts to a token endpoint, sends as a
 * bearer). `webhookSecret` is not among them: forgelink only verifies with it, it never leaves the process.
 */
export const OUTBOUND_SECRETS: Readonly<Record<ProviderType, readonly SecretName[]>> = {
  github: ['privateKey', 'clientSecret'],
  gitlab: ['accessToken', 'refreshToken', 'clientSecret'],
  gitea: ['accessToken', 'refreshToken', 'clientSecret'],
  bitbucket: ['apiToken', 'appPassword'],
};

export interface OAuthGrant {
  readonly accessToken: Secret;
  readonly refreshToken?: Secret;
  readonly expiresAt?: Date;
}

export interface ProviderChange<T extends ProviderType = ProviderType> {
  readonly name?: string;
  /** A setting set to null is cleared; an absent (or undefined) one is kept. */
  readonly settings?: { readonly [K in keyof Omit<SettingsOf<T>, 'type'>]?: Omit<SettingsOf<T>, 'type'>[K] | null };
  /** A secret set to null is removed; an absent one is kept. */
  readonly secrets?: Partial<Record<SecretName, Secret | null>>;
}

/**
 * A connection to one forge account/app, owned by an organisation and by the member who created it.
 * Holds the seed's rules: who sees it, who may change sharing, who may remove it.
 */
export class GitProvider extends AggregateRoot {
  id!: string;
  organizationId!: string;
  createdBy!: string;
  name!: string;
  type!: ProviderType;
  sharedWithOrganization!: boolean;
  status!: ProviderStatus;
  settings!: ProviderSettings;
  secrets!: ProviderSecrets;
  /** Set when the forge revoked our grant; cleared by a new authorisation. */
  reauthorizationRequired!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
  version!: number;

  static create(
    actor: Actor,
    input: { name: string; settings: ProviderSettings; secrets: ProviderSecrets },
    now = new Date(),
  ): Result<GitProvider, Failure> {
    if (!isOwnerOrAdmin(actor)) return err(failure.unauthorized('Only owners and admins can create git providers'));
    const provider = new GitProvider();
    provider.id = newId();
    provider.organizationId = actor.organizationId;
    provider.createdBy = actor.userId;
    provider.name = requireName(input.name);
    provider.type = input.settings.type;
    provider.sharedWithOrganization = false;
    provider.settings = input.settings;
    provider.secrets = { ...input.secrets };
    provider.reauthorizationRequired = false;
    provider.createdAt = now;
    provider.updatedAt = now;
    provider.version = 1;
    provider.status = provider.deriveStatus();
    provider.recordChange('git-provider.created', now);
    return ok(provider);
  }

  /** The creator, owners and admins of the organisation, and every member once shared. */
  isVisibleTo(actor: Actor): boolean {
    if (actor.organizationId !== this.organizationId) return false;
    return this.createdBy === actor.userId || this.sharedWithOrganization || isOwnerOrAdmin(actor);
  }

  isCreator(actor: Actor): boolean {
    return this.createdBy === actor.userId;
  }

  /** Only the creator toggles sharing. */
  changeSharing(actor: Actor, shared: boolean, now = new Date()): Result<void, Failure> {
    if (!this.isVisibleTo(actor)) return err(failure.notFound('Git provider'));
    if (!this.isCreator(actor)) return err(failure.unauthorized('Only the creator of a git provider can change its sharing'));
    if (this.sharedWithOrganization === shared) return ok(undefined);
    this.sharedWithOrganization = shared;
    this.touch(now);
    this.recordChange(shared ? 'git-provider.shared' : 'git-provider.unshared', now);
    return ok(undefined);
  }

  /** Same organisation, and owner/admin or the creator. */
  canManage(actor: Actor): boolean {
    return actor.organizationId === this.organizationId && (isOwnerOrAdmin(actor) || this.isCreator(actor));
  }

  /** The right to change (or re-authorise) this provider: 404 to whoever may not see it, 403 to a member who may only see it. */
  authorizeChange(actor: Actor): Result<void, Failure> {
    if (!this.isVisibleTo(actor)) return err(failure.notFound('Git provider'));
    if (!this.canManage(actor)) return err(failure.unauthorized('Only owners, admins and the creator can change a git provider'));
    return ok(undefined);
  }

  /** Only owners and admins create providers; checked before anything else happens (no forge call, no write). */
  static authorizeCreate(actor: Actor): Result<void, Failure> {
    return isOwnerOrAdmin(actor) ? ok(undefined) : err(failure.unauthorized('Only owners and admins can create git providers'));
  }

  /**
   * Applies a PATCH. Credentials never follow a new address (API contract): a change of any address field
   * (`githubUrl`, `gitlabUrl`, `giteaUrl`, `internalUrl`) drops every stored secret forgelink would send to
   * that forge unless the same change supplies it again; `status` then names what is missing.
   */
  update(actor: Actor, change: ProviderChange, expectedVersion?: number, now = new Date()): Result<void, Failure> {
    const allowed = this.authorizeChange(actor);
    if (!allowed.ok) return allowed;
    const stale = this.checkVersion(expectedVersion);
    if (!stale.ok) return stale;
    change = this.withCredentialsLeftBehind(change);
    if (change.name !== undefined) this.name = requireName(change.name);
    if (change.settings) {
      const merged: Record<string, unknown> = { ...this.settings, ...stripUndefined(change.settings) };
      for (const [key, value] of Object.entries(change.settings)) if (value === null) delete merged[key];
      this.settings = merged as unknown as ProviderSettings;
    }
    for (const [name, secret] of Object.entries(change.secrets ?? {}) as [SecretName, Secret | null | undefined][]) {
      if (secret === undefined) continue;
      if (secret === null) delete this.secrets[name];
      else this.secrets[name] = secret;
    }
    this.secrets = { ...this.secrets };
    // New credentials deserve a new try; an OAuth provider stays flagged until it is authorised again.
    if (this.type !== 'gitlab' && this.type !== 'gitea' && Object.values(change.secrets ?? {}).some((v) => v))
      this.reauthorizationRequired = false;
    this.status = this.deriveStatus();
    this.touch(now);
    this.recordChange('git-provider.updated', now);
    return ok(undefined);
  }

  /** True when the change moves where forgelink sends this provider's credentials. */
  movesAddress(change: ProviderChange): boolean {
    const next = (change.settings ?? {}) as Record<string, unknown>;
    const current = this.settings as unknown as Record<string, unknown>;
    return ADDRESS_FIELDS[this.type].some((field) => next[field] !== undefined && (next[field] ?? undefined) !== current[field]);
  }

  /**
   * The change plus the removal of every outbound secret it does not supply again, when it moves the address;
   * OAuth tokens also go when the OAuth application changes (they were issued to the old one).
   */
  private withCredentialsLeftBehind(change: ProviderChange): ProviderChange {
    const next = (change.settings ?? {}) as Record<string, unknown>;
    const current = this.settings as unknown as Record<string, unknown>;
    const moved = this.movesAddress(change);
    const newClient =
      (this.type === 'gitlab' || this.type === 'gitea') &&
      ['applicationId', 'clientId'].some((key) => next[key] !== undefined && next[key] !== current[key]);
    if (!moved && !newClient) return change;
    const dropped = moved ? OUTBOUND_SECRETS[this.type] : (['accessToken', 'refreshToken'] as const);
    const secrets: Partial<Record<SecretName, Secret | null>> = { ...change.secrets };
    for (const name of dropped) if (!secrets[name]) secrets[name] = null;
    const oauth = this.type === 'gitlab' || this.type === 'gitea';
    // No tokens left means "authorise again", not "the forge revoked us".
    if (oauth && !secrets.accessToken) this.reauthorizationRequired = false;
    let settings: Record<string, unknown> | undefined = change.settings;
    if (oauth && !secrets.accessToken) settings = { ...settings, tokenExpiresAt: null };
    // The app page was read from the old host; only a lookup on the new one (with a key supplied again) may name it.
    if (moved && this.type === 'github') settings = { appSlug: null, appHtmlUrl: null, ...settings };
    return { ...change, settings: settings as ProviderChange['settings'], secrets };
  }

  /** Records the removal; the caller deletes the row and disconnects every source in the same transaction. */
  removeBy(actor: Actor, now = new Date()): Result<void, Failure> {
    if (!this.isVisibleTo(actor)) return err(failure.notFound('Git provider'));
    if (!this.canManage(actor)) return err(failure.unauthorized('Only owners, admins and the creator can remove a git provider'));
    this.recordChange('git-provider.removed', now);
    return ok(undefined);
  }

  checkVersion(expectedVersion: number | undefined): Result<void, Failure> {
    if (expectedVersion !== undefined && expectedVersion !== this.version) {
      return err(failure.conflict(`The git provider is at version ${this.version}, not ${expectedVersion}; reload it and try again`));
    }
    return ok(undefined);
  }

  /** A completed OAuth authorisation (GitLab, Gitea/Forgejo): the provider becomes ready. */
  authorize(grant: OAuthGrant, now = new Date()): void {
    this.assertOAuth();
    this.storeGrant(grant, now);
    this.reauthorizationRequired = false;
    this.status = this.deriveStatus();
    this.touch(now);
    this.recordChange('git-provider.updated', now);
  }

  /** A refreshed token pair. Internal housekeeping: no event, the provider's meaning did not change. */
  refreshGrant(grant: OAuthGrant, now = new Date()): void {
    this.assertOAuth();
    this.storeGrant(grant, now);
    this.touch(now);
  }

  /** The forge revoked our grant or rejected the credentials: a person must act. */
  requireReauthorization(now = new Date()): void {
    if (this.reauthorizationRequired) return;
    this.reauthorizationRequired = true;
    this.status = this.deriveStatus();
    this.touch(now);
    this.recordChange('git-provider.updated', now);
  }

  /** A call with the stored credentials succeeded again (GitHub key or Bitbucket token fixed on the forge side). */
  credentialsWorked(now = new Date()): void {
    if (!this.reauthorizationRequired) return;
    this.reauthorizationRequired = false;
    this.status = this.deriveStatus();
    this.touch(now);
    this.recordChange('git-provider.updated', now);
  }

  /** The GitHub App created by the manifest flow; waiting for its installation. */
  completeGitHubApp(
    app: { appId: number; appSlug: string; appHtmlUrl: string; clientId: string },
    secrets: { privateKey: Secret; webhookSecret: Secret; clientSecret: Secret },
    now = new Date(),
  ): void {
    const settings = this.githubSettings();
    this.settings = { ...settings, ...app };
    this.secrets = { ...this.secrets, ...secrets };
    this.status = this.deriveStatus();
    this.touch(now);
    this.recordChange('git-provider.updated', now);
  }

  installGitHubApp(installationId: number, now = new Date()): void {
    this.settings = { ...this.githubSettings(), installationId };
    this.reauthorizationRequired = false;
    this.status = this.deriveStatus();
    this.touch(now);
    this.recordChange('git-provider.updated', now);
  }

  /** The App was uninstalled on GitHub: back to waiting for an installation. */
  uninstallGitHubApp(now = new Date()): void {
    const { installationId: _removed, ...rest } = this.githubSettings();
    this.settings = rest;
    this.status = this.deriveStatus();
    this.touch(now);
    this.recordChange('git-provider.updated', now);
  }

  hasSecret(name: SecretName): boolean {
    return this.secrets[name] !== undefined;
  }

  secret(name: SecretName): Secret | undefined {
    return this.secrets[name];
  }

  private githubSettings(): GitHubSettings {
    if (this.settings.type !== 'github') throw new Error(`Provider ${this.id} is not a GitHub provider`);
    return this.settings;
  }

  private assertOAuth(): void {
    if (this.settings.type !== 'gitlab' && this.settings.type !== 'gitea') throw new Error(`Provider ${this.id} does not use OAuth`);
  }

  private storeGrant(grant: OAuthGrant, now: Date): void {
    const settings = this.settings as GitLabSettings | GiteaSettings;
    this.secrets = { ...this.secrets, accessToken: grant.accessToken };
    if (grant.refreshToken) this.secrets.refreshToken = grant.refreshToken;
    else delete this.secrets.refreshToken;
    this.settings = {
      ...settings,
      tokenExpiresAt: grant.expiresAt?.toISOString(),
      tokenIssuedAt: grant.expiresAt ? now.toISOString() : undefined,
    };
    if (!grant.expiresAt) this.settings = stripUndefined(this.settings) as ProviderSettings;
  }

  private deriveStatus(): ProviderStatus {
    if (this.reauthorizationRequired) return 'needs_reauthorization';
    switch (this.settings.type) {
      case 'github':
        if (this.settings.appId === undefined || !this.secrets.privateKey) return 'pending_authorization';
        return this.settings.installationId === undefined ? 'pending_installation' : 'ready';
      case 'gitlab':
      case 'gitea':
        return this.secrets.accessToken ? 'ready' : 'pending_authorization';
      case 'bitbucket':
        return 'ready';
    }
  }

  private touch(now: Date): void {
    this.updatedAt = now;
  }

  private recordChange(type: string, now: Date): void {
    this.record(type, this.organizationId, this.id, { providerId: this.id, providerType: this.type }, now);
  }
}

function requireName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 100) throw new Error('A provider name is 1–100 characters');
  return trimmed;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
