import { type z } from 'zod';
import { type CreateForm, type UpdateForm } from '../modules/git-providers/http/provider-forms.js';
import { type Secret } from '../shared/secret.js';
import { type Actor } from '../modules/identity/domain/actor.js';
import {
  type GitProvider,
  type ProviderKind,
  type ProviderSecrets,
  type ProviderSettings,
  type SecretName,
  type SettingsChange,
} from '../modules/git-providers/domain/git-provider.js';
import { type ForgeApi, type ForgeHooks, type ForgeName, type OAuthClient } from '../modules/git-providers/application/ports/forge.js';
import { type ProviderView } from '../modules/git-providers/application/ports/forge-catalog.js';
import { type StateTokens } from '../modules/git-providers/application/ports/state-tokens.js';
import { type WebhookForge } from '../modules/webhooks/application/ports/webhook-forge.js';
import { type ConditionalCache, type ForgeExchangeObserver, type ForgeHttp, type ForgeIdentity } from './shared/forge-http.js';
import { type UrlGuard } from './shared/url-guard.js';
import { type ForgeExtras, type ForgeExtrasDeps } from './forge-extras.js';

/**
 * One forge, everything that is that forge's: the contract a folder under src/forges/ implements and
 * src/forges/registry.ts lists. Nothing outside src/forges/ names a forge; the modules ask the registry through
 * their ports (ProviderKinds, ForgeConnector, ForgeCatalog, WebhookForges, ...), bound in src/forges/module.ts.
 */
export interface ForgePlugin {
  /** `type` is stored in `git_provider.type` and names the routes (`POST /v1/git-providers/<type>`); `label` is for people. */
  readonly name: ForgeIdentity;
  /** The summary's block key (contract "Git providers"): `github`, `bitbucketDatacenter`. */
  readonly summaryKey: string;
  /** The domain's view of the settings value object: address fields, outbound secrets, OAuth, status. */
  readonly kind: ProviderKind;
  /** The create/PATCH request bodies and the summary block (documented in /openapi.json as they are). */
  readonly forms: ForgeForms;
  /** The API adapter with the provider's credentials bound (repositories, branches, lookup, compare; hooks if any). */
  connect(provider: GitProvider, tools: ConnectTools): ForgeApi & Partial<ForgeHooks>;
  /**
   * Who registers the repository webhooks: forgelink, one per repository (`repository`), or an app the forge delivers
   * every repository's events from (GitHub Apps: `{ managedBy: 'github-app' }`, nothing to register).
   */
  readonly hooks: 'repository' | { readonly managedBy: 'github-app' };
  /** Verification and parsing of the forge's deliveries (hot path: pure functions over the raw bytes). */
  readonly webhooks: WebhookForge;
  /** What people are told when the provider cannot be used yet, or the listing found nothing there. */
  readonly guidance: ForgeGuidance;
  /** OAuth authorisation-code forges (GitLab, Gitea/Forgejo): the flow in src/forges/shared/oauth/ serves them. */
  readonly oauth?: OAuthCapability;
  /** Settings the forge tells about itself once credentials exist (a GitHub App's slug and page). Best effort, never throws. */
  learn?(settings: ProviderSettings, secrets: ProviderSecrets, tools: LearnTools): Promise<SettingsChange | undefined>;
  /** The settings and secrets whose change makes what `learn` found stale. */
  readonly learnsFrom?: readonly string[];
  /** Forge-only use cases and their routes (the GitHub App manifest and install flows). */
  extras?(deps: ForgeExtrasDeps): ForgeExtras;
}

export interface ForgeGuidance {
  /** The listing answered 404: what the provider points at that does not exist (GitHub installation, Bitbucket workspace, server URL). */
  missingTarget(settings: ProviderSettings): string;
  /** The provider's status is pending_*: what to do first. */
  notReady(provider: GitProvider): string;
}

/**
 * OAuth authorisation-code forges. The provider's kind names its OAuth application field; `redirectUri` and the token
 * times are settings every OAuth forge keeps (src/forges/shared/oauth/oauth-tokens.ts).
 */
export interface OAuthCapability {
  /** The OAuth client on the forge at `url` (the public URL for the browser, the internal URL for token calls). */
  client(http: ForgeHttp, url: string): OAuthClient;
  /** The forge's public address (the consent page is there). */
  publicUrl(settings: ProviderSettings): string;
}

/** The create/PATCH bodies and the summary block (git-providers/http/provider-forms.ts). */
export interface ForgeForms {
  readonly create: CreateForm;
  readonly update: UpdateForm;
  /** The summary block's fields (never a secret: `has*` booleans stand in for them). */
  readonly summary: z.ZodObject;
  summaryBlock(view: ProviderView, context: SummaryContext): Record<string, unknown>;
}
export interface SummaryContext {
  readonly actor: Actor;
  webhookUrl(providerId: string): string;
  readonly states: StateTokens;
}

/** What adapters are built with: the forge HTTP path (SSRF guard, retries, ETag cache, metrics) and the OAuth token service. */
export interface ConnectTools {
  readonly guard: UrlGuard;
  readonly cache: ConditionalCache;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly retryBaseMs?: number;
  /** Bitbucket Cloud's API address (BITBUCKET_API_URL): the server's configuration, never the caller's. */
  readonly bitbucketApiUrl: string;
  http(forge: ForgeIdentity, providerId: string): ForgeHttp;
  observer(forge: ForgeName, providerId: string | undefined): ForgeExchangeObserver | undefined;
  /** Access tokens of OAuth providers, refreshed before expiry under a row lock; `wrap` retries once after a 401. */
  oauthApi<A extends ForgeApi & Partial<ForgeHooks>>(provider: GitProvider, build: (accessToken: () => Promise<string>) => A): A;
}

export interface LearnTools {
  readonly guard: UrlGuard;
  readonly timeoutMs: number;
  /** Why the forge could not be asked (logged; the provider is saved without what was to be learnt). */
  onFailure(detail: string): void;
}

/** Secrets as a create/PATCH body gives them: absent ones are not set. */
export type SecretInputs = Partial<Record<SecretName, string | undefined>>;
export type SecretMap = Partial<Record<SecretName, Secret>>;
