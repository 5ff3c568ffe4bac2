import { type GitProvider } from '../modules/git-providers/domain/git-provider.js';
import {
  type ForgeApi,
  ForgeError,
  type ForgeHooks,
  type ForgeName,
  type OAuthClient,
} from '../modules/git-providers/application/ports/forge.js';
import { type ForgeConnector } from '../modules/git-providers/application/ports/forge-connector.js';
import { type CredentialRefusals } from '../modules/git-providers/application/services/credential-refusals.js';
import { type Metrics } from '../shared/metrics.js';
import { ConditionalCache, type ForgeExchangeObserver, ForgeHttp, type ForgeIdentity } from './shared/forge-http.js';
import { type UrlGuard } from './shared/url-guard.js';
import { type OAuthTokens } from './shared/oauth/oauth-tokens.js';
import { type ConnectTools, type ForgePlugin } from './forge-plugin.js';

export interface ConnectorOptions {
  readonly guard: UrlGuard;
  readonly bitbucketApiUrl: string;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly retryBaseMs?: number;
  readonly metrics?: Pick<Metrics, 'forgeRequest' | 'forgeRateLimitRemaining'>;
}

/**
 * Binds each provider's decrypted credentials to its forge's adapter (the plug-in's `connect`), and reports every
 * refusal of the credentials as a whole, and every success after one, to CredentialRefusals — the one place a
 * provider's credential health is recorded, whichever use case made the call.
 */
export class PluginForgeConnector implements ForgeConnector {
  readonly cache = new ConditionalCache();
  private tokens?: OAuthTokens;
  private refusals?: CredentialRefusals;

  constructor(
    private readonly plugin: (type: string) => ForgePlugin,
    private readonly options: ConnectorOptions,
  ) {}

  /** Set once at composition: the token service needs the connector's OAuth clients, and the connector its tokens. */
  useTokens(tokens: OAuthTokens): void {
    this.tokens = tokens;
  }

  /** Set once at composition: where refusals of a provider's credentials (and their recovery) are reported. */
  useRefusals(refusals: CredentialRefusals): void {
    this.refusals = refusals;
  }

  api(provider: GitProvider): ForgeApi {
    return this.reportingRefusals(provider, this.plugin(provider.type).connect(provider, this.tools));
  }

  hooks(provider: GitProvider): ForgeHooks | undefined {
    const plugin = this.plugin(provider.type);
    if (plugin.hooks !== 'repository') return undefined;
    return this.reportingRefusals(provider, plugin.connect(provider, this.tools) as ForgeApi & ForgeHooks);
  }

  appManagedHooks(provider: GitProvider): string | undefined {
    const hooks = this.plugin(provider.type).hooks;
    return hooks === 'repository' ? undefined : hooks.managedBy;
  }

  label(type: string): string {
    return this.plugin(type).name.label;
  }

  /** The OAuth client of an OAuth provider: the browser authorises on the public URL, tokens move on the internal one. */
  oauth(provider: GitProvider): OAuthClient {
    const plugin = this.plugin(provider.type);
    const oauth = plugin.oauth;
    if (!oauth) throw new Error(`A ${provider.type} provider has no OAuth flow`);
    const client = (url: string): OAuthClient => oauth.client(this.http(plugin.name, provider.id), url);
    const browser = client(oauth.publicUrl(provider.settings));
    const internal = provider.settings.internalUrl;
    if (!internal) return browser;
    const server = client(internal);
    return {
      authorizeUrl: (input) => browser.authorizeUrl(input),
      exchangeCode: (input) => server.exchangeCode(input),
      refresh: (input) => server.refresh(input),
    };
  }

  /** What plug-ins build adapters with. */
  get tools(): ConnectTools {
    const o = this.options;
    return {
      guard: o.guard,
      cache: this.cache,
      timeoutMs: o.timeoutMs,
      retries: o.retries,
      retryBaseMs: o.retryBaseMs,
      bitbucketApiUrl: o.bitbucketApiUrl,
      http: (forge, providerId) => this.http(forge, providerId),
      observer: (forge, providerId) => this.observer(forge, providerId),
      oauthApi: (provider, build) => withReauthorization(build, provider.id, this.requireTokens()),
    };
  }

  /**
   * Every forge call of every adapter passes here: a refusal of the credentials as a whole flags the provider
   * (CredentialRefusals), whichever use case made the call; a refusal of one repository does not. A call that works
   * again with credentials that can be fixed on the forge side (not OAuth: that needs a new grant) clears the flag.
   */
  private reportingRefusals<A extends object>(provider: GitProvider, api: A): A {
    const refusals = this.refusals;
    if (!refusals) return api;
    const recovers = provider.status === 'needs_reauthorization' && !provider.usesOAuth();
    return new Proxy(api, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          let result: unknown;
          try {
            result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } catch (error) {
            if (error instanceof ForgeError && PROVIDER_WIDE.has(error.kind)) await refusals.refused(provider.id);
            throw error;
          }
          if (recovers) await refusals.worked(provider.id);
          return result;
        };
      },
    });
  }

  private requireTokens(): OAuthTokens {
    if (!this.tokens) throw new Error('PluginForgeConnector.useTokens() was not called');
    return this.tokens;
  }

  /** One per provider (cheap: the ETag cache is shared), so each exchange can report that provider's rate-limit budget. */
  private http(forge: ForgeIdentity, providerId: string): ForgeHttp {
    const o = this.options;
    return new ForgeHttp({
      forge,
      guard: o.guard,
      cache: this.cache,
      timeoutMs: o.timeoutMs,
      retries: o.retries,
      retryBaseMs: o.retryBaseMs,
      observe: this.observer(forge, providerId),
    });
  }

  private observer(forge: ForgeName, providerId: string | undefined): ForgeExchangeObserver | undefined {
    const metrics = this.options.metrics;
    if (!metrics) return undefined;
    return (status, seconds, headers) => {
      metrics.forgeRequest(forge.type, status, seconds);
      // GitHub, Gitea and Bitbucket send X-RateLimit-Remaining, GitLab RateLimit-Remaining.
      const remaining = headers?.get('x-ratelimit-remaining') ?? headers?.get('ratelimit-remaining');
      if (providerId && remaining && /^\d{1,9}$/.test(remaining))
        metrics.forgeRateLimitRemaining(forge.type, providerId, Number(remaining));
    };
  }
}

/** Refusals of the credentials themselves; 'resource_forbidden' (one repository) is not among them. */
const PROVIDER_WIDE = new Set<ForgeError['kind']>(['unauthorized', 'invalid_grant', 'forbidden']);

/**
 * OAuth adapters get a token getter that refreshes before expiry; when the forge still answers 401
 * (a token without a known expiry, or revoked early) the call is retried once after a locked refresh.
 */
function withReauthorization<A extends ForgeApi & Partial<ForgeHooks>>(
  build: (accessToken: () => Promise<string>) => A,
  providerId: string,
  tokens: OAuthTokens,
): A {
  let used: string | undefined;
  // One adapter serves one use case (a listing, a connect): it asks for a token once, so its pages never refresh
  // again on their own; only a 401 (below) replaces the token mid-way.
  let current: Promise<string> | undefined;
  const api = build(async () => {
    current ??= tokens.accessToken(providerId).catch((error: unknown) => {
      current = undefined;
      throw error;
    });
    return (used = await current);
  });
  return new Proxy(api, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          if (!(error instanceof ForgeError) || error.kind !== 'unauthorized') throw error;
          current = tokens.refresh(providerId, used);
          await current;
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        }
      };
    },
  });
}
