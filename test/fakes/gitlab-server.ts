import { createHash, randomBytes } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type RecordedRequest } from '../support/openapi.js';
import { consentPageHtml } from './consent-page.js';
import { LocalFakeServer } from './local-server.js';
import { FakeCommitStatuses } from './commit-statuses.js';

/**
 * A GitLab (gitlab.com or self-hosted) on 127.0.0.1: OAuth (authorize + token, single-use refresh tokens),
 * projects with membership across groups and subgroups, branches, compare, project hooks, GitLab's
 * offset paging headers, ETag/304, forced failures and a request log. Strict: query parameters GitLab
 * does not document for an endpoint are answered 400, so the adapter cannot rely on made-up ones.
 */

/** Query parameters GitLab documents per endpoint (docs.gitlab.com/api/projects, branches, repositories, project_webhooks, oauth2). */
export const GITLAB_DOCUMENTED_QUERY: Readonly<Record<string, readonly string[]>> = {
  'GET /projects': [
    'archived',
    'id_after',
    'id_before',
    'imported',
    'include_hidden',
    'include_pending_delete',
    'last_activity_after',
    'last_activity_before',
    'membership',
    'min_access_level',
    'order_by',
    'owned',
    'repository_checksum_failed',
    'repository_storage',
    'search_namespaces',
    'search',
    'simple',
    'sort',
    'starred',
    'statistics',
    'topic',
    'topic_id',
    'updated_after',
    'updated_before',
    'visibility',
    'wiki_checksum_failed',
    'with_custom_attributes',
    'with_issues_enabled',
    'with_merge_requests_enabled',
    'with_programming_language',
    'marked_for_deletion_on',
    'active',
    'page',
    'per_page',
    'pagination',
  ],
  'GET /projects/{id}': ['license', 'statistics', 'with_custom_attributes'],
  'GET /projects/{id}/repository/branches': ['search', 'regex', 'page', 'per_page'],
  'GET /projects/{id}/repository/branches/{branch}': [],
  'GET /projects/{id}/repository/tags/{tag_name}': [],
  'GET /projects/{id}/repository/compare': ['from', 'to', 'from_project_id', 'straight', 'unidiff'],
  'GET /projects/{id}/hooks': ['page', 'per_page'],
  'GET /projects/{id}/hooks/{hook_id}': [],
  'POST /projects/{id}/hooks': [],
  'PUT /projects/{id}/hooks/{hook_id}': [],
  'DELETE /projects/{id}/hooks/{hook_id}': [],
  'POST /projects/{id}/statuses/{sha}': [],
  'GET /oauth/authorize': ['client_id', 'redirect_uri', 'response_type', 'state', 'scope', 'code_challenge', 'code_challenge_method'],
  'POST /oauth/authorize': [],
  'POST /oauth/token': [],
};

const HOOK_ATTRIBUTES = new Set([
  'url',
  'name',
  'description',
  'token',
  'push_events',
  'push_events_branch_filter',
  'branch_filter_strategy',
  'issues_events',
  'confidential_issues_events',
  'merge_requests_events',
  'tag_push_events',
  'note_events',
  'confidential_note_events',
  'job_events',
  'pipeline_events',
  'wiki_page_events',
  'deployment_events',
  'feature_flag_events',
  'releases_events',
  'emoji_events',
  'resource_access_token_events',
  'enable_ssl_verification',
  'custom_webhook_template',
  'custom_headers',
  'vulnerability_events',
]);
const KNOWN_SCOPES = new Set([
  'api',
  'read_api',
  'read_user',
  'read_repository',
  'write_repository',
  'read_registry',
  'write_registry',
  'sudo',
  'openid',
  'profile',
  'email',
]);
const HOOK_FLAGS = [
  'push_events',
  'tag_push_events',
  'merge_requests_events',
  'issues_events',
  'note_events',
  'pipeline_events',
  'enable_ssl_verification',
] as const;

export interface GitLabRequest extends RecordedRequest {
  readonly area: 'api' | 'oauth';
  /** The documented template the request matched, e.g. "GET /projects/{id}/hooks"; undefined when none did. */
  readonly template?: string;
  readonly params: Readonly<Record<string, string>>;
  readonly status: number;
  readonly ifNoneMatch?: string;
}

export interface ProjectSeed {
  /** Full path: group/sub/repo or user/repo. */
  readonly path: string;
  readonly id?: number;
  readonly visibility?: 'private' | 'internal' | 'public';
  readonly defaultBranch?: string;
  /** Whether the default user is a member (default true). Non-members only see public projects, outside `membership=true`. */
  readonly member?: boolean;
  /**
   * The member's access level: 10 guest, 20 reporter, 30 developer, 40 maintainer (default), 50 owner. Hooks need 40;
   * a guest of a private project sees the project but its repository (branches, compare) answers 403.
   */
  readonly accessLevel?: number;
}

export interface BranchSeed {
  readonly name: string;
  readonly commitSha?: string;
  readonly protected?: boolean;
}

/** A tag: an annotated one has a tag object (`target`), which is not the commit. */
export interface TagSeed {
  readonly name: string;
  readonly commitSha: string;
  readonly annotated?: boolean;
}

/** What the API shows for a commit (defaults: "commit" by "Fake"). */
export interface CommitInfo {
  readonly message: string;
  readonly author: string;
}

export interface DiffSeed {
  readonly old_path: string;
  readonly new_path: string;
  readonly new_file?: boolean;
  readonly renamed_file?: boolean;
  readonly deleted_file?: boolean;
}

export interface FakeHook {
  readonly id: number;
  readonly url: string;
  readonly token?: string;
  readonly push_events: boolean;
  readonly tag_push_events: boolean;
  readonly merge_requests_events: boolean;
  readonly issues_events: boolean;
  readonly note_events: boolean;
  readonly pipeline_events: boolean;
  readonly enable_ssl_verification: boolean;
  readonly created_at: string;
  /** GitLab ≥ 15.2 (docs.gitlab.com/api/project_webhooks): `executable`, or disabled after failing deliveries. */
  readonly alert_status: 'executable' | 'disabled' | 'temporarily_disabled';
  /** Set while `temporarily_disabled`: when GitLab tries again. */
  readonly disabled_until: string | null;
}

export interface HookLogEntry {
  readonly action: 'create' | 'update' | 'delete';
  readonly project: string;
  readonly hookId: number;
  readonly url?: string;
  readonly token?: string;
}

export interface FakeGitLabOptions {
  /** Lifetime of issued access tokens (GitLab: 7200). */
  accessTokenTtlSeconds?: number;
  /** Leave expires_in out of token answers, as some self-hosted GitLab does. */
  omitExpiresIn?: boolean;
  /** Drop x-total, x-total-pages and Link rel=last, as GitLab does above 10,000 items. */
  omitTotals?: boolean;
  /** Delay before each API answer, so concurrent paging becomes observable. */
  latencyMs?: number;
  /** GitLab's diff_max_files: compare answers list at most this many files, without saying so. */
  compareMaxFiles?: number;
  /** User the authorize endpoint approves as. */
  authorizeAs?: string;
  /** Answer GET /oauth/authorize with GitLab's consent page (Authorize / Deny) instead of approving at once. */
  consentPage?: boolean;
}

interface Project {
  id: number;
  path: string;
  /** Paths the project had before renames or transfers; the API answers them 404 (forgelink must not rely on redirects). */
  formerPaths: string[];
  visibility: 'private' | 'internal' | 'public';
  defaultBranch: string;
  members: Map<string, number>;
  branches: BranchSeed[];
  tags?: TagSeed[];
  hooks: FakeHook[];
  compares: Map<string, { diffs: DiffSeed[]; timeout: boolean }>;
  createdAt: string;
}

interface AccessToken {
  userId: string;
  clientId?: string;
  expiresAt?: number;
  revoked: boolean;
}
interface RefreshToken {
  userId: string;
  clientId: string;
  accessToken: string;
  revoked: boolean;
}
interface Application {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}
interface ForcedAnswer {
  status: number;
  headers: Record<string, string>;
  body?: string;
  remaining: number;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

const DEFAULT_USER = '1';

export class FakeGitLab extends LocalFakeServer {
  readonly options: Required<Omit<FakeGitLabOptions, 'authorizeAs'>> & { authorizeAs: string };
  /** Every request that reached the server, in arrival order. `path` is relative to /api/v4 for API calls. */
  readonly requests: GitLabRequest[] = [];
  readonly hookLog: HookLogEntry[] = [];
  refreshCount = 0;
  tokenExchangeCount = 0;
  /** Token-endpoint answers of 400 invalid_grant. */
  invalidGrantCount = 0;
  notModifiedCount = 0;
  maxInFlight = 0;

  private inFlight = 0;
  private nextProjectId = 1;
  private nextHookId = 1;
  private readonly projects = new Map<string, Project>();
  private readonly applications = new Map<string, Application>();
  private readonly codes = new Map<string, { clientId: string; userId: string; redirectUri: string; used: boolean }>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly forced: ForcedAnswer[] = [];
  /** Commit statuses posted (POST /projects/:id/statuses/:sha), commits, forced failures of that endpoint. */
  readonly statuses = new FakeCommitStatuses('gitlab');

  constructor(options: FakeGitLabOptions = {}) {
    super();
    this.options = {
      accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 7200,
      omitExpiresIn: options.omitExpiresIn ?? false,
      omitTotals: options.omitTotals ?? false,
      latencyMs: options.latencyMs ?? 0,
      compareMaxFiles: options.compareMaxFiles ?? 1000,
      authorizeAs: options.authorizeAs ?? DEFAULT_USER,
      consentPage: options.consentPage ?? false,
    };
  }

  /** The gitlabUrl to configure (http://127.0.0.1:PORT). */

  // ---- OAuth ----

  addApplication(app: Application): void {
    this.applications.set(app.clientId, { ...app });
  }

  /** Every access and refresh token handed out so far (for "never sent elsewhere" checks). */
  issuedTokens(): string[] {
    return [...this.accessTokens.keys(), ...this.refreshTokens.keys()];
  }

  /** A single-use authorization code, as GitLab's authorize redirect would deliver it. */
  issueCode(clientId: string, options: { userId?: string; redirectUri?: string } = {}): string {
    const app = this.applications.get(clientId);
    if (!app) throw new Error(`FakeGitLab: unknown application ${clientId}`);
    const code = token('code');
    this.codes.set(code, {
      clientId,
      userId: options.userId ?? DEFAULT_USER,
      redirectUri: options.redirectUri ?? app.redirectUri,
      used: false,
    });
    return code;
  }

  /** An access token for the API without the OAuth dance (like a personal access token). */
  issueAccessToken(userId = DEFAULT_USER, ttlSeconds?: number): string {
    const access = token('glpat');
    this.accessTokens.set(access, {
      userId,
      expiresAt: ttlSeconds === undefined ? undefined : Date.now() + ttlSeconds * 1000,
      revoked: false,
    });
    return access;
  }

  /** Revokes every token of the user (all users when omitted), as revoking the application's access on GitLab does. */
  revokeGrant(userId?: string): void {
    for (const t of this.accessTokens.values()) if (userId === undefined || t.userId === userId) t.revoked = true;
    for (const t of this.refreshTokens.values()) if (userId === undefined || t.userId === userId) t.revoked = true;
  }

  /** Makes every issued access token expired; refresh tokens keep working. */
  expireAccessTokens(): void {
    for (const t of this.accessTokens.values()) t.expiresAt = Date.now() - 1000;
  }

  isAccessTokenValid(access: string): boolean {
    return this.authenticate(access) !== undefined;
  }

  // ---- Projects, branches, compare, hooks ----

  /** Replaces every project. A number generates projects across a group, a subgroup and a user namespace. */
  setProjects(projects: number | readonly (ProjectSeed | string)[]): void {
    this.projects.clear();
    const seeds: (ProjectSeed | string)[] =
      typeof projects === 'number' ? Array.from({ length: projects }, (_, i) => generatedProject(i + 1)) : [...projects];
    for (const seed of seeds) this.addProject(seed);
  }

  addProject(seed: ProjectSeed | string): void {
    const s: ProjectSeed = typeof seed === 'string' ? { path: seed } : seed;
    if (!s.path.includes('/')) throw new Error(`FakeGitLab: project path needs a namespace: ${s.path}`);
    const id = s.id ?? this.nextProjectId;
    this.nextProjectId = Math.max(this.nextProjectId, id + 1);
    const defaultBranch = s.defaultBranch ?? 'main';
    const members = new Map<string, number>();
    if (s.member !== false) members.set(DEFAULT_USER, s.accessLevel ?? 40);
    this.projects.set(s.path.toLowerCase(), {
      id,
      path: s.path,
      formerPaths: [],
      visibility: s.visibility ?? 'private',
      defaultBranch,
      members,
      branches: [{ name: defaultBranch, commitSha: sha(`${s.path}@${defaultBranch}`) }],
      hooks: [],
      compares: new Map(),
      createdAt: new Date(Date.UTC(2024, 0, 1) + id * 1000).toISOString(),
    });
  }

  /** Renames or transfers a project (new path): id, members, branches and hooks (tokens included) stay, as on GitLab. */
  renameProject(path: string, to: string): void {
    const project = this.project(path);
    this.projects.delete(project.path.toLowerCase());
    project.formerPaths.push(project.path);
    project.path = to;
    this.projects.set(to.toLowerCase(), project);
  }

  /** The project's id (what payloads carry as project.id / project_id). */
  projectId(path: string): number {
    return this.project(path).id;
  }

  addMember(path: string, userId: string, accessLevel = 40): void {
    this.project(path).members.set(userId, accessLevel);
  }

  /** Replaces the tags of a project. */
  setTags(path: string, tags: readonly TagSeed[]): void {
    this.project(path).tags = [...tags];
  }

  /** The message and author the API shows for a commit. */
  setCommit(sha: string, info: CommitInfo): void {
    commitInfo.set(sha, info);
  }

  /** Replaces the branches of a project; a number generates the default branch plus feature/branch-NNN. */
  setBranches(path: string, branches: number | readonly (BranchSeed | string)[]): void {
    const project = this.project(path);
    const seeds: BranchSeed[] =
      typeof branches === 'number'
        ? Array.from({ length: branches }, (_, i) => ({
            name: i === 0 ? project.defaultBranch : `feature/branch-${String(i).padStart(3, '0')}`,
          }))
        : branches.map((b) => (typeof b === 'string' ? { name: b } : b));
    project.branches = seeds.map((b) => ({
      name: b.name,
      commitSha: b.commitSha ?? sha(`${path}@${b.name}`),
      protected: b.protected ?? false,
    }));
  }

  /** What `compare?from&to` answers; `files` are paths (modified) or full diff entries. */
  setCompare(path: string, from: string, to: string, compare: { files: readonly (string | DiffSeed)[]; timeout?: boolean }): void {
    const diffs = compare.files.map((f) => (typeof f === 'string' ? { old_path: f, new_path: f } : f));
    this.project(path).compares.set(`${from}...${to}`, { diffs, timeout: compare.timeout ?? false });
  }

  /** The project's hooks including their tokens (GitLab never returns the token over the API). */
  hooks(path: string): readonly FakeHook[] {
    return this.project(path).hooks;
  }

  /**
   * GitLab's auto-disabling of failing hooks: 4xx failures disable the hook, 5xx ones disable it for a while
   * (`until`). An update through the API does not re-enable it (only a successful test does, on GitLab).
   */
  disableHook(path: string, url: string, until?: Date): void {
    const project = this.project(path);
    project.hooks.forEach((hook, i) => {
      if (hook.url !== url) return;
      project.hooks[i] = until
        ? { ...hook, alert_status: 'temporarily_disabled', disabled_until: until.toISOString() }
        : { ...hook, alert_status: 'disabled', disabled_until: null };
    });
  }

  /** Adds a hook directly, as if created by hand on GitLab. */
  addHook(path: string, url: string, tokenValue?: string): FakeHook {
    const hook = this.makeHook(this.project(path), { url, token: tokenValue, push_events: true });
    return hook;
  }

  // ---- Failures and logs ----

  /** The next `times` requests (API or token endpoint) answer `status` with `headers` (429 gets Retry-After: 30 unless given). */
  failNext(status: number, times = 1, headers: Record<string, string> = {}, body?: string): void {
    if (times < 1) return;
    const h = { ...headers };
    if (status === 429 && !Object.keys(h).some((k) => k.toLowerCase() === 'retry-after')) h['retry-after'] = '30';
    this.forced.push({ status, headers: h, body, remaining: times });
  }

  /** The next request gets this raw body with status 200 (e.g. text that is not JSON). */
  answerNextRaw(body: string, status = 200, headers: Record<string, string> = { 'content-type': 'application/json' }): void {
    this.forced.push({ status, headers, body, remaining: 1 });
  }

  /** Drops forced answers that were not used up. */
  clearFailures(): void {
    this.forced.length = 0;
  }

  apiRequests(): GitLabRequest[] {
    return this.requests.filter((r) => r.area === 'api');
  }

  clearLog(): void {
    this.requests.length = 0;
    this.hookLog.length = 0;
    this.maxInFlight = 0;
    this.notModifiedCount = 0;
  }

  // ---- HTTP ----

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const rawSegments = url.pathname.split('/').filter(Boolean);
    const isApi = rawSegments[0] === 'api' && rawSegments[1] === 'v4';
    const path = isApi ? '/' + rawSegments.slice(2).join('/') : url.pathname;
    const params = Object.fromEntries(url.searchParams);
    const query = [...new Set(url.searchParams.keys())];
    const ifNoneMatch = header(req, 'if-none-match');
    let template: string | undefined;

    const finish = (status: number, headers: Record<string, string>, body: string | undefined): void => {
      this.requests.push({ area: isApi ? 'api' : 'oauth', method, path, query, template, params, status, ifNoneMatch });
      res.writeHead(status, headers);
      res.end(body);
    };

    if (isApi) {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    }
    try {
      const body = await readBody(req);
      if (this.options.latencyMs > 0 && isApi) await new Promise((r) => setTimeout(r, this.options.latencyMs));

      const route = isApi ? this.route(method, rawSegments.slice(2)) : undefined;
      if (route) template = route.template;
      else if (method === 'GET' && url.pathname === '/oauth/authorize') template = 'GET /oauth/authorize';
      else if (method === 'POST' && url.pathname === '/oauth/authorize') template = 'POST /oauth/authorize';
      else if (method === 'POST' && url.pathname === '/oauth/token') template = 'POST /oauth/token';

      const forced = template === 'GET /oauth/authorize' || template === 'POST /oauth/authorize' ? undefined : this.forced[0];
      if (forced) {
        if (--forced.remaining <= 0) this.forced.shift();
        const text = forced.body ?? JSON.stringify({ message: `${forced.status} forced failure` });
        return finish(forced.status, { 'content-type': 'application/json', ...forced.headers }, text);
      }

      if (isApi) {
        if (!route) throw new HttpFailure(404, { error: '404 Not Found' });
        const allowed = GITLAB_DOCUMENTED_QUERY[route.template] ?? [];
        const unknown = query.find((q) => !allowed.includes(q));
        if (unknown) throw new HttpFailure(400, { error: `${unknown} is not a documented parameter of ${route.template}` });
        const userId = this.authenticateRequest(req);
        const answer = route.run(userId, params, parseBody(req, body));
        const text = JSON.stringify(answer.body);
        const headers: Record<string, string> = { 'content-type': 'application/json', ...answer.headers };
        if (method === 'GET') {
          const etag = `W/"${createHash('sha1').update(text).digest('hex')}"`;
          headers.etag = etag;
          if (ifNoneMatch === etag) {
            this.notModifiedCount++;
            delete headers['content-type'];
            return finish(304, headers, undefined);
          }
        }
        return finish(answer.status ?? 200, headers, answer.status === 204 ? undefined : text);
      }

      if (template === 'GET /oauth/authorize') {
        return this.authorize(url, query, finish, this.options.consentPage);
      }
      if (template === 'POST /oauth/authorize') {
        // The consent page's form: the authorize parameters come back as fields, with the person's decision.
        const form = parseBody(req, body);
        const params = new URL('/oauth/authorize', 'http://127.0.0.1');
        for (const [k, v] of Object.entries(form)) if (k !== 'decision' && typeof v === 'string') params.searchParams.set(k, v);
        if (form.decision === 'deny') {
          const app = this.applications.get(params.searchParams.get('client_id') ?? '');
          if (!app || params.searchParams.get('redirect_uri') !== app.redirectUri) throw new HttpFailure(400, { error: 'invalid_request' });
          const target = new URL(app.redirectUri);
          target.searchParams.set('error', 'access_denied');
          target.searchParams.set('error_description', 'The resource owner or authorization server denied the request.');
          const state = params.searchParams.get('state');
          if (state !== null) target.searchParams.set('state', state);
          return finish(302, { location: target.toString() }, undefined);
        }
        return this.authorize(params, [...new Set(params.searchParams.keys())], finish, false);
      }
      if (template === 'POST /oauth/token') {
        const answer = this.token(req, parseBody(req, body));
        return finish(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }, JSON.stringify(answer));
      }
      throw new HttpFailure(404, { error: '404 Not Found' });
    } catch (error) {
      if (error instanceof HttpFailure) {
        return finish(error.status, { 'content-type': 'application/json', ...error.headers }, JSON.stringify(error.body));
      }
      return finish(500, { 'content-type': 'application/json' }, JSON.stringify({ message: '500 Internal Server Error' }));
    } finally {
      if (isApi) this.inFlight--;
    }
  }

  private route(method: string, segments: string[]): { template: string; run: Handler } | undefined {
    const [root, rawId, ...rest] = segments;
    if (root !== 'projects') return undefined;
    if (rawId === undefined) return method === 'GET' ? { template: 'GET /projects', run: (u, p) => this.listProjects(u, p) } : undefined;
    const id = decodeURIComponent(rawId);
    const sub = rest.join('/');
    if (rest.length === 0 && method === 'GET')
      return { template: 'GET /projects/{id}', run: (u) => ({ body: this.projectJson(this.visibleProject(u, id), false) }) };
    if (sub === 'repository/branches' && method === 'GET') {
      return { template: 'GET /projects/{id}/repository/branches', run: (u, p) => this.listBranches(u, id, p) };
    }
    if (rest.length === 3 && rest[0] === 'repository' && rest[1] === 'branches' && method === 'GET') {
      const branch = decodeURIComponent(rest[2] ?? '');
      return { template: 'GET /projects/{id}/repository/branches/{branch}', run: (u) => this.getBranch(u, id, branch) };
    }
    if (rest.length === 3 && rest[0] === 'repository' && rest[1] === 'tags' && method === 'GET') {
      const tag = decodeURIComponent(rest[2] ?? '');
      return { template: 'GET /projects/{id}/repository/tags/{tag_name}', run: (u) => this.getTag(u, id, tag) };
    }
    if (sub === 'repository/compare' && method === 'GET')
      return { template: 'GET /projects/{id}/repository/compare', run: (u, p) => this.compare(u, id, p) };
    if (sub === 'hooks') {
      if (method === 'GET') return { template: 'GET /projects/{id}/hooks', run: (u, p) => this.listHooks(u, id, p) };
      if (method === 'POST') return { template: 'POST /projects/{id}/hooks', run: (u, _p, b) => this.createHook(u, id, b) };
      return undefined;
    }
    if (rest.length === 2 && rest[0] === 'statuses' && method === 'POST') {
      const sha = decodeURIComponent(rest[1] ?? '');
      return { template: 'POST /projects/{id}/statuses/{sha}', run: (u, _p, b) => this.postStatus(u, id, sha, b) };
    }
    if (rest.length === 2 && rest[0] === 'hooks') {
      const hookId = Number(rest[1]);
      if (method === 'GET')
        return {
          template: 'GET /projects/{id}/hooks/{hook_id}',
          run: (u) => ({ body: hookJson(this.hook(u, id, hookId).hook, this.visibleProject(u, id)) }),
        };
      if (method === 'PUT') return { template: 'PUT /projects/{id}/hooks/{hook_id}', run: (u, _p, b) => this.updateHook(u, id, hookId, b) };
      if (method === 'DELETE') return { template: 'DELETE /projects/{id}/hooks/{hook_id}', run: (u) => this.deleteHook(u, id, hookId) };
    }
    return undefined;
  }

  /**
   * POST /projects/:id/statuses/:sha: Developer (30) or more; a Guest or Reporter gets GitLab's bare 403. Posting the
   * state a name already has while it is pending or running is refused like GitLab refuses it (400 "Cannot transition
   * status via :run from :running").
   */
  private postStatus(userId: string, id: string, sha: string, body: Record<string, unknown>): Answer {
    const project = this.visibleProject(userId, id);
    if ((project.members.get(userId) ?? 0) < 30) throw new HttpFailure(403, { message: '403 Forbidden' });
    const answer = this.statuses.handle(project.path, sha, body, {
      forbidden: () => ({ status: 403, body: { message: '403 Forbidden' } }),
      unknownCommit: () => ({ status: 404, body: { message: '404 References for commit Not Found' } }),
      invalid: (problems) => ({ status: 400, body: { error: problems.join('; ') } }),
      created: (status) => ({
        status: 201,
        body: { id: this.statuses.posted.length, sha, status: status.state, name: status.name ?? 'default' },
      }),
      duplicate: (previous, next) => {
        const event: Record<string, string> = {
          pending: 'enqueue',
          running: 'run',
          success: 'succeed',
          failed: 'drop',
          canceled: 'cancel',
        };
        const from = String(previous.state);
        if (from !== next.state || (from !== 'pending' && from !== 'running')) return undefined;
        const via = event[from] ?? from;
        return {
          status: 400,
          body: { message: `Cannot transition status via :${via} from :${from} (Reason(s): Status cannot transition via "${via}")` },
        };
      },
      nameField: 'name',
    });
    if (answer.status >= 400) throw new HttpFailure(answer.status, answer.body, answer.headers);
    return { status: answer.status, body: answer.body };
  }

  private authenticateRequest(req: IncomingMessage): string {
    const auth = header(req, 'authorization');
    const match = auth ? /^Bearer (.+)$/i.exec(auth) : null;
    if (!match?.[1]) throw new HttpFailure(401, { message: '401 Unauthorized' });
    const entry = this.accessTokens.get(match[1]);
    if (entry && !entry.revoked && entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      throw new HttpFailure(
        401,
        { error: 'invalid_token', error_description: 'Token is expired. You can either do re-authorization or token refresh.' },
        { 'www-authenticate': 'Bearer realm="Protected by OAuth 2.0", error="invalid_token", error_description="Token is expired."' },
      );
    }
    const userId = this.authenticate(match[1]);
    if (!userId)
      throw new HttpFailure(401, {
        error: 'invalid_token',
        error_description: 'Token was revoked. You have to re-authorize from the user.',
      });
    return userId;
  }

  private authenticate(access: string): string | undefined {
    const entry = this.accessTokens.get(access);
    if (!entry || entry.revoked) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) return undefined;
    return entry.userId;
  }

  private listProjects(userId: string, params: Record<string, string>): Answer {
    const membership = bool(params, 'membership');
    const simple = bool(params, 'simple');
    const all = [...this.projects.values()]
      .filter((p) => (membership ? p.members.has(userId) : p.members.has(userId) || p.visibility !== 'private'))
      .sort((a, b) => b.id - a.id);
    return this.paginate('/projects', params, all, (p) => this.projectJson(p, simple));
  }

  private listBranches(userId: string, id: string, params: Record<string, string>): Answer {
    const project = this.readableProject(userId, id);
    const branches = [...project.branches].sort((a, b) => a.name.localeCompare(b.name));
    return this.paginate(`/projects/${encodeURIComponent(project.path)}/repository/branches`, params, branches, (b) =>
      branchJson(b, project),
    );
  }

  private getBranch(userId: string, id: string, name: string): Answer {
    const project = this.readableProject(userId, id);
    const branch = project.branches.find((b) => b.name === name);
    if (!branch) throw new HttpFailure(404, { message: '404 Branch Not Found' });
    return { body: branchJson(branch, project) };
  }

  /** docs.gitlab.com/api/tags: `target` is the tag object of an annotated tag; `commit` is always the commit. */
  private getTag(userId: string, id: string, name: string): Answer {
    const project = this.readableProject(userId, id);
    const tag = project.tags?.find((t) => t.name === name);
    if (!tag) throw new HttpFailure(404, { message: '404 Tag Not Found' });
    const target = tag.annotated ? sha(`tag object ${tag.name}`) : tag.commitSha;
    return {
      body: {
        name: tag.name,
        message: tag.annotated ? `Release ${tag.name}` : '',
        target,
        commit: commitJson(tag.commitSha),
        release: null,
        protected: false,
      },
    };
  }

  private compare(userId: string, id: string, params: Record<string, string>): Answer {
    const project = this.readableProject(userId, id);
    const { from, to } = params;
    if (!from || !to) throw new HttpFailure(400, { error: 'from is missing, to is missing' });
    const found = project.compares.get(`${from}...${to}`);
    if (!found) throw new HttpFailure(404, { message: '404 Ref Not Found' });
    const diffs = found.timeout ? [] : found.diffs.slice(0, this.options.compareMaxFiles);
    return {
      body: {
        commit: { id: to, short_id: to.slice(0, 8), title: 'head' },
        commits: [],
        diffs: diffs.map((d) => ({
          old_path: d.old_path,
          new_path: d.new_path,
          a_mode: '100644',
          b_mode: '100644',
          new_file: d.new_file ?? false,
          renamed_file: d.renamed_file ?? false,
          deleted_file: d.deleted_file ?? false,
          diff: '',
        })),
        compare_timeout: found.timeout,
        compare_same_ref: from === to,
        web_url: `${this.baseUrl}/${project.path}/-/compare/${from}...${to}`,
      },
    };
  }

  private listHooks(userId: string, id: string, params: Record<string, string>): Answer {
    const project = this.maintainedProject(userId, id);
    return this.paginate(`/projects/${encodeURIComponent(project.path)}/hooks`, params, project.hooks, (h) => hookJson(h, project));
  }

  private createHook(userId: string, id: string, body: Record<string, unknown>): Answer {
    const project = this.maintainedProject(userId, id);
    const hook = this.makeHook(project, validHookBody(body, true));
    return { status: 201, body: hookJson(hook, project) };
  }

  private updateHook(userId: string, id: string, hookId: number, body: Record<string, unknown>): Answer {
    const { project, hook, index } = this.hook(userId, id, hookId);
    const changes = validHookBody(body, true);
    const updated: FakeHook = { ...hook, ...flags(changes, hook), url: changes.url, token: changes.token ?? hook.token };
    project.hooks[index] = updated;
    this.hookLog.push({ action: 'update', project: project.path, hookId, url: updated.url, token: updated.token });
    return { body: hookJson(updated, project) };
  }

  private deleteHook(userId: string, id: string, hookId: number): Answer {
    const { project, index } = this.hook(userId, id, hookId);
    project.hooks.splice(index, 1);
    this.hookLog.push({ action: 'delete', project: project.path, hookId });
    return { status: 204, body: null };
  }

  private makeHook(project: Project, body: HookBody): FakeHook {
    const hook: FakeHook = {
      id: this.nextHookId++,
      url: body.url,
      token: body.token,
      ...flags(body, undefined),
      created_at: new Date().toISOString(),
      alert_status: 'executable',
      disabled_until: null,
    };
    project.hooks.push(hook);
    this.hookLog.push({ action: 'create', project: project.path, hookId: hook.id, url: hook.url, token: hook.token });
    return hook;
  }

  private hook(userId: string, id: string, hookId: number): { project: Project; hook: FakeHook; index: number } {
    const project = this.maintainedProject(userId, id);
    const index = project.hooks.findIndex((h) => h.id === hookId);
    const hook = project.hooks[index];
    if (!hook) throw new HttpFailure(404, { message: '404 Not found' });
    return { project, hook, index };
  }

  private project(path: string): Project {
    const project = this.projects.get(path.toLowerCase());
    if (!project) throw new Error(`FakeGitLab: unknown project ${path}`);
    return project;
  }

  private visibleProject(userId: string, id: string): Project {
    const project = /^\d+$/.test(id) ? [...this.projects.values()].find((p) => p.id === Number(id)) : this.projects.get(id.toLowerCase());
    if (!project || (!project.members.has(userId) && project.visibility === 'private'))
      throw new HttpFailure(404, { message: '404 Project Not Found' });
    return project;
  }

  /** The repository of a private project needs reporter (20) or more: a guest gets GitLab's bare 403. */
  private readableProject(userId: string, id: string): Project {
    const project = this.visibleProject(userId, id);
    const level = project.members.get(userId);
    if (project.visibility === 'private' && level !== undefined && level < 20) throw new HttpFailure(403, { message: '403 Forbidden' });
    return project;
  }

  private maintainedProject(userId: string, id: string): Project {
    const project = this.visibleProject(userId, id);
    if ((project.members.get(userId) ?? 0) < 40) throw new HttpFailure(403, { message: '403 Forbidden' });
    return project;
  }

  private paginate<T>(path: string, params: Record<string, string>, items: readonly T[], toJson: (item: T) => unknown): Answer {
    const perPage = Math.min(100, positive(params, 'per_page') ?? 20);
    const page = positive(params, 'page') ?? 1;
    const totalPages = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const hasNext = page * perPage < items.length;
    const headers: Record<string, string> = {
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-prev-page': page > 1 ? String(page - 1) : '',
      'x-next-page': hasNext ? String(page + 1) : '',
    };
    const link = (p: number, rel: string): string => {
      const q = new URLSearchParams(params);
      q.set('page', String(p));
      q.set('per_page', String(perPage));
      return `<${this.baseUrl}/api/v4${path}?${q.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (hasNext) links.push(link(page + 1, 'next'));
    links.push(link(1, 'first'));
    if (!this.options.omitTotals) {
      links.push(link(totalPages, 'last'));
      headers['x-total'] = String(items.length);
      headers['x-total-pages'] = String(totalPages);
    }
    headers.link = links.join(', ');
    return { headers, body: slice.map(toJson) };
  }

  private projectJson(project: Project, simple: boolean): unknown {
    const cut = project.path.lastIndexOf('/');
    const namespacePath = project.path.slice(0, cut);
    const name = project.path.slice(cut + 1);
    const namespace = {
      id: 1000 + namespacePath.length,
      name: namespacePath.split('/').pop(),
      path: namespacePath.split('/').pop(),
      kind: namespacePath.startsWith('user') ? 'user' : 'group',
      full_path: namespacePath,
      parent_id: null,
      avatar_url: null,
      web_url: `${this.baseUrl}/${namespacePath}`,
    };
    const basic = {
      id: project.id,
      description: null,
      name,
      name_with_namespace: project.path.split('/').join(' / '),
      path: name,
      path_with_namespace: project.path,
      created_at: project.createdAt,
      default_branch: project.defaultBranch,
      tag_list: [],
      topics: [],
      ssh_url_to_repo: `git@127.0.0.1:${project.path}.git`,
      http_url_to_repo: `${this.baseUrl}/${project.path}.git`,
      web_url: `${this.baseUrl}/${project.path}`,
      readme_url: null,
      forks_count: 0,
      avatar_url: null,
      star_count: 0,
      last_activity_at: project.createdAt,
      namespace,
    };
    if (simple) return basic;
    return {
      ...basic,
      visibility: project.visibility,
      archived: false,
      empty_repo: false,
      issues_enabled: true,
      merge_requests_enabled: true,
    };
  }

  private authorize(
    url: URL,
    query: string[],
    finish: (status: number, headers: Record<string, string>, body: string | undefined) => void,
    consent: boolean,
  ): void {
    const allowed = GITLAB_DOCUMENTED_QUERY['GET /oauth/authorize'] ?? [];
    const unknown = query.find((q) => !allowed.includes(q));
    if (unknown) throw new HttpFailure(400, { error: 'invalid_request', error_description: `unknown parameter ${unknown}` });
    const p = url.searchParams;
    const app = this.applications.get(p.get('client_id') ?? '');
    if (!app)
      throw new HttpFailure(401, { error: 'invalid_client', error_description: 'Client authentication failed due to unknown client.' });
    if (p.get('redirect_uri') !== app.redirectUri)
      throw new HttpFailure(400, { error: 'invalid_redirect_uri', error_description: 'The redirect URI included is not valid.' });
    if (consent) {
      const page = consentPageHtml({
        title: 'Authorize forgelink to use your account?',
        text: `An application called ${app.clientId} is requesting access to your GitLab account (scopes: ${p.get('scope') ?? ''}).`,
        action: '/oauth/authorize',
        fields: Object.fromEntries(p),
        approve: 'Authorize',
        deny: 'Deny',
      });
      return finish(200, { 'content-type': 'text/html; charset=utf-8' }, page);
    }
    const target = new URL(app.redirectUri);
    const state = p.get('state');
    if (state !== null) target.searchParams.set('state', state);
    const scopes = (p.get('scope') ?? '').split(' ').filter(Boolean);
    if (p.get('response_type') !== 'code') target.searchParams.set('error', 'unsupported_response_type');
    else if (scopes.length === 0 || scopes.some((s) => !KNOWN_SCOPES.has(s))) target.searchParams.set('error', 'invalid_scope');
    else target.searchParams.set('code', this.issueCode(app.clientId, { userId: this.options.authorizeAs }));
    finish(302, { location: target.toString() }, undefined);
  }

  private token(req: IncomingMessage, body: Record<string, unknown>): unknown {
    const allowed = new Set(['grant_type', 'code', 'client_id', 'client_secret', 'redirect_uri', 'refresh_token', 'code_verifier']);
    const unknown = Object.keys(body).find((k) => !allowed.has(k));
    if (unknown) throw new HttpFailure(400, { error: 'invalid_request', error_description: `unknown parameter ${unknown}` });
    let clientId = str(body.client_id);
    let clientSecret = str(body.client_secret);
    const basic = /^Basic (.+)$/i.exec(header(req, 'authorization') ?? '');
    if (basic?.[1]) [clientId, clientSecret] = Buffer.from(basic[1], 'base64').toString().split(':');
    const app = clientId ? this.applications.get(clientId) : undefined;
    if (!app || app.clientSecret !== clientSecret) {
      throw new HttpFailure(401, {
        error: 'invalid_client',
        error_description:
          'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
      });
    }
    const invalidGrant = (): HttpFailure => {
      this.invalidGrantCount++;
      return new HttpFailure(400, {
        error: 'invalid_grant',
        error_description:
          'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
      });
    };
    const grantType = str(body.grant_type);
    if (grantType === 'authorization_code') {
      const code = this.codes.get(str(body.code) ?? '');
      if (!code || code.used || code.clientId !== app.clientId || str(body.redirect_uri) !== code.redirectUri) throw invalidGrant();
      code.used = true;
      this.tokenExchangeCount++;
      return this.issuePair(code.userId, app.clientId);
    }
    if (grantType === 'refresh_token') {
      const refresh = this.refreshTokens.get(str(body.refresh_token) ?? '');
      if (!refresh || refresh.revoked || refresh.clientId !== app.clientId) throw invalidGrant();
      // gitlab#372358: a refresh revokes the old access token and the old refresh token.
      refresh.revoked = true;
      const oldAccess = this.accessTokens.get(refresh.accessToken);
      if (oldAccess) oldAccess.revoked = true;
      this.refreshCount++;
      return this.issuePair(refresh.userId, app.clientId);
    }
    throw new HttpFailure(400, {
      error: 'unsupported_grant_type',
      error_description: 'The authorization grant type is not supported by the authorization server.',
    });
  }

  private issuePair(userId: string, clientId: string): unknown {
    const access = token('gloat');
    const refresh = token('glrt');
    const ttl = this.options.omitExpiresIn ? undefined : this.options.accessTokenTtlSeconds;
    this.accessTokens.set(access, { userId, clientId, expiresAt: ttl === undefined ? undefined : Date.now() + ttl * 1000, revoked: false });
    this.refreshTokens.set(refresh, { userId, clientId, accessToken: access, revoked: false });
    return {
      access_token: access,
      token_type: 'Bearer',
      ...(ttl === undefined ? {} : { expires_in: ttl }),
      refresh_token: refresh,
      scope: 'api read_user read_repository',
      created_at: Math.floor(Date.now() / 1000),
    };
  }
}

/**
 * Recorded requests whose method + path, or whose query parameter names, GitLab does not document.
 * The fake already refuses them with 400; this makes the check explicit in a test.
 */
export function undocumentedGitLabRequests(requests: readonly GitLabRequest[]): string[] {
  const problems: string[] = [];
  for (const r of requests) {
    if (!r.template) {
      problems.push(`${r.method} ${r.path}: not a documented GitLab endpoint`);
      continue;
    }
    const allowed = GITLAB_DOCUMENTED_QUERY[r.template] ?? [];
    for (const q of r.query) if (!allowed.includes(q)) problems.push(`${r.template}: query parameter "${q}" is not documented`);
  }
  return problems;
}

type Handler = (userId: string, params: Record<string, string>, body: Record<string, unknown>) => Answer;
interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
}
interface HookBody {
  url: string;
  token?: string;
  [flag: string]: unknown;
}

function generatedProject(i: number): ProjectSeed {
  const n = String(i).padStart(5, '0');
  if (i % 3 === 0) return { path: `acme/app-${n}`, visibility: 'private' };
  if (i % 3 === 1) return { path: `acme/platform/svc-${n}`, visibility: 'internal' };
  return { path: `user1/repo-${n}`, visibility: 'public' };
}

const commitInfo = new Map<string, CommitInfo>();

function commitJson(commitSha: string): Record<string, unknown> {
  const info = commitInfo.get(commitSha) ?? { message: 'commit', author: 'Fake' };
  const title = info.message.split('\n')[0] ?? '';
  return { id: commitSha, short_id: commitSha.slice(0, 8), title, message: info.message, author_name: info.author, parent_ids: [] };
}

function branchJson(branch: BranchSeed, project: Project): unknown {
  const commitSha = branch.commitSha ?? sha(branch.name);
  return {
    name: branch.name,
    merged: false,
    protected: branch.protected ?? false,
    default: branch.name === project.defaultBranch,
    developers_can_push: false,
    developers_can_merge: false,
    can_push: true,
    web_url: `/${project.path}/-/tree/${branch.name}`,
    commit: commitJson(commitSha),
  };
}

function hookJson(hook: FakeHook, project: Project): unknown {
  const { token: _token, ...visible } = hook;
  return { ...visible, project_id: project.id };
}

function validHookBody(body: Record<string, unknown>, requireUrl: boolean): HookBody {
  const unknown = Object.keys(body).find((k) => !HOOK_ATTRIBUTES.has(k));
  if (unknown) throw new HttpFailure(400, { error: `${unknown} does not have a valid value` });
  const url = str(body.url);
  if (requireUrl && (!url || !/^https?:\/\//.test(url))) throw new HttpFailure(422, { error: 'Invalid url given' });
  for (const flag of HOOK_FLAGS) {
    if (body[flag] !== undefined && typeof body[flag] !== 'boolean' && body[flag] !== 'true' && body[flag] !== 'false') {
      throw new HttpFailure(400, { error: `${flag} is invalid` });
    }
  }
  return { ...body, url: url ?? '', token: str(body.token) };
}

function flags(body: HookBody, previous: FakeHook | undefined): Pick<FakeHook, (typeof HOOK_FLAGS)[number]> {
  const flag = (name: (typeof HOOK_FLAGS)[number], fallback: boolean): boolean => {
    const value = body[name];
    if (value === undefined) return previous ? previous[name] : fallback;
    return value === true || value === 'true';
  };
  return {
    push_events: flag('push_events', true),
    tag_push_events: flag('tag_push_events', false),
    merge_requests_events: flag('merge_requests_events', false),
    issues_events: flag('issues_events', false),
    note_events: flag('note_events', false),
    pipeline_events: flag('pipeline_events', false),
    enable_ssl_verification: flag('enable_ssl_verification', true),
  };
}

function bool(params: Record<string, string>, name: string): boolean {
  const value = params[name];
  if (value === undefined) return false;
  if (value !== 'true' && value !== 'false') throw new HttpFailure(400, { error: `${name} is invalid` });
  return value === 'true';
}

function positive(params: Record<string, string>, name: string): number | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new HttpFailure(400, { error: `${name} is invalid` });
  return Math.max(1, Number(value));
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(req: IncomingMessage, body: string): Record<string, unknown> {
  if (!body) return {};
  const type = header(req, 'content-type') ?? '';
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(body));
  if (type.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // fall through to 400
    }
  }
  throw new HttpFailure(400, { error: 'invalid_request', error_description: 'body is neither a form nor a JSON object' });
}

function token(prefix: string): string {
  return `${prefix}-${randomBytes(16).toString('hex')}`;
}

function sha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}
