import { createHash, randomBytes } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type RecordedAnswer, type RecordedRequest } from '../support/openapi.js';
import { consentPageHtml } from './consent-page.js';
import { LocalFakeServer } from './local-server.js';
import { FakeCommitStatuses } from './commit-statuses.js';

/**
 * A Gitea / Forgejo server on 127.0.0.1 that behaves like the real one where forgelink depends on it:
 * `limit` silently capped at MAX_RESPONSE_ITEMS (reported by /api/v1/settings/api), Link + X-Total-Count paging,
 * OAuth2 with single-use codes and single-use refresh tokens (Forgejo/Codeberg), expiring tokens (401),
 * repository hooks (admin only), compare, injected failures, and a log of every request.
 */
export type GiteaFlavor = 'gitea' | 'forgejo';

export interface FakeGiteaOptions {
  readonly flavor?: GiteaFlavor;
  /** MAX_RESPONSE_ITEMS: larger `limit`s are silently cut to this. Default 50 (Gitea's default). */
  readonly maxResponseItems?: number;
  /** DEFAULT_PAGING_NUM: the page size when no `limit` is sent. Default 30. */
  readonly defaultPagingNum?: number;
  /** Access-token lifetime; null omits expires_in and the token never expires. Default 3600. */
  readonly tokenLifetimeSeconds?: number | null;
  /** Delay before answering each API request, so concurrency can be observed. Default 0. */
  readonly latencyMs?: number;
  /** Send X-Total-Count on lists. Default true. */
  readonly totalCountHeader?: boolean;
  /** Send Link on lists. Default true. */
  readonly linkHeader?: boolean;
  /** Send ETag and answer If-None-Match with 304. Default false (Gitea sends none on API lists). */
  readonly etags?: boolean;
  /** false: /settings/api answers 404, like servers that predate it. Default true. */
  readonly settingsEndpoint?: boolean;
  /** Answer /login/oauth/authorize with Gitea's grant page (Authorize Application / Cancel) instead of approving at once. */
  readonly consentPage?: boolean;
}

export interface FakeGiteaRepository {
  readonly id: number;
  readonly owner: string;
  readonly name: string;
  readonly defaultBranch: string;
  readonly private: boolean;
  /** Hooks need admin rights on the repository; false → 403 on /hooks. */
  readonly admin: boolean;
}

export interface FakeGiteaBranch {
  readonly name: string;
  readonly commitSha: string;
  readonly protected: boolean;
}

/** A tag: an annotated one has its own tag object (the Tag's `id`), which is not the commit. */
export interface FakeGiteaTag {
  readonly name: string;
  readonly commitSha: string;
  readonly annotated?: boolean;
}

/** What the API shows for a commit. */
export interface FakeGiteaCommitInfo {
  readonly message: string;
  readonly author: string;
}

export interface FakeGiteaHook {
  readonly id: number;
  type: string;
  url: string;
  contentType: string;
  secret: string;
  events: string[];
  active: boolean;
  branchFilter: string;
}

export interface FakeGiteaHookLogEntry {
  readonly action: 'create' | 'update' | 'delete';
  readonly fullName: string;
  readonly id: number;
  readonly url: string;
}

export interface FakeGiteaRequest extends RecordedRequest {
  /** True for /api/v1 requests (path is then relative to /api/v1); false for /login/oauth and others. */
  readonly api: boolean;
  readonly status: number;
  readonly authorization?: string;
  readonly ifNoneMatch?: string;
  /** The `limit` query value as sent, if any. */
  readonly limit?: string;
}

export interface FakeCompareCommit {
  readonly sha: string;
  /** Omitted: the commit carries no file list. */
  readonly files?: readonly string[];
}

export interface FakeGiteaTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn?: number;
}

interface Application {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
}

interface Grant {
  readonly id: number;
  readonly clientId: string;
  accessToken?: string;
  refreshToken?: string;
  expiresAt?: number;
  readonly usedRefreshTokens: Set<string>;
}

interface Failure {
  readonly status: number;
  remaining: number;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly path?: string;
}

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Sent verbatim instead of JSON. */
  readonly raw?: string;
}

const API = '/api/v1';

export class FakeGitea extends LocalFakeServer {
  readonly flavor: GiteaFlavor;
  readonly requests: FakeGiteaRequest[] = [];
  /** API answers with their JSON bodies, for answersNotMatchingSpec(). */
  readonly answers: RecordedAnswer[] = [];
  /** POST /repos/{o}/{r}/statuses/{sha}: what was posted, commits, missing permission, forced failures. */
  readonly statuses = new FakeCommitStatuses('gitea');
  readonly hookLog: FakeGiteaHookLogEntry[] = [];
  /** Requests to /login/oauth/access_token, by grant type (attempts, successful or not). */
  tokenExchangeCount = 0;
  refreshCount = 0;
  /** Most API requests in flight at the same time since the last resetStats(). */
  maxConcurrent = 0;
  notModifiedCount = 0;
  maxResponseItems: number;
  defaultPagingNum: number;
  tokenLifetimeSeconds: number | null;
  latencyMs: number;

  private readonly options: FakeGiteaOptions;
  private inFlight = 0;
  private repositories: FakeGiteaRepository[] = [];
  private readonly branches = new Map<string, FakeGiteaBranch[]>();
  private readonly tags = new Map<string, FakeGiteaTag[]>();
  private readonly commitInfo = new Map<string, FakeGiteaCommitInfo>();
  private readonly hooks = new Map<string, FakeGiteaHook[]>();
  private readonly compares = new Map<string, { commits: FakeCompareCommit[]; totalCommits: number }>();
  private readonly applications = new Map<string, Application>();
  private readonly codes = new Map<string, { clientId: string; grantId: number }>();
  private grants: Grant[] = [];
  private readonly failures: Failure[] = [];
  private nextHookId = 1;
  private nextGrantId = 1;

  constructor(options: FakeGiteaOptions = {}) {
    super();
    this.options = options;
    this.flavor = options.flavor ?? 'gitea';
    this.maxResponseItems = options.maxResponseItems ?? 50;
    this.defaultPagingNum = options.defaultPagingNum ?? 30;
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds === undefined ? 3600 : options.tokenLifetimeSeconds;
    this.latencyMs = options.latencyMs ?? 0;
  }

  /** The instance URL (what a user enters as giteaUrl). */

  /** API requests in the shape requestsMissingFromSpec() takes. */
  apiRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.api).map(({ method, path, query }) => ({ method, path, query }));
  }

  resetStats(): void {
    this.requests.length = 0;
    this.answers.length = 0;
    this.maxConcurrent = 0;
    this.notModifiedCount = 0;
    this.tokenExchangeCount = 0;
    this.refreshCount = 0;
  }

  // ---- seeding -------------------------------------------------------------------------------

  /** `n` generated repositories (alice/repo-1, acme/repo-2, ...) or an explicit list. */
  setRepositories(repos: number | readonly (Partial<FakeGiteaRepository> & { name: string })[]): FakeGiteaRepository[] {
    const list: readonly (Partial<FakeGiteaRepository> & { name: string })[] =
      typeof repos === 'number' ? Array.from({ length: repos }, (_, i) => ({ name: `repo-${i + 1}` })) : repos;
    this.repositories = list.map((r, i) => ({
      id: r.id ?? i + 1,
      owner: r.owner ?? (i % 2 === 0 ? 'alice' : 'acme'),
      name: r.name,
      defaultBranch: r.defaultBranch ?? 'main',
      private: r.private ?? i % 3 === 0,
      admin: r.admin ?? true,
    }));
    return this.repositories;
  }

  /** `n` generated branches (main, branch-1, ...) or an explicit list. The repository must exist. */
  setBranches(fullName: string, branches: number | readonly (Partial<FakeGiteaBranch> & { name: string })[]): FakeGiteaBranch[] {
    if (!this.findRepository(fullName)) throw new Error(`FakeGitea: no repository ${fullName}`);
    const list: readonly (Partial<FakeGiteaBranch> & { name: string })[] =
      typeof branches === 'number' ? Array.from({ length: branches }, (_, i) => ({ name: i === 0 ? 'main' : `branch-${i}` })) : branches;
    const seeded = list.map((b) => ({
      name: b.name,
      commitSha: b.commitSha ?? sha(`${fullName}:${b.name}`),
      protected: b.protected ?? false,
    }));
    this.branches.set(fullName, seeded);
    return seeded;
  }

  /** The repository's tags (GET /repos/{o}/{r}/tags/{t}). */
  setTags(fullName: string, tags: readonly FakeGiteaTag[]): void {
    this.tags.set(fullName, [...tags]);
  }

  /** The message and author the API shows for a commit. */
  setCommit(sha: string, info: FakeGiteaCommitInfo): void {
    this.commitInfo.set(sha, info);
  }

  /** What GET /compare/{base}...{head} answers; totalCommits above commits.length simulates a capped compare. */
  setCompare(fullName: string, base: string, head: string, commits: readonly FakeCompareCommit[], totalCommits = commits.length): void {
    this.compares.set(`${fullName} ${base}...${head}`, { commits: [...commits], totalCommits });
  }

  /** The hooks on a repository, secrets included (the real API never returns them). */
  hooksOf(fullName: string): readonly FakeGiteaHook[] {
    const repo = this.findRepository(fullName);
    return this.hooks.get(repo ? `${repo.owner}/${repo.name}` : fullName) ?? [];
  }

  /** A hook created behind forgelink's back (e.g. by hand in the web UI). */
  addHook(fullName: string, hook: Partial<Omit<FakeGiteaHook, 'id'>> & { url: string }): FakeGiteaHook {
    const created: FakeGiteaHook = {
      id: this.nextHookId++,
      type: hook.type ?? 'gitea',
      url: hook.url,
      contentType: hook.contentType ?? 'json',
      secret: hook.secret ?? '',
      events: hook.events ?? ['push'],
      active: hook.active ?? true,
      branchFilter: hook.branchFilter ?? '*',
    };
    this.hooks.set(fullName, [...this.hooksOf(fullName), created]);
    return created;
  }

  /** The next `times` requests (to `path`, when given: a substring of the request path) answer `status`. */
  failNext(status: number, times = 1, headers: Record<string, string> = {}, options: { body?: string; path?: string } = {}): void {
    this.failures.push({ status, remaining: times, headers, ...options });
  }

  // ---- OAuth2 --------------------------------------------------------------------------------

  addApplication(app: Application): void {
    this.applications.set(app.clientId, { ...app });
  }

  /** A fresh authorization code, as if the user had just approved the application. */
  issueCode(clientId: string): string {
    if (!this.applications.has(clientId)) throw new Error(`FakeGitea: no application ${clientId}`);
    const code = token('gtc');
    this.codes.set(code, { clientId, grantId: this.grantFor(clientId).id });
    return code;
  }

  /** Tokens without the browser round trip (creates a default application when none exists). */
  issueTokens(clientId?: string): FakeGiteaTokens {
    let id = clientId ?? this.applications.keys().next().value;
    if (id === undefined) {
      id = 'fake-client';
      this.addApplication({ clientId: id, clientSecret: 'fake-secret', redirectUri: 'http://127.0.0.1/callback' });
    }
    return this.newPair(this.grantFor(id));
  }

  /** The user revoked the application: its tokens stop working and refreshing answers invalid_grant. */
  revokeGrant(clientId?: string): void {
    this.grants = this.grants.filter((g) => clientId !== undefined && g.clientId !== clientId);
  }

  /** Every current access token is past its expiry. */
  expireAccessTokens(): void {
    for (const grant of this.grants) grant.expiresAt = Date.now() - 1000;
  }

  isAccessTokenValid(accessToken: string): boolean {
    return this.grantForAccessToken(accessToken) === 'valid';
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const api = url.pathname === API || url.pathname.startsWith(`${API}/`);
    const path = api ? url.pathname.slice(API.length) || '/' : url.pathname;
    const method = req.method ?? 'GET';
    this.inFlight++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.inFlight);
    let answer: Answer;
    try {
      const body = await readBody(req);
      if (api && this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      answer =
        this.injectedFailure(path) ?? (api ? this.routeApi(method, path, url, req, body) : this.routeWeb(method, path, url, req, body));
    } catch (error) {
      answer = { status: 500, body: { message: error instanceof Error ? error.message : String(error) } };
    }
    this.inFlight--;
    const etag =
      this.options.etags && method === 'GET' && answer.status === 200 && answer.raw === undefined
        ? `"${sha(JSON.stringify(answer.body))}"`
        : undefined;
    const ifNoneMatch = header(req, 'if-none-match');
    const limit = url.searchParams.get('limit');
    const recordedStatus = etag && ifNoneMatch === etag ? 304 : answer.status;
    this.requests.push({
      method,
      path,
      query: [...new Set(url.searchParams.keys())],
      api,
      status: recordedStatus,
      ...(header(req, 'authorization') ? { authorization: header(req, 'authorization') } : {}),
      ...(ifNoneMatch ? { ifNoneMatch } : {}),
      ...(limit !== null ? { limit } : {}),
    });
    if (api && answer.raw === undefined)
      this.answers.push({ method, path, query: [...new Set(url.searchParams.keys())], status: recordedStatus, body: answer.body });
    if (etag && ifNoneMatch === etag) {
      this.notModifiedCount++;
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    const headers: Record<string, string> = { ...(answer.headers ?? {}), ...(etag ? { etag } : {}) };
    if (answer.raw !== undefined) {
      res.writeHead(answer.status, { 'content-type': headers['content-type'] ?? 'text/plain', ...headers });
      res.end(answer.raw);
    } else if (answer.body === undefined) {
      res.writeHead(answer.status, headers);
      res.end();
    } else {
      res.writeHead(answer.status, { 'content-type': 'application/json;charset=utf-8', ...headers });
      res.end(JSON.stringify(answer.body));
    }
  }

  private injectedFailure(path: string): Answer | undefined {
    const failure = this.failures.find((f) => f.remaining > 0 && (f.path === undefined || path.includes(f.path)));
    if (!failure) return undefined;
    failure.remaining--;
    if (failure.remaining === 0) this.failures.splice(this.failures.indexOf(failure), 1);
    if (failure.body !== undefined)
      return { status: failure.status, headers: { 'content-type': 'application/json', ...failure.headers }, raw: failure.body };
    return { status: failure.status, headers: failure.headers, body: { message: `injected ${failure.status}` } };
  }

  private routeWeb(method: string, path: string, url: URL, req: IncomingMessage, rawBody: string): Answer {
    if (method === 'GET' && path === '/login/oauth/authorize') return this.authorize(url, this.options.consentPage ?? false);
    if (method === 'POST' && path === '/login/oauth/grant') return this.grant(parseForm(req, rawBody));
    if (method === 'POST' && path === '/login/oauth/access_token') return this.accessToken(req, rawBody);
    return { status: 404, raw: 'Not found' };
  }

  private routeApi(method: string, path: string, url: URL, req: IncomingMessage, rawBody: string): Answer {
    const auth = this.authenticate(req);
    if (method === 'GET' && path === '/settings/api') {
      if (auth === 'invalid' || auth === 'expired') return unauthorized();
      if (this.options.settingsEndpoint === false) return notFound();
      return {
        status: 200,
        body: {
          max_response_items: this.maxResponseItems,
          default_paging_num: this.defaultPagingNum,
          default_git_trees_per_page: 1000,
          default_max_blob_size: 10_485_760,
          ...(this.flavor === 'gitea' ? { default_max_response_size: 104_857_600 } : {}),
        },
      };
    }
    if (method === 'GET' && path === '/version')
      return { status: 200, body: { version: this.flavor === 'gitea' ? '1.27.1' : '11.0.3+gitea-1.22.0' } };
    if (auth !== 'valid') return auth === 'expired' ? unauthorized('token is expired') : unauthorized();

    if (method === 'GET' && path === '/user')
      return { status: 200, body: { id: 1, login: 'alice', username: 'alice', full_name: 'Alice', email: 'alice@example.test' } };
    if (method === 'GET' && path === '/user/repos')
      return this.page(
        url,
        this.repositories.map((r) => this.repositoryJson(r)),
      );

    const match = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    if (!match?.[1] || !match[2]) return notFound();
    const repo = this.findRepository(`${decodeURIComponent(match[1])}/${decodeURIComponent(match[2])}`);
    if (!repo) return notFound();
    // Owner and repository names resolve case-insensitively, as on Gitea/Forgejo; the repository's own spelling keys its data.
    const fullName = `${repo.owner}/${repo.name}`;
    const rest = match[3] ?? '';

    if (method === 'GET' && rest === '') return { status: 200, body: this.repositoryJson(repo) };
    if (method === 'GET' && rest === '/branches')
      return this.page(
        url,
        this.branchesOf(fullName).map((b) => this.branchJson(fullName, b)),
      );
    const branchMatch = /^\/branches\/(.+)$/.exec(rest);
    if (method === 'GET' && branchMatch?.[1]) {
      const name = branchMatch[1].split('/').map(decodeURIComponent).join('/');
      const branch = this.branchesOf(fullName).find((b) => b.name === name);
      return branch ? { status: 200, body: this.branchJson(fullName, branch) } : notFound();
    }
    const tagMatch = /^\/tags\/(.+)$/.exec(rest);
    if (method === 'GET' && tagMatch?.[1]) {
      const name = tagMatch[1].split('/').map(decodeURIComponent).join('/');
      const tag = this.tags.get(fullName)?.find((t) => t.name === name);
      return tag ? { status: 200, body: this.tagJson(fullName, tag) } : notFound();
    }
    const gitCommitMatch = /^\/git\/commits\/([0-9a-f]{4,64})$/.exec(rest);
    if (method === 'GET' && gitCommitMatch?.[1]) {
      const sha = gitCommitMatch[1];
      const known = [...this.branchesOf(fullName).map((b) => b.commitSha), ...(this.tags.get(fullName) ?? []).map((t) => t.commitSha)];
      return known.includes(sha) ? { status: 200, body: this.commitJson(fullName, sha) } : notFound();
    }
    const compareMatch = /^\/compare\/(.+)$/.exec(rest);
    if (method === 'GET' && compareMatch?.[1]) return this.compare(fullName, decodeURIComponent(compareMatch[1]));
    const statusMatch = /^\/statuses\/([^/]+)$/.exec(rest);
    if (method === 'POST' && statusMatch?.[1]) {
      return this.statuses.handle(fullName, decodeURIComponent(statusMatch[1]), parseJson(rawBody), {
        // Gitea/Forgejo's reqRepoWriter: a read-only collaborator (or a grant without write:repository).
        forbidden: () => ({
          status: 403,
          body: { message: 'user should have a permission to write to a repo', url: `${this.baseUrl}/api/swagger` },
        }),
        unknownCommit: () => notFound(),
        invalid: (problems) => unprocessable(problems.join('; ')),
        created: (status) => ({
          status: 201,
          body: { id: this.statuses.posted.length, status: status.state, context: status.context ?? 'default' },
        }),
      });
    }
    if (rest === '/hooks' || rest.startsWith('/hooks/')) {
      if (!repo.admin)
        return { status: 403, body: { message: 'Must have admin rights on the repository', url: `${this.baseUrl}/api/swagger` } };
      return this.hooksRoute(method, fullName, rest, url, rawBody);
    }
    return notFound();
  }

  private hooksRoute(method: string, fullName: string, rest: string, url: URL, rawBody: string): Answer {
    const hooks = this.hooksOf(fullName);
    if (rest === '/hooks' && method === 'GET')
      return this.page(
        url,
        hooks.map((h) => this.hookJson(h)),
      );
    if (rest === '/hooks' && method === 'POST') {
      const body = parseJson(rawBody);
      if (!isRecord(body)) return unprocessable('invalid JSON');
      const types = [
        'dingtalk',
        'discord',
        'gitea',
        'gogs',
        'msteams',
        'slack',
        'telegram',
        'feishu',
        'wechatwork',
        'packagist',
        ...(this.flavor === 'forgejo' ? ['forgejo'] : []),
      ];
      if (typeof body.type !== 'string' || !types.includes(body.type)) return unprocessable('Invalid hook type');
      const config = isRecord(body.config) ? body.config : {};
      if (typeof config.url !== 'string' || !config.url) return unprocessable('Missing config option: url');
      if (config.content_type !== 'json' && config.content_type !== 'form') return unprocessable('Invalid content type');
      const hook = this.addHook(fullName, {
        type: body.type,
        url: config.url,
        contentType: config.content_type,
        secret: typeof config.secret === 'string' ? config.secret : '',
        events: stringArray(body.events) ?? ['push'],
        active: body.active === true,
        branchFilter: typeof body.branch_filter === 'string' ? body.branch_filter : '',
      });
      this.hookLog.push({ action: 'create', fullName, id: hook.id, url: hook.url });
      return { status: 201, body: this.hookJson(hook) };
    }
    const idMatch = /^\/hooks\/(\d+)$/.exec(rest);
    const hook = idMatch?.[1] ? hooks.find((h) => h.id === Number(idMatch[1])) : undefined;
    if (!hook) return notFound();
    if (method === 'GET') return { status: 200, body: this.hookJson(hook) };
    if (method === 'DELETE') {
      this.hooks.set(
        fullName,
        hooks.filter((h) => h !== hook),
      );
      this.hookLog.push({ action: 'delete', fullName, id: hook.id, url: hook.url });
      return { status: 204 };
    }
    if (method === 'PATCH') {
      const body = parseJson(rawBody);
      if (!isRecord(body)) return unprocessable('invalid JSON');
      if (isRecord(body.config)) {
        const config = body.config;
        if (typeof config.url === 'string') hook.url = config.url;
        if (typeof config.content_type === 'string') hook.contentType = config.content_type;
        if (typeof config.secret === 'string') hook.secret = config.secret;
      }
      hook.events = stringArray(body.events) ?? hook.events;
      if (typeof body.active === 'boolean') hook.active = body.active;
      if (typeof body.branch_filter === 'string') hook.branchFilter = body.branch_filter;
      this.hookLog.push({ action: 'update', fullName, id: hook.id, url: hook.url });
      return { status: 200, body: this.hookJson(hook) };
    }
    return { status: 405, body: { message: 'method not allowed' } };
  }

  private compare(fullName: string, basehead: string): Answer {
    const [base, head] = basehead.includes('...') ? basehead.split('...') : basehead.split('..');
    const entry = this.compares.get(`${fullName} ${base}...${head}`);
    if (!entry) return notFound();
    const commits = entry.commits.map((c) => ({
      sha: c.sha,
      url: `${this.baseUrl}${API}/repos/${fullName}/git/commits/${c.sha}`,
      html_url: `${this.baseUrl}/${fullName}/commit/${c.sha}`,
      commit: { message: `commit ${c.sha.slice(0, 7)}`, author: { name: 'Alice', email: 'alice@example.test' } },
      ...(c.files ? { files: c.files.map((filename) => ({ filename, status: 'modified' })) } : {}),
    }));
    const everyCommitListed = entry.commits.every((c) => c.files !== undefined);
    const union = [...new Set(entry.commits.flatMap((c) => c.files ?? []))].map((filename) => ({ filename, status: 'modified' }));
    return {
      status: 200,
      body: { total_commits: entry.totalCommits, commits, ...(this.flavor === 'forgejo' && everyCommitListed ? { files: union } : {}) },
    };
  }

  /** Gitea's ToCorrectPageSize: limit ≤ 0 → DEFAULT_PAGING_NUM, above MAX_RESPONSE_ITEMS → silently capped. */
  private page(url: URL, items: readonly unknown[]): Answer {
    const requested = Number.parseInt(url.searchParams.get('limit') ?? '', 10);
    const limit = requested > 0 ? Math.min(requested, this.maxResponseItems) : this.defaultPagingNum;
    const page = Math.max(1, Number.parseInt(url.searchParams.get('page') ?? '', 10) || 1);
    const slice = items.slice((page - 1) * limit, page * limit);
    const headers: Record<string, string> = {};
    if (this.options.totalCountHeader !== false) headers['x-total-count'] = String(items.length);
    if (this.options.linkHeader !== false) {
      const lastPage = Math.max(1, Math.ceil(items.length / limit));
      const link = (p: number, rel: string) => {
        const target = new URL(url.pathname + url.search, this.baseUrl);
        target.searchParams.set('page', String(p));
        target.searchParams.set('limit', String(limit));
        return `<${target.toString()}>; rel="${rel}"`;
      };
      const links = [];
      if (page < lastPage) links.push(link(page + 1, 'next'), link(lastPage, 'last'));
      if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
      if (links.length > 0) headers.link = links.join(',');
    }
    return { status: 200, body: slice, headers };
  }

  private authorize(url: URL, consent: boolean): Answer {
    const app = this.applications.get(url.searchParams.get('client_id') ?? '');
    if (!app) return { status: 400, raw: 'Client ID not registered' };
    const redirectUri = url.searchParams.get('redirect_uri') ?? '';
    if (redirectUri !== app.redirectUri) return { status: 400, raw: 'Unregistered Redirect URI' };
    if (consent) {
      const raw = consentPageHtml({
        title: 'Authorize Application',
        text: `${app.clientId} would like to access your account. Redirect URI: ${redirectUri}`,
        action: '/login/oauth/grant',
        fields: Object.fromEntries(url.searchParams),
        approve: 'Authorize Application',
        deny: 'Cancel',
      });
      return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, raw };
    }
    const target = new URL(redirectUri);
    const state = url.searchParams.get('state');
    if (url.searchParams.get('response_type') !== 'code') {
      target.searchParams.set('error', 'unsupported_response_type');
    } else {
      target.searchParams.set('code', this.issueCode(app.clientId));
    }
    if (state !== null) target.searchParams.set('state', state);
    return { status: 302, headers: { location: target.toString() } };
  }

  /** The grant page's form (Gitea: POST /login/oauth/grant): approve goes on as authorize does, Cancel sends access_denied. */
  private grant(form: Record<string, string | undefined>): Answer {
    const params = new URL('/login/oauth/authorize', 'http://127.0.0.1');
    for (const [k, v] of Object.entries(form)) if (k !== 'decision' && v !== undefined) params.searchParams.set(k, v);
    if (form.decision !== 'deny') return this.authorize(params, false);
    const app = this.applications.get(form.client_id ?? '');
    if (!app || form.redirect_uri !== app.redirectUri) return { status: 400, raw: 'Unregistered Redirect URI' };
    const target = new URL(app.redirectUri);
    target.searchParams.set('error', 'access_denied');
    target.searchParams.set('error_description', 'the request is denied');
    if (form.state !== undefined) target.searchParams.set('state', form.state);
    return { status: 302, headers: { location: target.toString() } };
  }

  /** Error codes and descriptions as Gitea's routers/web/auth/oauth.go answers them. */
  private accessToken(req: IncomingMessage, rawBody: string): Answer {
    const form = parseForm(req, rawBody);
    const basic = /^basic\s+(.+)$/i.exec(header(req, 'authorization') ?? '');
    if (basic?.[1]) {
      const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      form.client_id ??= decodeURIComponent(id ?? '');
      form.client_secret ??= decodeURIComponent(secret ?? '');
    }
    const grantType = form.grant_type;
    if (grantType === 'authorization_code') this.tokenExchangeCount++;
    else if (grantType === 'refresh_token') this.refreshCount++;
    else return oauthError('unsupported_grant_type', 'Only refresh_token or authorization_code grant type is supported');

    const app = this.applications.get(form.client_id ?? '');
    if (!app) return oauthError('invalid_client', `cannot load client with client id: '${form.client_id ?? ''}'`);
    if (form.client_secret !== app.clientSecret) return oauthError('unauthorized_client', 'invalid client secret');
    if (form.redirect_uri && form.redirect_uri !== app.redirectUri) return oauthError('unauthorized_client', 'unexpected redirect URI');

    if (grantType === 'authorization_code') {
      const code = this.codes.get(form.code ?? '');
      if (!code) return oauthError('unauthorized_client', 'client is not authorized');
      if (code.clientId !== app.clientId) return oauthError('invalid_grant', 'invalid grant');
      this.codes.delete(form.code ?? '');
      const grant = this.grants.find((g) => g.id === code.grantId);
      if (!grant) return oauthError('invalid_grant', 'grant does not exist');
      return { status: 200, body: this.tokenJson(this.newPair(grant)) };
    }

    const refreshToken = form.refresh_token ?? '';
    const grant = this.grants.find((g) => g.refreshToken === refreshToken || g.usedRefreshTokens.has(refreshToken));
    if (!grant) {
      return refreshToken.startsWith('gtr_')
        ? oauthError('invalid_grant', 'grant does not exist')
        : oauthError('unauthorized_client', 'unable to parse refresh token');
    }
    if (grant.clientId !== app.clientId) return oauthError('invalid_grant', 'invalid grant');
    if (grant.refreshToken !== refreshToken) return oauthError('unauthorized_client', 'token was already used');
    return { status: 200, body: this.tokenJson(this.newPair(grant)) };
  }

  private tokenJson(tokens: FakeGiteaTokens): Record<string, unknown> {
    return {
      access_token: tokens.accessToken,
      token_type: 'bearer',
      ...(tokens.expiresIn !== undefined ? { expires_in: tokens.expiresIn } : {}),
      refresh_token: tokens.refreshToken,
    };
  }

  /** Every access and refresh token handed out so far (for "never sent elsewhere" checks). */
  issuedTokens(): string[] {
    return this.grants
      .flatMap((g) => [g.accessToken, g.refreshToken, ...g.usedRefreshTokens])
      .filter((v): v is string => typeof v === 'string');
  }

  /** New access + refresh token for a grant; the previous pair stops working (single-use refresh). */
  private newPair(grant: Grant): FakeGiteaTokens {
    if (grant.refreshToken) grant.usedRefreshTokens.add(grant.refreshToken);
    grant.accessToken = token('gta');
    grant.refreshToken = token('gtr');
    const lifetime = this.tokenLifetimeSeconds;
    grant.expiresAt = lifetime === null ? undefined : Date.now() + lifetime * 1000;
    return { accessToken: grant.accessToken, refreshToken: grant.refreshToken, ...(lifetime === null ? {} : { expiresIn: lifetime }) };
  }

  private grantFor(clientId: string): Grant {
    let grant = this.grants.find((g) => g.clientId === clientId);
    if (!grant) {
      grant = { id: this.nextGrantId++, clientId, usedRefreshTokens: new Set() };
      this.grants.push(grant);
    }
    return grant;
  }

  private grantForAccessToken(accessToken: string): 'valid' | 'expired' | 'invalid' {
    const grant = this.grants.find((g) => g.accessToken === accessToken);
    if (!grant) return 'invalid';
    return grant.expiresAt !== undefined && grant.expiresAt <= Date.now() ? 'expired' : 'valid';
  }

  /** Gitea takes `token <t>` and `Bearer <t>`. */
  private authenticate(req: IncomingMessage): 'valid' | 'expired' | 'invalid' | 'anonymous' {
    const value = header(req, 'authorization');
    if (!value) return 'anonymous';
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(value);
    return match?.[1] ? this.grantForAccessToken(match[1]) : 'invalid';
  }

  private findRepository(fullName: string): FakeGiteaRepository | undefined {
    return this.repositories.find((r) => `${r.owner}/${r.name}`.toLowerCase() === fullName.toLowerCase());
  }

  /**
   * Transfers (new owner) or renames a repository: its id, branches, hooks (secrets included) and compares stay,
   * as on Gitea/Forgejo. The old name then answers 404 (forgelink never relies on Gitea's redirects).
   */
  transferRepository(fullName: string, to: string): void {
    const repo = this.findRepository(fullName);
    const [owner, name] = to.split('/');
    if (!repo || !owner || !name) throw new Error(`FakeGitea: cannot move ${fullName} to ${to}`);
    const from = `${repo.owner}/${repo.name}`;
    const moved = { ...repo, owner, name };
    this.repositories = this.repositories.map((r) => (r === repo ? moved : r));
    for (const map of [this.branches, this.tags, this.hooks] as Map<string, unknown>[]) {
      const value = map.get(from);
      map.delete(from);
      if (value !== undefined) map.set(to, value);
    }
    for (const [key, value] of [...this.compares]) {
      if (!key.startsWith(`${from} `)) continue;
      this.compares.delete(key);
      this.compares.set(`${to}${key.slice(from.length)}`, value);
    }
  }

  private branchesOf(fullName: string): FakeGiteaBranch[] {
    const repo = this.findRepository(fullName);
    return (
      this.branches.get(fullName) ??
      (repo ? [{ name: repo.defaultBranch, commitSha: sha(`${fullName}:${repo.defaultBranch}`), protected: false }] : [])
    );
  }

  private repositoryJson(r: FakeGiteaRepository): Record<string, unknown> {
    const fullName = `${r.owner}/${r.name}`;
    return {
      id: r.id,
      owner: { id: r.owner === 'alice' ? 1 : 2, login: r.owner, username: r.owner },
      name: r.name,
      full_name: fullName,
      description: '',
      empty: false,
      private: r.private,
      fork: false,
      html_url: `${this.baseUrl}/${fullName}`,
      ssh_url: `git@127.0.0.1:${fullName}.git`,
      clone_url: `${this.baseUrl}/${fullName}.git`,
      default_branch: r.defaultBranch,
      permissions: { admin: r.admin, push: true, pull: true },
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
    };
  }

  /** Tag (swagger `Tag`): `commit.sha` is the commit even for an annotated tag, whose `id` is the tag object. */
  private tagJson(fullName: string, t: FakeGiteaTag): Record<string, unknown> {
    return {
      name: t.name,
      message: t.annotated ? `Release ${t.name}` : '',
      id: t.annotated ? createHash('sha1').update(`tag object ${fullName} ${t.name}`).digest('hex') : t.commitSha,
      commit: {
        sha: t.commitSha,
        url: `${this.baseUrl}${API}/repos/${fullName}/git/commits/${t.commitSha}`,
        created: '2024-01-01T00:00:00Z',
      },
      zipball_url: `${this.baseUrl}/${fullName}/archive/${t.name}.zip`,
      tarball_url: `${this.baseUrl}/${fullName}/archive/${t.name}.tar.gz`,
    };
  }

  /** Commit (swagger `Commit`, GET /repos/{o}/{r}/git/commits/{sha}). */
  private commitJson(fullName: string, sha: string): Record<string, unknown> {
    const info = this.commitInfo.get(sha) ?? { message: 'commit', author: 'Fake' };
    const person = { name: info.author, email: 'fake@example.test', date: '2024-01-01T00:00:00Z' };
    return {
      sha,
      url: `${this.baseUrl}${API}/repos/${fullName}/git/commits/${sha}`,
      html_url: `${this.baseUrl}/${fullName}/commit/${sha}`,
      created: '2024-01-01T00:00:00Z',
      commit: {
        message: info.message,
        author: person,
        committer: person,
        url: `${this.baseUrl}${API}/repos/${fullName}/git/commits/${sha}`,
      },
      parents: [],
    };
  }

  private branchJson(fullName: string, b: FakeGiteaBranch): Record<string, unknown> {
    const info = this.commitInfo.get(b.commitSha);
    return {
      name: b.name,
      commit: {
        id: b.commitSha,
        message: info?.message ?? `tip of ${b.name}`,
        ...(info ? { author: { name: info.author, email: 'fake@example.test', username: '' } } : {}),
        url: `${this.baseUrl}/${fullName}/commit/${b.commitSha}`,
        timestamp: '2024-01-01T00:00:00Z',
      },
      protected: b.protected,
      user_can_push: true,
      user_can_merge: true,
      effective_branch_protection_name: '',
    };
  }

  private hookJson(h: FakeGiteaHook): Record<string, unknown> {
    const base = {
      id: h.id,
      type: h.type,
      branch_filter: h.branchFilter,
      config: { url: h.url, content_type: h.contentType },
      events: h.events,
      active: h.active,
      authorization_header: '',
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
    };
    return this.flavor === 'forgejo' ? { ...base, url: h.url, content_type: h.contentType, metadata: null } : base;
  }
}

function unauthorized(message = 'token is required'): Answer {
  return { status: 401, body: { message, url: 'https://gitea.com/api/swagger' } };
}

function notFound(): Answer {
  return { status: 404, body: { errors: null, message: "The target couldn't be found.", url: 'https://gitea.com/api/swagger' } };
}

function unprocessable(message: string): Answer {
  return { status: 422, body: { message, url: 'https://gitea.com/api/swagger' } };
}

function oauthError(error: string, description: string): Answer {
  return { status: 400, body: { error, error_description: description } };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseForm(req: IncomingMessage, rawBody: string): Partial<Record<string, string>> {
  if ((header(req, 'content-type') ?? '').includes('application/json')) {
    const body = parseJson(rawBody);
    if (!isRecord(body)) return {};
    return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }
  return Object.fromEntries(new URLSearchParams(rawBody));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}

function sha(input: string): string {
  return createHash('sha1').update(input).digest('hex');
}

function token(prefix: string): string {
  return `${prefix}_${randomBytes(20).toString('hex')}`;
}
