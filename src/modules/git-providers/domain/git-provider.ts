import { AggregateRoot } from '../../../shared/aggregate-root.js';
import { type Failure, failure } from '../../../shared/failure.js';
import { newId } from '../../../shared/ids.js';
import { err, ok, type Result } from '../../../shared/result.js';
import { type Secret } from '../../../shared/secret.js';
import { type Actor, isOwnerOrAdmin } from '../../identity/domain/actor.js';

export type ProviderType = string;
export type ProviderStatus = 'ready' | 'pending_installation' | 'pending_authorization' | 'needs_reauthorization';

/**
 * A forge's non-secret settings: the forge plug-in's value object (its fields are the plug-in's), stored as jsonb.
 * `type` names the forge; the aggregate reads the fields only through its ProviderKind.
 */
export interface ProviderSettings {
  readonly type: ProviderType;
  /** Where forgelink itself reaches the forge when that differs from the browser's URL (same-host installs). */
  readonly internalUrl?: string;
  readonly [field: string]: unknown;
}

/** Secret names are the forge plug-in's (privateKey, apiToken, ...); OAuth forges share accessToken, refreshToken and clientSecret. */
export type SecretName = string;
export type ProviderSecrets = Partial<Record<SecretName, Secret>>;

/** The settings field that points forgelink's own requests elsewhere than the public address. */
export const INTERNAL_URL = 'internalUrl';

/**
 * What the aggregate must know about one forge's settings to keep the rules that hold for every forge (credentials
 * never follow a new address; an OAuth grant belongs to its OAuth application). The forge's plug-in provides it.
 */
export interface ProviderKind {
  readonly type: ProviderType;
  /** Settings that say where forgelink sends the credentials, the public address first (none when fixed by configuration). */
  readonly addressFields: readonly string[];
  /** Stored secrets forgelink sends to the forge (never a secret it only verifies with, such as a webhook secret). */
  readonly outboundSecrets: readonly SecretName[];
  /** Settings learnt from the forge at its address (a GitHub App's slug and page): they go when the address moves. */
  readonly learnedFromAddress: readonly string[];
  /** OAuth forges: the setting naming the OAuth application the tokens were issued to. */
  readonly oauthClientField?: string;
  /** The status while the forge has not refused the credentials. */
  status(settings: ProviderSettings, has: (secret: SecretName) => boolean): Exclude<ProviderStatus, 'needs_reauthorization'>;
}

/** The kinds of provider forgelink knows (one per forge plug-in). */
export interface ProviderKinds {
  readonly types: readonly ProviderType[];
  /** Throws for a type no plug-in provides: a row of a removed forge is a deployment error, not a request error. */
  of(type: ProviderType): ProviderKind;
}

export interface OAuthGrant {
  readonly accessToken: Secret;
  readonly refreshToken?: Secret;
  readonly expiresAt?: Date;
}

/** A change of settings: a field set to null is cleared; an absent (or undefined) one is kept. */
export type SettingsChange = { readonly [field: string]: unknown };

export interface ProviderChange {
  readonly name?: string;
  /** A setting set to null is cleared; an absent (or undefined) one is kept. `type` never changes. */
  readonly settings?: SettingsChange;
  /** A secret set to null is removed; an absent one is kept. */
  readonly secrets?: Partial<Record<SecretName, Secret | null>>;
}

/** What a provider would hold after a change: computed without changing it (the checks before a write). */
export interface ChangedProvider {
  readonly settings: ProviderSettings;
  readonly secrets: ProviderSecrets;
  /** The change moves where forgelink sends the credentials. */
  readonly movesAddress: boolean;
}

/**
 * A connection to one forge account/app, owned by an organisation and by the member who created it.
 * Holds the seed's rules: who sees it, who may change sharing, who may remove it. What is particular to its
 * forge comes from its ProviderKind (given on creation, attached by the repository on load).
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
  /** Not stored: the forge's rules for the settings, from its plug-in. */
  private forgeKind?: ProviderKind;

  static create(
    actor: Actor,
    input: { name: string; settings: ProviderSettings; secrets: ProviderSecrets; kind: ProviderKind },
    now = new Date(),
  ): Result<GitProvider, Failure> {
    if (!isOwnerOrAdmin(actor)) return err(failure.unauthorized('Only owners and admins can create git providers'));
    if (input.kind.type !== input.settings.type)
      throw new Error(`Settings of a ${input.settings.type} provider given a ${input.kind.type} kind`);
    const provider = new GitProvider();
    provider.forgeKind = input.kind;
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

  /** Rehydration: the repository hands a loaded provider its forge's kind (no creation logic re-runs). */
  withKind(kinds: ProviderKinds): this {
    this.forgeKind ??= kinds.of(this.type);
    return this;
  }

  /** The forge's rules for the settings (its plug-in's). */
  kind(): ProviderKind {
    if (!this.forgeKind) throw new Error(`Provider ${this.id} was loaded without its ProviderKind`);
    return this.forgeKind;
  }

  /** GitLab, Gitea/Forgejo, ...: a person grants access on the forge (OAuth authorisation code). */
  usesOAuth(): boolean {
    return this.kind().oauthClientField !== undefined;
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
   * What a PATCH would make of the provider, changing nothing: authorised and version-checked like `update`, so the
   * checks that need the result (the SSRF guard on a new address, a lookup on the forge) run before any write.
   */
  previewUpdate(actor: Actor, change: ProviderChange, expectedVersion?: number): Result<ChangedProvider, Failure> {
    const allowed = this.authorizeChange(actor);
    if (!allowed.ok) return allowed;
    const stale = this.checkVersion(expectedVersion);
    if (!stale.ok) return stale;
    const planned = this.plan(change);
    return ok({ settings: planned.settings, secrets: planned.secrets, movesAddress: planned.movesAddress });
  }

  /**
   * Applies a PATCH. Credentials never follow a new address (API contract): a change of any address field of the
   * forge (its URL, `internalUrl`) drops every stored secret forgelink would send to that forge unless the same change
   * supplies it again; `status` then names what is missing.
   */
  update(actor: Actor, change: ProviderChange, expectedVersion?: number, now = new Date()): Result<void, Failure> {
    const allowed = this.authorizeChange(actor);
    if (!allowed.ok) return allowed;
    const stale = this.checkVersion(expectedVersion);
    if (!stale.ok) return stale;
    const planned = this.plan(change);
    if (change.name !== undefined) this.name = requireName(change.name);
    this.settings = planned.settings;
    this.secrets = planned.secrets;
    this.reauthorizationRequired = planned.reauthorizationRequired;
    this.status = this.deriveStatus();
    this.touch(now);
    this.recordChange('git-provider.updated', now);
    return ok(undefined);
  }

  /** True when the change moves where forgelink sends this provider's credentials. */
  movesAddress(change: ProviderChange): boolean {
    const next = change.settings ?? {};
    const current = this.settings as Record<string, unknown>;
    return this.kind().addressFields.some((field) => next[field] !== undefined && (next[field] ?? undefined) !== current[field]);
  }

  private plan(change: ProviderChange): ChangedProvider & { reauthorizationRequired: boolean } {
    let reauthorizationRequired = this.reauthorizationRequired;
    const left = this.withCredentialsLeftBehind(change);
    if (left.settlesReauthorization) reauthorizationRequired = false;
    change = left.change;
    let settings = this.settings as Record<string, unknown>;
    if (change.settings) {
      settings = { ...settings, ...stripUndefined(change.settings) };
      for (const [key, value] of Object.entries(change.settings)) if (value === null) delete settings[key];
    }
    const secrets: ProviderSecrets = { ...this.secrets };
    for (const [name, secret] of Object.entries(change.secrets ?? {})) {
      if (secret === undefined) continue;
      if (secret === null) delete secrets[name];
      else secrets[name] = secret;
    }
    // New credentials deserve a new try; an OAuth provider stays flagged until it is authorised again.
    if (!this.usesOAuth() && Object.values(change.secrets ?? {}).some((v) => v)) reauthorizationRequired = false;
    return {
      settings: { ...(settings as ProviderSettings), type: this.type },
      secrets,
      movesAddress: left.moved,
      reauthorizationRequired,
    };
  }

  /**
   * The change plus the removal of every outbound secret it does not supply again, when it moves the address;
   * OAuth tokens also go when the OAuth application changes (they were issued to the old one).
   */
  private withCredentialsLeftBehind(change: ProviderChange): { change: ProviderChange; moved: boolean; settlesReauthorization: boolean } {
    const kind = this.kind();
    const next = change.settings ?? {};
    const current = this.settings as Record<string, unknown>;
    const moved = this.movesAddress(change);
    const clientField = kind.oauthClientField;
    const newClient = clientField !== undefined && next[clientField] !== undefined && next[clientField] !== current[clientField];
    if (!moved && !newClient) return { change, moved, settlesReauthorization: false };
    const dropped = moved ? kind.outboundSecrets : ['accessToken', 'refreshToken'];
    const secrets: Partial<Record<SecretName, Secret | null>> = { ...change.secrets };
    for (const name of dropped) if (!secrets[name]) secrets[name] = null;
    let settings: SettingsChange | undefined = change.settings;
    // No tokens left means "authorise again", not "the forge revoked us".
    const settlesReauthorization = this.usesOAuth() && !secrets.accessToken;
    if (settlesReauthorization) settings = { ...settings, tokenExpiresAt: null };
    // Learnt from the old host: only a lookup on the new one (with credentials supplied again) may name them.
    if (moved && kind.learnedFromAddress.length > 0)
      settings = { ...Object.fromEntries(kind.learnedFromAddress.map((field) => [field, null])), ...settings };
    return { change: { ...change, settings, secrets }, moved, settlesReauthorization };
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

  /**
   * A forge-only flow set the provider up (a GitHub App created from its manifest, installed or uninstalled): its
   * settings and secrets change as the forge's plug-in says; `renewsCredentials` clears a reauthorisation flag.
   */
  completeSetup(
    setup: { readonly settings?: SettingsChange; readonly secrets?: ProviderSecrets; readonly renewsCredentials?: boolean },
    now = new Date(),
  ): void {
    const settings: Record<string, unknown> = { ...this.settings, ...stripUndefined(setup.settings ?? {}) };
    for (const [key, value] of Object.entries(setup.settings ?? {})) if (value === null) delete settings[key];
    this.settings = { ...(settings as ProviderSettings), type: this.type };
    this.secrets = { ...this.secrets, ...setup.secrets };
    if (setup.renewsCredentials) this.reauthorizationRequired = false;
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

  private assertOAuth(): void {
    if (!this.usesOAuth()) throw new Error(`Provider ${this.id} does not use OAuth`);
  }

  private storeGrant(grant: OAuthGrant, now: Date): void {
    this.secrets = { ...this.secrets, accessToken: grant.accessToken };
    if (grant.refreshToken) this.secrets.refreshToken = grant.refreshToken;
    else delete this.secrets.refreshToken;
    this.settings = {
      ...this.settings,
      tokenExpiresAt: grant.expiresAt?.toISOString(),
      tokenIssuedAt: grant.expiresAt ? now.toISOString() : undefined,
    };
    if (!grant.expiresAt) this.settings = stripUndefined(this.settings);
  }

  private deriveStatus(): ProviderStatus {
    if (this.reauthorizationRequired) return 'needs_reauthorization';
    return this.kind().status(this.settings, (name) => this.secrets[name] !== undefined);
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
