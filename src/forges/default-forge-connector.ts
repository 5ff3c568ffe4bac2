import { type GitProvider, serverUrlOf } from '../modules/git-providers/domain/git-provider.js';
import {
  type ForgeApi,
  ForgeError,
  type ForgeHooks,
  type ForgeKind,
  type OAuthClient,
} from '../modules/git-providers/application/ports/forge.js';
import { type ForgeConnector, type GitHubAppCredentials } from '../modules/git-providers/application/ports/forge-connector.js';
import { type OAuthTokens } from '../modules/git-providers/application/services/oauth-tokens.js';
import { type CredentialRefusals } from '../modules/git-providers/application/services/credential-refusals.js';
import { ConditionalCache, type ForgeExchangeObserver, ForgeHttp } from './shared/forge-http.js';
import { type Metrics } from '../shared/metrics.js';
import { type UrlGuard } from './shared/url-guard.js';
import {
  buildAppManifest,
  convertManifest,
  createGitHubApi,
  describeApp,
  type GitHubDeps,
  installUrl,
  isInstallationOfApp,
  manifestPostUrl,
} from './github/index.js';
import { type GitHubAppLookup } from '../modules/git-providers/application/ports/github-app-lookup.js';
import { createGitLabApi } from './gitlab/gitlab-api.js';
import { createGitLabOAuth } from './gitlab/gitlab-oauth.js';
import { createBitbucketApi } from './bitbucket/bitbucket-api.js';
import { createGiteaApi, createGiteaOAuth } from './gitea/index.js';

export interface ConnectorOptions {
  readonly guard: UrlGuard;
  readonly bitbucketApiUrl: string;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly retryBaseMs?: number;
  readonly metrics?: Pick<Metrics, 'forgeRequest' | 'forgeRateLimitRemaining'>;
}

/** Binds each provider's decrypted credentials to its forge adapter. Adding a forge adds one case here. */
export class DefaultForgeConnector implements ForgeConnector {
  private readonly cache = new ConditionalCache();
  private tokens?: OAuthTokens;
  private refusals?: CredentialRefusals;

  constructor(private readonly options: ConnectorOptions) {}

  /** Set once at composition: the token service needs the connector's OAuth clients, and the connector its tokens. */
  useTokens(tokens: OAuthTokens): void {
    this.tokens = tokens;
  }

  /** Set once at composition: where refusals of a provider's credentials are reported (flags the provider). */
  useRefusals(refusals: CredentialRefusals): void {
    this.refusals = refusals;
  }

  api(provider: GitProvider): ForgeApi {
    return this.reportingRefusals(provider, this.adapter(provider));
  }

  hooks(provider: GitProvider): ForgeHooks | undefined {
    return provider.type === 'github' ? undefined : this.reportingRefusals(provider, this.adapter(provider) as ForgeApi & ForgeHooks);
  }

  /**
   * Every forge call of every adapter passes here: a refusal of the credentials as a whole flags the provider
   * (CredentialRefusals), whichever use case made the call; a refusal of one repository does not.
   */
  private reportingRefusals<A extends object>(provider: GitProvider, api: A): A {
    const refusals = this.refusals;
    if (!refusals) return api;
    return new Proxy(api, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } catch (error) {
            if (error instanceof ForgeError && PROVIDER_WIDE.has(error.kind)) await refusals.refused(provider.id);
            throw error;
          }
        };
      },
    });
  }

  oauth(provider: GitProvider): OAuthClient {
    const s = provider.settings;
    if (s.type !== 'gitlab' && s.type !== 'gitea') throw new Error(`A ${provider.type} provider has no OAuth flow`);
    const client = (url: string): OAuthClient =>
      s.type === 'gitlab'
        ? createGitLabOAuth(this.http('gitlab', provider.id), url)
        : createGiteaOAuth(this.http('gitea', provider.id), url);
    const browser = client(s.type === 'gitlab' ? s.gitlabUrl : s.giteaUrl);
    if (!s.internalUrl) return browser;
    // The browser authorises on the public URL; forgelink exchanges and refreshes tokens on the internal one.
    const server = client(s.internalUrl);
    return {
      authorizeUrl: (input) => browser.authorizeUrl(input),
      exchangeCode: (input) => server.exchangeCode(input),
      refresh: (input) => server.refresh(input),
    };
  }

  gitHubManifest(input: Parameters<ForgeConnector['gitHubManifest']>[0]): { postUrl: string; manifest: Record<string, unknown> } {
    return { postUrl: manifestPostUrl(input.githubUrl, input.organization), manifest: buildAppManifest(input) };
  }

  async convertGitHubManifest(githubUrl: string, code: string): Promise<GitHubAppCredentials> {
    const app = await convertManifest(this.githubDeps(), githubUrl, code);
    return {
      appId: app.appId,
      appSlug: app.slug,
      appHtmlUrl: app.htmlUrl,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      webhookSecret: app.webhookSecret,
      privateKey: app.privateKey,
    };
  }

  async isGitHubAppInstallation(provider: GitProvider, installationId: number): Promise<boolean> {
    const s = provider.settings;
    const privateKey = provider.secret('privateKey');
    if (s.type !== 'github' || s.appId === undefined || !privateKey)
      throw new ForgeError('github', 'unauthorized', 'The GitHub App is missing its app id or private key');
    return isInstallationOfApp(
      this.githubDeps(provider.id),
      { githubUrl: serverUrlOf(s), appId: s.appId, privateKey: privateKey.reveal() },
      installationId,
    );
  }

  gitHubInstallUrl(appHtmlUrl: string, state: string): string {
    return installUrl(appHtmlUrl, state);
  }

  private adapter(provider: GitProvider): ForgeApi & Partial<ForgeHooks> {
    const s = provider.settings;
    const scope = `${provider.id}:${provider.version}`;
    switch (s.type) {
      case 'github': {
        const privateKey = provider.secret('privateKey');
        if (s.appId === undefined || s.installationId === undefined || !privateKey) {
          throw new ForgeError('github', 'unauthorized', 'The GitHub App is missing its app id, private key or installation id');
        }
        return createGitHubApi(this.githubDeps(provider.id), {
          githubUrl: serverUrlOf(s),
          appId: s.appId,
          privateKey: privateKey.reveal(),
          installationId: s.installationId,
        });
      }
      case 'gitlab':
        return withReauthorization(
          (accessToken) =>
            createGitLabApi(this.http('gitlab', provider.id), {
              gitlabUrl: serverUrlOf(s),
              accessToken,
              groupName: s.groupName,
              cacheScope: scope,
            }),
          provider.id,
          this.requireTokens(),
        );
      case 'gitea':
        return withReauthorization(
          (accessToken) => createGiteaApi(this.http('gitea', provider.id), { giteaUrl: serverUrlOf(s), accessToken, cacheScope: scope }),
          provider.id,
          this.requireTokens(),
        );
      case 'bitbucket': {
        const auth =
          s.authMethod === 'api_token'
            ? { method: 'api_token' as const, email: s.email ?? s.username, apiToken: provider.secret('apiToken')?.reveal() ?? '' }
            : { method: 'app_password' as const, username: s.username, appPassword: provider.secret('appPassword')?.reveal() ?? '' };
        return createBitbucketApi(this.http('bitbucket', provider.id), {
          apiUrl: this.options.bitbucketApiUrl,
          workspace: s.workspace,
          auth,
          cacheScope: scope,
        });
      }
    }
  }

  private requireTokens(): OAuthTokens {
    if (!this.tokens) throw new Error('DefaultForgeConnector.useTokens() was not called');
    return this.tokens;
  }

  private githubDeps(providerId?: string): GitHubDeps {
    const o = this.options;
    return {
      guard: o.guard,
      cache: this.cache,
      timeoutMs: o.timeoutMs,
      retries: o.retries,
      retryBaseMs: o.retryBaseMs,
      observe: this.observer('github', providerId),
    };
  }

  /** One per provider (cheap: the ETag cache is shared), so each exchange can report that provider's rate-limit budget. */
  private http(forge: ForgeKind, providerId: string): ForgeHttp {
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

  private observer(forge: ForgeKind, providerId: string | undefined): ForgeExchangeObserver | undefined {
    const metrics = this.options.metrics;
    if (!metrics) return undefined;
    return (status, seconds, headers) => {
      metrics.forgeRequest(forge, status, seconds);
      // GitHub, Gitea and Bitbucket send X-RateLimit-Remaining, GitLab RateLimit-Remaining.
      const remaining = headers?.get('x-ratelimit-remaining') ?? headers?.get('ratelimit-remaining');
      if (providerId && remaining && /^\d{1,9}$/.test(remaining)) metrics.forgeRateLimitRemaining(forge, providerId, Number(remaining));
    };
  }
}

/** Refusals of the credentials themselves; 'resource_forbidden' (one repository) is not among them. */
const PROVIDER_WIDE = new Set<ForgeError['kind']>(['unauthorized', 'invalid_grant', 'forbidden']);

/**
 * OAuth adapters get a token getter that refreshes before expiry; when the forge still answers 401
 * (a token without a known expiry, or revoked early) the call is retried once after a locked refresh.
 */
function withReauthorization<A extends ForgeApi & ForgeHooks>(
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

/** `GET /app` with a short, single attempt: a provider is saved whether or not GitHub answers. */
export class GitHubAppDirectory implements GitHubAppLookup {
  constructor(
    private readonly guard: UrlGuard,
    private readonly onFailure: (detail: string) => void = () => undefined,
    private readonly timeoutMs = 3_000,
  ) {}

  async describe(input: {
    githubUrl: string;
    appId: number;
    privateKey: string;
  }): Promise<{ appSlug: string; appHtmlUrl: string } | undefined> {
    try {
      const app = await describeApp({ guard: this.guard, timeoutMs: this.timeoutMs, retries: 0 }, input);
      return { appSlug: app.slug, appHtmlUrl: app.htmlUrl };
    } catch (error) {
      this.onFailure(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  }
}
