import { type ZodType } from 'zod';
import { ForgeError, type ForgeKind, type ForgeName } from '../../modules/git-providers/application/ports/forge.js';
import { type UrlGuard } from './url-guard.js';

/**
 * Told about every HTTP exchange with a forge (each attempt): the status (or `timeout` / `connection_error`), the
 * seconds until the answer's headers, and those headers (rate-limit budget). Feeds the metrics; must not throw.
 */
export type ForgeExchangeObserver = (status: string, seconds: number, headers?: Headers) => void;

export interface ForgeHttpOptions {
  /** The forge's type, label and refusal rules (a bare type is its own label). */
  readonly forge: ForgeIdentity | ForgeKind;
  readonly guard: UrlGuard;
  /** Per-attempt timeout. */
  readonly timeoutMs?: number;
  /** Extra attempts after a 5xx, timeout or connection failure. */
  readonly retries?: number;
  readonly retryBaseMs?: number;
  readonly cache?: ConditionalCache;
  readonly fetch?: typeof fetch;
  readonly observe?: ForgeExchangeObserver;
}

export interface ForgeRequest<T> {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly headers?: Record<string, string>;
  /** Sent as JSON unless it is a URLSearchParams (form-encoded). */
  readonly body?: unknown;
  /** Validates the JSON answer; a mismatch is a FORGE_ERROR, never a crash further in. */
  readonly schema?: ZodType<T>;
  /** Scope of the conditional-request cache (e.g. the credential's identity); GETs only. */
  readonly cacheScope?: string;
  /** Statuses returned to the caller instead of thrown (e.g. 404 when "absent" is an answer). */
  readonly allowStatus?: readonly number[];
  /** Off for single-use requests such as an OAuth refresh, where a retry could burn the new token. */
  readonly retry?: boolean;
  /** Names the call in error messages: "listing repositories". */
  readonly what?: string;
}

export interface ForgeResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly data: T;
}

/**
 * The one HTTP path of every forge adapter: SSRF guard before each request, timeouts, retries with
 * backoff on 5xx/timeouts, rate-limit detection, conditional requests (ETag) and zod-parsed answers.
 */
export class ForgeHttp {
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ForgeHttpOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 2;
    this.retryBaseMs = options.retryBaseMs ?? 250;
    this.fetchImpl = options.fetch ?? fetch;
  }

  get forge(): ForgeKind {
    return nameOf(this.options.forge).type;
  }

  async request<T = unknown>(req: ForgeRequest<T>): Promise<ForgeResponse<T>> {
    const method = req.method ?? 'GET';
    const blocked = await this.options.guard.check(req.url);
    if (blocked) throw this.error('blocked_url', `${this.label} URL ${new URL(req.url).origin} ${blocked}`);

    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'forgelink', ...req.headers };
    let body: string | undefined;
    if (req.body instanceof URLSearchParams) {
      body = req.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] ??= 'application/json';
    }

    const cacheKey = method === 'GET' && req.cacheScope && this.options.cache ? `${req.cacheScope} ${req.url}` : undefined;
    const cached = cacheKey ? this.options.cache?.get(cacheKey) : undefined;
    if (cached) headers['if-none-match'] = cached.etag;

    const attempts = req.retry === false ? 1 : this.retries + 1;
    let lastFailure: ForgeError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let response: Response;
      const started = performance.now();
      try {
        response = await this.fetchImpl(req.url, {
          method,
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (cause) {
        const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
        this.options.observe?.(timedOut ? 'timeout' : 'connection_error', (performance.now() - started) / 1000);
        lastFailure = this.error(
          'unavailable',
          `${this.label} did not answer ${req.what ?? method + ' ' + this.path(req.url)} (${timedOut ? 'timeout' : 'connection failed'})`,
        );
        if (attempt < attempts) await sleep(this.backoff(attempt));
        continue;
      }
      this.options.observe?.(String(response.status), (performance.now() - started) / 1000, response.headers);

      if (response.status === 304 && cached && cacheKey) {
        await response.body?.cancel();
        return { status: 200, headers: response.headers, data: cached.data as T };
      }
      if (response.status >= 500) {
        await response.body?.cancel();
        lastFailure = this.error(
          'unavailable',
          `${this.label} answered ${response.status} to ${req.what ?? method + ' ' + this.path(req.url)}`,
          response.status,
        );
        if (attempt < attempts) await sleep(this.backoff(attempt));
        continue;
      }
      if (req.allowStatus?.includes(response.status)) {
        const text = await response.text();
        return { status: response.status, headers: response.headers, data: safeJson(text) as T };
      }
      if (response.status >= 400 || (response.status >= 300 && response.status < 400)) {
        throw await this.failureFor(response, req);
      }

      const text = await response.text();
      let json: unknown = undefined;
      if (text.length > 0) {
        try {
          json = JSON.parse(text);
        } catch {
          throw this.error(
            'bad_response',
            `${this.label} answered ${req.what ?? this.path(req.url)} with something that is not JSON`,
            response.status,
          );
        }
      }
      let data: T;
      if (req.schema) {
        const parsed = req.schema.safeParse(json);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw this.error(
            'bad_response',
            `${this.label} answered ${req.what ?? this.path(req.url)} with an unexpected shape${issue ? ` (${issue.path.join('.') || 'body'}: ${issue.message})` : ''}`,
            response.status,
          );
        }
        data = parsed.data;
      } else data = json as T;

      const etag = response.headers.get('etag');
      if (cacheKey && etag) this.options.cache?.set(cacheKey, { etag, data });
      return { status: response.status, headers: response.headers, data };
    }
    throw lastFailure ?? this.error('unavailable', `${this.label} did not answer`);
  }

  error(kind: ForgeError['kind'], message: string, status?: number, retryAfterSeconds?: number): ForgeError {
    return new ForgeError(this.options.forge, kind, message, status, retryAfterSeconds);
  }

  private get label(): string {
    return nameOf(this.options.forge).label;
  }

  private path(url: string): string {
    return new URL(url).pathname;
  }

  private backoff(attempt: number): number {
    return this.retryBaseMs * 2 ** (attempt - 1) + Math.floor(Math.random() * this.retryBaseMs);
  }

  private async failureFor(response: Response, req: ForgeRequest<unknown>): Promise<ForgeError> {
    const text = await response.text().catch(() => '');
    return failureFromAnswer(
      this.options.forge,
      response.status,
      response.headers,
      text,
      req.what ?? `${req.method ?? 'GET'} ${this.path(req.url)}`,
      this.path(req.url),
    );
  }
}

/**
 * The ForgeError for a 3xx/4xx answer; exported for adapters whose HTTP goes through an SDK (Octokit).
 * `path` is the request's URL path: it tells a refusal of one repository from a refusal of the credentials (see {@link refusalOf}).
 */
export function failureFromAnswer(
  named: ForgeIdentity | ForgeKind,
  status: number,
  headers: Headers,
  body: string,
  what: string,
  path?: string,
): ForgeError {
  const forge = nameOf(named);
  const label = forge.label;
  const error = (kind: ForgeError['kind'], message: string, retryAfter?: number): ForgeError =>
    new ForgeError(forge, kind, message, status, retryAfter);
  const retryAfter = retryAfterSeconds(headers);
  const remaining = headers.get('x-ratelimit-remaining') ?? headers.get('ratelimit-remaining');
  const secondary = /secondary rate limit|rate limit exceeded|abuse detection/i.test(body);
  if (status === 429 || (status === 403 && (remaining === '0' || secondary))) {
    return error('rate_limited', `${label} rate-limited ${what}; retry after ${retryAfter ?? 60} s`, retryAfter ?? 60);
  }
  if (status === 401) return error('unauthorized', `${label} rejected the credentials (401) while ${what}`);
  if (status === 403) {
    const refusal = refusalOf(named, path, body);
    if (refusal.resource) {
      return new ForgeError(
        forge,
        'resource_forbidden',
        `${label} refused access to ${refusal.resource} (403${refusal.said ? `: "${refusal.said}"` : ''})`,
        status,
        undefined,
        refusal.resource,
      );
    }
    return error(
      'forbidden',
      `${label} refused the provider's credentials while ${what} (403${refusal.said ? `: "${refusal.said}"` : ''}). ${refusal.remedy}`,
    );
  }
  if (status === 404) return error('not_found', `${label} answered 404 to ${what}`);
  if (status >= 300 && status < 400) return error('bad_response', `${label} redirected ${what} (${status}); check the forge URL`);
  return error('bad_response', `${label} answered ${status} to ${what}`);
}

/**
 * How one forge's 403s read (FORGES.md "Not every 403 means the credentials are bad"): what people are told to do,
 * and which request paths address one repository. Each plug-in declares its own on its {@link ForgeIdentity}.
 */
export interface RefusalRules {
  /** The forge says a token scope or App permission is missing. */
  readonly missingScope: string;
  /** A GitHub App installation that an owner suspended. */
  readonly suspended?: string;
  /** A grant or App installation that is gone. */
  readonly revoked?: string;
  /** Any other refusal of the credentials. */
  readonly otherwise: string;
  /** "repository acme/web" when the decoded path segments address one repository; undefined otherwise. */
  resourceOf?(segments: readonly string[]): string | undefined;
}

/** A forge as its HTTP calls name it: type, label, and how its refusals read. */
export interface ForgeIdentity extends ForgeName {
  readonly refusals?: RefusalRules;
}

/** For a bare type (tests, tools): a refusal is about the credentials, with a remedy that fits every forge. */
const GENERIC_REFUSALS: RefusalRules = {
  missingScope: 'The credentials lack a permission forgelink needs: grant it on the forge, then PATCH the provider.',
  otherwise: "Check the credentials' permissions on the forge, then PATCH the provider.",
};

/**
 * `resourceOf` for APIs that address a repository as `…/<marker>/<a>/<b>…` (`parts` segments after the marker):
 * `repositoryAfter('repos')` reads `/repos/acme/web/branches` as "repository acme/web".
 */
export function repositoryAfter(marker: string, noun = 'repository', parts = 2): (segments: readonly string[]) => string | undefined {
  return (segments) => {
    const at = segments.indexOf(marker);
    const rest = at >= 0 ? segments.slice(at + 1, at + 1 + parts) : [];
    return rest.length === parts && rest.every(Boolean) ? `${noun} ${rest.join('/')}` : undefined;
  };
}

/**
 * The one place a 403 is classified. Provider-wide: the forge says so (a missing token scope — GitLab
 * `insufficient_scope`, Gitea "required scope(s)", Bitbucket "lack one or more required privilege scopes" —, a
 * suspended or uninstalled GitHub App, a revoked grant), or the call is not about one repository (listing, the
 * installation token). Resource-level: a call on one repository or project, as the forge's rules read the path
 * (GitLab answers a Guest `{"message":"403 Forbidden"}` on its branches; GitHub "Resource not accessible by
 * integration" when the App lacks a permission there). `said` is the forge's own message, trimmed.
 */
export function refusalOf(
  forge: ForgeIdentity | ForgeKind,
  path: string | undefined,
  body: string,
): { said?: string; resource?: string; remedy: string } {
  const rules = (typeof forge === 'string' ? undefined : forge.refusals) ?? GENERIC_REFUSALS;
  const said = forgeMessage(body);
  const text = `${said ?? ''} ${body.slice(0, 2_000)}`;
  const scope = /insufficient[_ ]scope|required (privilege )?scope|scope\(s\)|lacks? (the )?(required )?scope/i.test(text);
  const suspended = rules.suspended !== undefined && /suspended/i.test(text);
  const revoked = rules.revoked !== undefined && /revoked|uninstalled|no longer (installed|authori[sz]ed)|invalid_token/i.test(text);
  const remedy = suspended ? rules.suspended : revoked ? rules.revoked : scope ? rules.missingScope : rules.otherwise;
  const providerWide = scope || suspended || revoked;
  const resource = providerWide || path === undefined ? undefined : rules.resourceOf?.(segmentsOf(path));
  return { ...(said ? { said } : {}), ...(resource ? { resource } : {}), remedy: remedy ?? rules.otherwise };
}

function segmentsOf(path: string): string[] {
  return path
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

/** A bare type names itself. */
export function nameOf(forge: ForgeName | ForgeKind): ForgeName {
  return typeof forge === 'string' ? { type: forge, label: forge } : forge;
}

/** The forge's own words from an error body (`message`, `error_description`, `error.message`, `error`), one line, ≤ 300 characters. */
export function forgeMessage(body: string): string | undefined {
  const json = safeJson(body);
  let said: unknown;
  if (json && typeof json === 'object') {
    const record = json as Record<string, unknown>;
    const error = record.error;
    said =
      (typeof record.message === 'string' && record.message) ||
      (typeof record.error_description === 'string' && record.error_description) ||
      (error &&
        typeof error === 'object' &&
        typeof (error as Record<string, unknown>).message === 'string' &&
        (error as Record<string, unknown>).message) ||
      (typeof error === 'string' && error) ||
      undefined;
  }
  if (typeof said !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex -- forge text goes into a problem detail: one printable line
  const line = said.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line || undefined;
}

function safeJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Retry-After (seconds or HTTP date), else the reset time of GitHub/GitLab rate-limit headers. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(1, Math.ceil(seconds));
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(1, Math.ceil((date - now) / 1000));
  }
  const reset = headers.get('x-ratelimit-reset') ?? headers.get('ratelimit-reset');
  if (reset && /^\d+$/.test(reset)) {
    const value = Number(reset);
    // epoch seconds (GitHub, GitLab) vs. seconds-from-now (IETF draft)
    const seconds = value > 1_000_000_000 ? value - Math.floor(now / 1000) : value;
    return Math.max(1, seconds);
  }
  return undefined;
}

export interface CachedAnswer {
  readonly etag: string;
  readonly data: unknown;
}

/** Bounded LRU of ETag'd answers: a repeat listing sends If-None-Match and a 304 costs no rate limit. */
export class ConditionalCache {
  private readonly entries = new Map<string, CachedAnswer>();

  constructor(private readonly maxEntries = 2_000) {}

  get(key: string): CachedAnswer | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: CachedAnswer): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

/** Parses an RFC 8288 Link header into rel → URL. */
export function parseLinkHeader(header: string | null): Record<string, string> {
  const links: Record<string, string> = {};
  if (!header) return links;
  // Split on the <URL> boundaries, not on commas: a URL may itself contain commas (q=a,b).
  for (const match of header.matchAll(/<([^>]+)>\s*;([^<]*)/g)) {
    if (!match[1] || !match[2]) continue;
    const rel = /rel=(?:"([^"]+)"|([^\s;,]+))/.exec(match[2]);
    const names = rel?.[1] ?? rel?.[2];
    if (names) for (const name of names.trim().split(/\s+/)) links[name] = match[1];
  }
  return links;
}

/**
 * Pages of one listing fetched side by side once the first page told the total. 25 makes a first listing of 5,000
 * repositories (50 pages of 100) 1 + 2 round trips instead of 50 (16 would need 1 + 4, 10 1 + 5), and stays far
 * inside every forge's limits: GitHub allows 100 concurrent requests (secondary rate limit) and 900 REST points a
 * minute; GitLab.com and Bitbucket Cloud count requests per user per time window, not requests in flight, so
 * concurrency does not change what a listing costs there (the picker cache does); Gitea/Forgejo have no limit by
 * default. docs/benchmarks.md has the figures.
 * A 429 or secondary-limit 403 on any page fails the listing as rate_limited with the forge's Retry-After.
 */
export const PAGE_CONCURRENCY = 25;

/**
 * Runs fn over items with at most `limit` in flight, keeping the input order in the result. After a failure no new
 * item starts (a listing that hit a rate limit on one page must not go on asking for the others).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!(limit >= 1)) throw new RangeError(`mapLimit needs a limit of at least 1, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
