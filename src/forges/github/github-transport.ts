import { Octokit } from '@octokit/rest';
import { ForgeError } from '../../modules/git-providers/application/ports/forge.js';
import {
  type ConditionalCache,
  type ForgeExchangeObserver,
  type ForgeIdentity,
  failureFromAnswer,
  repositoryAfter,
} from '../shared/forge-http.js';
import { type UrlGuard } from '../shared/url-guard.js';

/** GitHub as errors and messages name it. */
export const GITHUB: ForgeIdentity = {
  type: 'github',
  label: 'GitHub',
  refusals: {
    missingScope: 'The GitHub App lacks a permission forgelink needs: grant it in the App settings and accept it on the installation.',
    suspended:
      "The GitHub App installation is suspended: an owner of the account lifts it on GitHub under Settings → Applications (or the organisation's Settings → GitHub Apps) → Configure → Unsuspend; then retry.",
    revoked: "The GitHub App was uninstalled: install it again (the provider's installUrl) or PATCH installationId.",
    otherwise: "Check the credentials' permissions on the forge, then PATCH the provider.",
    resourceOf: repositoryAfter('repos'),
  },
};

export interface GitHubDeps {
  readonly guard: UrlGuard;
  /** ETag cache: repeat listings send If-None-Match, and GitHub does not charge a 304 to the rate limit. */
  readonly cache?: ConditionalCache;
  /** Per-attempt timeout. */
  readonly timeoutMs?: number;
  /** Extra attempts after a 5xx, timeout or connection failure. */
  readonly retries?: number;
  readonly retryBaseMs?: number;
  readonly observe?: ForgeExchangeObserver;
}

/** github.com → api.github.com; <x>.ghe.com → api.<x>.ghe.com; anything else is GitHub Enterprise Server (<url>/api/v3). */
export function gitHubApiBase(githubUrl: string): string {
  const trimmed = githubUrl.trim().replace(/\/+$/, '');
  const url = new URL(trimmed);
  const host = url.hostname.toLowerCase();
  if (host === 'github.com' || host === 'www.github.com' || host === 'api.github.com') return 'https://api.github.com';
  if (host.endsWith('.ghe.com')) return `https://${host.startsWith('api.') ? host : `api.${host}`}`;
  return `${trimmed}/api/v3`;
}

interface TransportOptions {
  readonly apiBase: string;
  /** Scope of ETag'd answers (the installation), so one installation never sees another's cached listing. */
  readonly cacheScope?: string;
  /** Overrides deps.retries; 0 for single-use requests such as a manifest conversion. */
  readonly retries?: number;
}

const API_VERSION = '2022-11-28';

/** An Octokit whose every request goes through {@link guardedFetch}. */
export function gitHubOctokit(deps: GitHubDeps, transport: TransportOptions, authStrategy?: () => unknown): Octokit {
  return new Octokit({
    baseUrl: transport.apiBase,
    userAgent: 'forgelink',
    headers: { 'x-github-api-version': API_VERSION },
    request: { fetch: guardedFetch(deps, transport) },
    log: quietLog,
    ...(authStrategy ? { authStrategy } : {}),
  });
}

export const quietLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

interface CachedPage {
  readonly body: string;
  readonly headers: [string, string][];
}

/**
 * The fetch Octokit uses: SSRF guard on every URL (redirects and Link URLs included), requests pinned to the API
 * origin so the installation token never leaves it, per-attempt timeouts, retries with backoff on 5xx/timeouts,
 * ETag conditional requests (a 304 is answered from the cache) and a JSON check on every successful body.
 */
export function guardedFetch(deps: GitHubDeps, transport: TransportOptions): typeof fetch {
  const origin = new URL(transport.apiBase).origin;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const retryBaseMs = deps.retryBaseMs ?? 250;
  const attempts = (transport.retries ?? deps.retries ?? 2) + 1;

  const ensureAllowed = async (url: string): Promise<void> => {
    const blocked = await deps.guard.check(url);
    if (blocked) throw new ForgeError(GITHUB, 'blocked_url', `GitHub URL ${safeOrigin(url)} ${blocked}`);
    if (new URL(url).origin !== origin) {
      throw new ForgeError(GITHUB, 'blocked_url', `GitHub pointed a request at ${safeOrigin(url)}, outside its API ${origin}`);
    }
  };

  const send = async (url: string, init: RequestInit, what: string): Promise<Response> => {
    let failure: ForgeError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const started = performance.now();
      try {
        const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
        deps.observe?.(String(response.status), (performance.now() - started) / 1000, response.headers);
        if (response.status < 500 || attempt === attempts) return response;
        await response.body?.cancel();
        failure = new ForgeError(GITHUB, 'unavailable', `GitHub answered ${response.status} to ${what}`, response.status);
      } catch (cause) {
        const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
        deps.observe?.(timedOut ? 'timeout' : 'connection_error', (performance.now() - started) / 1000);
        failure = new ForgeError(GITHUB, 'unavailable', `GitHub did not answer ${what} (${timedOut ? 'timeout' : 'connection failed'})`);
      }
      if (attempt < attempts) await sleep(retryBaseMs * 2 ** (attempt - 1) + Math.floor(Math.random() * retryBaseMs));
    }
    throw failure ?? new ForgeError(GITHUB, 'unavailable', `GitHub did not answer ${what}`);
  };

  return async (input, init) => {
    let url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = new Headers(init?.headers);
    const cacheKey = method === 'GET' && transport.cacheScope && deps.cache ? `${transport.cacheScope} ${url}` : undefined;
    const cachedAnswer = cacheKey ? deps.cache?.get(cacheKey) : undefined;
    const cached = cachedAnswer && isCachedPage(cachedAnswer.data) ? { etag: cachedAnswer.etag, page: cachedAnswer.data } : undefined;
    if (cached) headers.set('if-none-match', cached.etag);

    for (let hop = 0; ; hop++) {
      const what = `${method} ${new URL(url).pathname}`;
      await ensureAllowed(url);
      const response = await send(url, { ...init, method, headers }, what);

      if (response.status === 304 && cached) {
        await response.body?.cancel();
        return new Response(cached.page.body, { status: 200, headers: cached.page.headers });
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && response.status !== 304) {
        await response.body?.cancel();
        // GitHub answers 301 for renamed/transferred repositories; follow GETs, each hop guarded again.
        if (method === 'GET' && location && hop < 3) {
          url = new URL(location, url).href;
          continue;
        }
        throw failureFromAnswer(GITHUB, response.status, response.headers, '', what);
      }
      if (response.status < 200 || response.status >= 300) return response;

      const body = await response.text();
      if (body.length > 0 && /json/i.test(response.headers.get('content-type') ?? 'application/json')) {
        try {
          JSON.parse(body);
        } catch {
          throw new ForgeError(GITHUB, 'bad_response', `GitHub answered ${what} with something that is not JSON`, response.status);
        }
      }
      const etag = response.headers.get('etag');
      const page: CachedPage = {
        body,
        headers: [...response.headers].filter(([name]) => name !== 'content-encoding' && name !== 'content-length'),
      };
      if (cacheKey && etag) deps.cache?.set(cacheKey, { etag, data: page });
      return new Response(body.length > 0 ? body : null, { status: response.status, headers: page.headers });
    }
  };
}

/** Turns whatever Octokit threw into the ForgeError the application understands. */
export function toForgeError(error: unknown, what: string): ForgeError {
  if (error instanceof ForgeError) return error;
  if (!isRecord(error)) return new ForgeError(GITHUB, 'bad_response', `GitHub call failed while ${what}`);
  // Octokit wraps anything our fetch throws in a RequestError whose cause is our ForgeError.
  if (error.cause instanceof ForgeError) return error.cause;
  const status = typeof error.status === 'number' ? error.status : undefined;
  const response = isRecord(error.response) ? error.response : undefined;
  if (status !== undefined && response) {
    if (status >= 500) return new ForgeError(GITHUB, 'unavailable', `GitHub answered ${status} to ${what}`, status);
    const failure = failureFromAnswer(
      GITHUB,
      status,
      toHeaders(response.headers),
      bodyText(response.data),
      what,
      requestPath(error.request),
    );
    // GitHub's own words tell a bad key from a skewed clock ('iat' claim …) or a missing installation.
    const said = isRecord(response.data) && typeof response.data.message === 'string' ? response.data.message.slice(0, 200) : undefined;
    return said && status === 401
      ? new ForgeError(GITHUB, failure.kind, `${failure.message}: ${said}`, status, failure.retryAfterSeconds)
      : failure;
  }
  if (status !== undefined) return new ForgeError(GITHUB, 'unavailable', `GitHub did not answer ${what}`);
  throw error;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The URL path of the request Octokit reports with its error (what a 403 refused: one repository, or the App). */
function requestPath(request: unknown): string | undefined {
  if (!isRecord(request) || typeof request.url !== 'string') return undefined;
  try {
    return new URL(request.url).pathname;
  } catch {
    return undefined;
  }
}

function isCachedPage(value: unknown): value is CachedPage {
  return isRecord(value) && typeof value.body === 'string' && Array.isArray(value.headers);
}

function toHeaders(raw: unknown): Headers {
  const headers = new Headers();
  if (isRecord(raw)) for (const [name, value] of Object.entries(raw)) if (value !== undefined) headers.set(name, String(value));
  return headers;
}

function bodyText(data: unknown): string {
  if (typeof data === 'string') return data;
  try {
    return JSON.stringify(data) ?? '';
  } catch {
    return '';
  }
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'URL';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
