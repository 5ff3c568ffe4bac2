import { createHash, randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type RecordedAnswer, type RecordedRequest } from '../support/openapi.js';
import { LocalFakeServer } from './local-server.js';
import { FakeCommitStatuses } from './commit-statuses.js';

/** A request the fake received; `path` is relative to /2.0 as the spec check expects. */
export interface FakeBitbucketRequest extends RecordedRequest {
  /** The Basic-auth user name sent (email for API tokens, username for app passwords), never the secret. */
  readonly user?: string;
  readonly ifNoneMatch?: string;
}

export interface FakeBitbucketHook {
  readonly uuid: string;
  url: string;
  description: string;
  active: boolean;
  events: string[];
  secret: string | null;
}

export interface FakeHookLogEntry {
  readonly action: 'created' | 'updated' | 'deleted';
  readonly fullName: string;
  readonly uuid: string;
  readonly url: string;
}

export interface FakeRepositorySeed {
  readonly slug: string;
  /** The repository's uuid with braces (a real payload's `repository.uuid`); random when omitted. */
  readonly uuid?: string;
  readonly name?: string;
  readonly private?: boolean;
  /** null: an empty repository without a main branch. */
  readonly mainbranch?: string | null;
}

export interface FakeBranchSeed {
  readonly name: string;
  readonly hash?: string;
}

/** A tag; Bitbucket answers an annotated tag's `target` with the commit it names, as for a lightweight one. */
export interface FakeTagSeed {
  readonly name: string;
  readonly hash: string;
  readonly annotated?: boolean;
}

export interface FakeDiffEntry {
  readonly status: 'added' | 'removed' | 'modified' | 'renamed';
  readonly old?: string;
  readonly new?: string;
}

interface Repo {
  /** The user may read the repository but not administer it: its webhooks answer 403. */
  readOnly?: boolean;
  readonly uuid: string;
  workspace: string;
  slug: string;
  name: string;
  readonly isPrivate: boolean;
  readonly mainbranch: string | null;
  branches: FakeBranchSeed[];
  tags?: FakeTagSeed[];
  readonly hooks: FakeBitbucketHook[];
  readonly diffstats: Map<string, FakeDiffEntry[]>;
  readonly commits: FakeCommit[];
}

/** A commit the fake can resolve by its full hash or any unambiguous prefix (as Bitbucket does). */
export interface FakeCommit {
  readonly hash: string;
  readonly message: string;
  /** Bitbucket's `author.raw`: "Name <email>". */
  readonly authorRaw: string;
}

interface Credential {
  readonly secret: string;
  /** undefined: every scope granted. */
  readonly scopes?: readonly string[];
}

interface ForcedFailure {
  readonly status: number;
  readonly headers: Record<string, string>;
}

const HOOK_EVENTS = new Set([
  'issue:comment_created',
  'issue:created',
  'issue:updated',
  'pipeline:span_created',
  'project:updated',
  'pullrequest:approved',
  'pullrequest:changes_request_created',
  'pullrequest:changes_request_removed',
  'pullrequest:comment_created',
  'pullrequest:comment_deleted',
  'pullrequest:comment_reopened',
  'pullrequest:comment_resolved',
  'pullrequest:comment_updated',
  'pullrequest:created',
  'pullrequest:fulfilled',
  'pullrequest:push',
  'pullrequest:rejected',
  'pullrequest:unapproved',
  'pullrequest:updated',
  'repo:commit_comment_created',
  'repo:commit_status_created',
  'repo:commit_status_updated',
  'repo:created',
  'repo:deleted',
  'repo:fork',
  'repo:imported',
  'repo:push',
  'repo:transfer',
  'repo:updated',
]);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
  }
}

/**
 * Bitbucket Cloud REST 2.0 on 127.0.0.1: Basic auth (API token = email:token, app password = username:password),
 * body paging ({values, pagelen, size, page, next}) with pagelen capped at 100, ETag/304, per-scope 403s,
 * repository webhooks, diffstat, forced failures and a request log for the OpenAPI check.
 */
export class FakeBitbucket extends LocalFakeServer {
  readonly requests: FakeBitbucketRequest[] = [];
  /** API answers with their JSON bodies, for answersNotMatchingSpec(). */
  readonly answers: RecordedAnswer[] = [];
  /** POST …/commit/{sha}/statuses/build: what was posted, commits, missing permission, forced failures. */
  readonly statuses = new FakeCommitStatuses('bitbucket');
  readonly hookLog: FakeHookLogEntry[] = [];
  notModifiedCount = 0;
  /** Highest number of requests in flight at once (meaningful with setDelay). */
  maxConcurrent = 0;

  private readonly apiTokens = new Map<string, Credential>();
  private readonly appPasswords = new Map<string, Credential>();
  private readonly workspaces = new Map<string, Repo[]>();
  private readonly failures: ForcedFailure[] = [];
  private nextOrigin: string | undefined;
  private reportSize = true;
  private delayMs = 0;
  private inFlight = 0;

  /** What BITBUCKET_API_URL should be set to. */
  get apiUrl(): string {
    return `${this.baseUrl}/2.0`;
  }

  addApiToken(email: string, token: string, scopes?: readonly string[]): void {
    this.apiTokens.set(email, { secret: token, scopes });
  }

  addAppPassword(username: string, password: string, scopes?: readonly string[]): void {
    this.appPasswords.set(username, { secret: password, scopes });
  }

  /** Replaces the workspace's repositories; a number n seeds repo-00001 … repo-n, in that order. */
  setRepositories(workspace: string, repos: number | readonly FakeRepositorySeed[]): void {
    const seeds: FakeRepositorySeed[] =
      typeof repos === 'number'
        ? Array.from({ length: repos }, (_, i) => ({ slug: `repo-${String(i + 1).padStart(5, '0')}`, private: i % 2 === 0 }))
        : [...repos];
    this.workspaces.set(
      workspace,
      seeds.map((seed) => ({
        uuid: seed.uuid ?? `{${randomUUID()}}`,
        workspace,
        slug: seed.slug,
        name: seed.name ?? seed.slug,
        isPrivate: seed.private ?? true,
        mainbranch: seed.mainbranch === undefined ? 'main' : seed.mainbranch,
        branches: seed.mainbranch === null ? [] : [{ name: seed.mainbranch ?? 'main', hash: fakeSha(`${workspace}/${seed.slug}:main`) }],
        hooks: [],
        diffstats: new Map(),
        commits: [],
      })),
    );
  }

  /** Replaces the branches; a number n seeds branch-00001 … branch-n. */
  setBranches(fullName: string, branches: number | readonly FakeBranchSeed[]): void {
    const repo = this.mustFind(fullName);
    const seeds: readonly FakeBranchSeed[] =
      typeof branches === 'number'
        ? Array.from({ length: branches }, (_, i) => ({ name: `branch-${String(i + 1).padStart(5, '0')}` }))
        : branches;
    repo.branches = seeds.map((b) => ({ name: b.name, hash: b.hash ?? fakeSha(`${fullName}:${b.name}`) }));
  }

  /** What GET diffstat/{head}..{base} answers (Bitbucket's order); any other spec is 404. */
  setDiffstat(fullName: string, range: { base: string; head: string }, entries: readonly (string | FakeDiffEntry)[]): void {
    this.mustFind(fullName).diffstats.set(
      `${range.head}..${range.base}`,
      entries.map((e) => (typeof e === 'string' ? { status: 'modified', old: e, new: e } : e)),
    );
  }

  setTags(fullName: string, tags: readonly FakeTagSeed[]): void {
    this.mustFind(fullName).tags = [...tags];
  }

  addCommit(fullName: string, commit: FakeCommit): void {
    this.mustFind(fullName).commits.push(commit);
  }

  hooks(fullName: string): readonly FakeBitbucketHook[] {
    return this.mustFind(fullName).hooks;
  }

  /** Seeds a hook directly, as if someone created it in Bitbucket's UI. */
  addHook(fullName: string, hook: { url: string; secret?: string; events?: string[]; active?: boolean }): FakeBitbucketHook {
    const created: FakeBitbucketHook = {
      uuid: `{${randomUUID()}}`,
      url: hook.url,
      description: 'added by hand',
      active: hook.active ?? true,
      events: hook.events ?? ['repo:push'],
      secret: hook.secret ?? null,
    };
    this.mustFind(fullName).hooks.push(created);
    return created;
  }

  /** The next `times` requests answer `status` (with `headers`, e.g. retry-after) instead of being served. */
  failNext(status: number, times = 1, headers: Record<string, string> = {}): void {
    for (let i = 0; i < times; i++) this.failures.push({ status, headers });
  }

  /** Makes `next` links point at another origin (a hostile or misconfigured server). */
  setNextOrigin(origin: string | undefined): void {
    this.nextOrigin = origin;
  }

  /** Bitbucket omits `size` on some listings ("expensive to compute"); clients must then follow `next`. */
  setReportSize(report: boolean): void {
    this.reportSize = report;
  }

  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  clearRequests(): void {
    this.requests.length = 0;
    this.answers.length = 0;
    this.maxConcurrent = 0;
    this.notModifiedCount = 0;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.inFlight);
    try {
      const url = new URL(req.url ?? '/', this.baseUrl);
      const user = basicUser(req.headers.authorization);
      const ifNoneMatch = req.headers['if-none-match'];
      this.requests.push({
        method: req.method ?? 'GET',
        path: url.pathname.replace(/^\/2\.0/, ''),
        query: [...new Set(url.searchParams.keys())],
        ...(user ? { user: user.name } : {}),
        ...(ifNoneMatch ? { ifNoneMatch } : {}),
      });
      const body = await readBody(req);
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));

      const apiPath = url.pathname.replace(/^\/2\.0/, '');
      const query = [...new Set(url.searchParams.keys())];
      const reply = (status: number, answer: unknown, headers?: Record<string, string>): void => {
        if (url.pathname.startsWith('/2.0/'))
          this.answers.push({ method: req.method ?? 'GET', path: apiPath, query, status, body: answer });
        send(res, status, answer, headers);
      };
      const failure = this.failures.shift();
      if (failure) return reply(failure.status, errorBody(`forced ${failure.status}`), failure.headers);

      if (!url.pathname.startsWith('/2.0/')) throw new HttpError(404, 'Resource not found');
      const granted = this.authenticate(user);
      const result = this.route(req.method ?? 'GET', url, body, granted, user?.name ?? '');
      if (result.status === 200 && req.method === 'GET') {
        const text = JSON.stringify(result.body);
        const etag = `"${createHash('sha1').update(text).digest('hex')}"`;
        if (ifNoneMatch === etag) {
          this.notModifiedCount++;
          res.writeHead(304, { etag }).end();
          return;
        }
        return reply(200, result.body, { etag });
      }
      return reply(result.status, result.body, result.headers);
    } catch (error) {
      if (error instanceof HttpError) {
        const url = new URL(req.url ?? '/', this.baseUrl);
        const body = errorBody(error.message, error.detail);
        if (url.pathname.startsWith('/2.0/'))
          this.answers.push({
            method: req.method ?? 'GET',
            path: url.pathname.replace(/^\/2\.0/, ''),
            query: [...new Set(url.searchParams.keys())],
            status: error.status,
            body,
          });
        return send(res, error.status, body);
      }
      return send(res, 500, errorBody(error instanceof Error ? error.message : 'internal error'));
    } finally {
      this.inFlight--;
    }
  }

  /** The scopes the credential grants (undefined = all); 401 when the pair is unknown. */
  private authenticate(user: { name: string; secret: string } | undefined): readonly string[] | undefined {
    if (!user) throw new HttpError(401, 'Unauthorized');
    const match = [this.apiTokens.get(user.name), this.appPasswords.get(user.name)].find((c) => c?.secret === user.secret);
    if (!match) throw new HttpError(401, 'Unauthorized');
    return match.scopes;
  }

  private route(
    method: string,
    url: URL,
    body: unknown,
    granted: readonly string[] | undefined,
    user: string,
  ): { status: number; body?: unknown; headers?: Record<string, string> } {
    const raw = url.pathname.slice('/2.0/'.length).split('/');
    const segments = raw.map((s) => decodeURIComponent(s));
    const need = (scope: string): void => {
      if (granted && !granted.includes(scope)) {
        throw new HttpError(403, 'Your credentials lack one or more required privilege scopes.', { required: [scope], granted });
      }
    };
    const [root, workspace, slug, resource, ...rest] = segments;
    if (root !== 'repositories' || !workspace) throw new HttpError(404, 'Resource not found');

    if (!slug) {
      if (method !== 'GET') throw new HttpError(405, 'Method not allowed');
      need('read:repository:bitbucket');
      const repos = this.workspaces.get(workspace);
      if (!repos) throw new HttpError(404, `No workspace with identifier '${workspace}'.`);
      return {
        status: 200,
        body: this.page(
          url,
          repos.map((r) => this.repoJson(r, user)),
          100,
          10,
        ),
      };
    }

    // Slugs resolve case-insensitively, as on Bitbucket Cloud; `{uuid}` stands for the slug too (the API's repo_slug docs).
    const repo = this.workspaces
      .get(workspace)
      ?.find((r) => r.slug.toLowerCase() === slug.toLowerCase() || (slug.startsWith('{') && r.uuid.toLowerCase() === slug.toLowerCase()));
    const fullName = repo ? `${repo.workspace}/${repo.slug}` : `${workspace}/${slug}`;
    const hooksCall = resource === 'hooks';
    need(
      !hooksCall
        ? 'read:repository:bitbucket'
        : method === 'GET'
          ? 'read:webhook:bitbucket'
          : method === 'DELETE'
            ? 'delete:webhook:bitbucket'
            : 'write:webhook:bitbucket',
    );
    if (!repo) throw new HttpError(404, `Repository ${fullName} not found`);

    if (!resource && method === 'GET') return { status: 200, body: this.repoJson(repo, user) };

    if (resource === 'refs' && rest[0] === 'branches' && method === 'GET') {
      const name = rest.slice(1).join('/');
      if (name) {
        const branch = repo.branches.find((b) => b.name === name);
        if (!branch) throw new HttpError(404, `Branch "${name}" not found`);
        return { status: 200, body: this.branchJson(repo, branch) };
      }
      let branches = repo.branches;
      const q = url.searchParams.get('q');
      if (q !== null) {
        const exact = /^name\s*=\s*"((?:[^"\\]|\\.)*)"$/.exec(q.trim());
        if (!exact?.[1]) throw new HttpError(400, `Invalid query: ${q}`);
        const wanted = exact[1].replace(/\\(.)/g, '$1');
        branches = branches.filter((b) => b.name === wanted);
      }
      return {
        status: 200,
        body: this.page(
          url,
          branches.map((b) => this.branchJson(repo, b)),
          100,
          10,
        ),
      };
    }

    if (resource === 'refs' && rest[0] === 'tags' && method === 'GET') {
      const name = rest.slice(1).join('/');
      const tags = repo.tags ?? [];
      if (name) {
        const tag = tags.find((t) => t.name === name);
        if (!tag) throw new HttpError(404, `Tag "${name}" not found`);
        return { status: 200, body: this.tagJson(repo, tag) };
      }
      const q = url.searchParams.get('q');
      const exact = q === null ? undefined : /^name\s*=\s*"((?:[^"\\]|\\.)*)"$/.exec(q.trim());
      if (q !== null && !exact?.[1]) throw new HttpError(400, `Invalid query: ${q}`);
      const wanted = exact?.[1]?.replace(/\\(.)/g, '$1');
      return {
        status: 200,
        body: this.page(
          url,
          tags.filter((t) => wanted === undefined || t.name === wanted).map((t) => this.tagJson(repo, t)),
          100,
          10,
        ),
      };
    }

    if (resource === 'diffstat' && method === 'GET' && rest.length === 1 && rest[0]) {
      const entries = repo.diffstats.get(rest[0]);
      if (!entries) throw new HttpError(404, `Commit range ${rest[0]} not found`);
      const values = entries.map((e) => ({
        type: 'diffstat',
        status: e.status,
        lines_added: 1,
        lines_removed: 1,
        old: e.old ? { path: e.old, escaped_path: e.old, type: 'commit_file' } : null,
        new: e.new ? { path: e.new, escaped_path: e.new, type: 'commit_file' } : null,
      }));
      return { status: 200, body: this.page(url, values, 5000, 500) };
    }

    // GET /repositories/{workspace}/{repo_slug}/commit/{commit}: a full hash or a prefix of one.
    if (resource === 'commit' && method === 'GET' && rest.length === 1 && rest[0]) {
      const prefix = rest[0].toLowerCase();
      const found = repo.commits.filter((c) => c.hash.startsWith(prefix));
      if (found.length !== 1 || !found[0]) throw new HttpError(404, `Commit not found: ${rest[0]}`);
      const c = found[0];
      return {
        status: 200,
        body: {
          type: 'commit',
          hash: c.hash,
          message: c.message,
          date: '2026-11-30T10:00:00+00:00',
          author: { type: 'author', raw: c.authorRaw },
          parents: [],
          links: { html: { href: `https://bitbucket.org/${fullName}/commits/${c.hash}` } },
          repository: { type: 'repository', full_name: fullName, uuid: repo.uuid },
        },
      };
    }

    // POST /repositories/{workspace}/{repo_slug}/commit/{commit}/statuses/build: the official description asks for
    // read:repository:bitbucket (checked above); an account without write access to the repository is refused (deny()).
    if (resource === 'commit' && method === 'POST' && rest.length === 3 && rest[1] === 'statuses' && rest[2] === 'build' && rest[0]) {
      const answer = this.statuses.handle(fullName, rest[0], body, {
        forbidden: () => ({ status: 403, body: errorBody('You do not have write access to this repository.') }),
        unknownCommit: () => ({ status: 404, body: errorBody(`Commit not found: ${rest[0] ?? ''}`) }),
        invalid: (problems) => ({ status: 400, body: errorBody('Bad request', problems) }),
        created: (status) => ({ status: 201, body: { type: 'build', ...status, created_on: new Date().toISOString() } }),
        nameField: 'key',
      });
      return { status: answer.status, body: answer.body, ...(answer.headers ? { headers: answer.headers } : {}) };
    }

    if (hooksCall && repo.readOnly) throw new HttpError(403, 'You must be an administrator of this repository to manage its webhooks.');
    if (hooksCall) return this.hooksRoute(method, url, repo, fullName, rest, body);
    throw new HttpError(404, 'Resource not found');
  }

  private hooksRoute(
    method: string,
    url: URL,
    repo: Repo,
    fullName: string,
    rest: string[],
    body: unknown,
  ): { status: number; body?: unknown; headers?: Record<string, string> } {
    const uid = rest[0];
    if (!uid) {
      if (method === 'GET')
        return {
          status: 200,
          body: this.page(
            url,
            repo.hooks.map((h) => this.hookJson(repo, h)),
            100,
            10,
          ),
        };
      if (method !== 'POST') throw new HttpError(405, 'Method not allowed');
      const input = hookInput(body, true);
      const hook: FakeBitbucketHook = {
        uuid: `{${randomUUID()}}`,
        url: input.url!,
        description: input.description ?? '',
        active: input.active ?? true,
        events: input.events!,
        secret: input.secret === undefined || input.secret === '' ? null : input.secret,
      };
      repo.hooks.push(hook);
      this.hookLog.push({ action: 'created', fullName, uuid: hook.uuid, url: hook.url });
      return {
        status: 201,
        body: this.hookJson(repo, hook),
        headers: { location: `${this.apiUrl}/repositories/${fullName}/hooks/${encodeURIComponent(hook.uuid)}` },
      };
    }
    const index = repo.hooks.findIndex((h) => h.uuid === uid);
    const hook = repo.hooks[index];
    if (!hook || rest.length > 1) throw new HttpError(404, `Webhook ${uid} not found`);
    if (method === 'GET') return { status: 200, body: this.hookJson(repo, hook) };
    if (method === 'DELETE') {
      repo.hooks.splice(index, 1);
      this.hookLog.push({ action: 'deleted', fullName, uuid: hook.uuid, url: hook.url });
      return { status: 204 };
    }
    if (method !== 'PUT') throw new HttpError(405, 'Method not allowed');
    const input = hookInput(body, false);
    if (input.url !== undefined) hook.url = input.url;
    if (input.description !== undefined) hook.description = input.description;
    if (input.active !== undefined) hook.active = input.active;
    if (input.events !== undefined) hook.events = input.events;
    if (input.secret !== undefined) hook.secret = input.secret === null || input.secret === '' ? null : input.secret;
    this.hookLog.push({ action: 'updated', fullName, uuid: hook.uuid, url: hook.url });
    return { status: 200, body: this.hookJson(repo, hook) };
  }

  /** Bitbucket's paged envelope; pagelen above `max` is served as `max`. */
  private page(url: URL, all: unknown[], max: number, fallback: number): Record<string, unknown> {
    const pagelenParam = url.searchParams.get('pagelen');
    const pageParam = url.searchParams.get('page');
    const pagelen = pagelenParam === null ? fallback : Number(pagelenParam);
    const page = pageParam === null ? 1 : Number(pageParam);
    if (!Number.isInteger(pagelen) || pagelen < 1) throw new HttpError(400, 'Invalid pagelen');
    if (!Number.isInteger(page) || page < 1) throw new HttpError(400, 'Invalid page');
    const effective = Math.min(pagelen, max);
    const values = all.slice((page - 1) * effective, page * effective);
    const out: Record<string, unknown> = { pagelen: effective, page, values };
    if (this.reportSize) out.size = all.length;
    if (page * effective < all.length) {
      const next = new URL(url.pathname + url.search, this.nextOrigin ?? this.baseUrl);
      next.searchParams.set('page', String(page + 1));
      out.next = next.toString();
    }
    if (page > 1) {
      const previous = new URL(url.pathname + url.search, this.baseUrl);
      previous.searchParams.set('page', String(page - 1));
      out.previous = previous.toString();
    }
    return out;
  }

  private repoJson(repo: Repo, user: string): Record<string, unknown> {
    const fullName = `${repo.workspace}/${repo.slug}`;
    const cloneUser = user.split('@')[0] ?? user;
    return {
      type: 'repository',
      uuid: repo.uuid,
      full_name: fullName,
      slug: repo.slug,
      name: repo.name,
      is_private: repo.isPrivate,
      scm: 'git',
      mainbranch: repo.mainbranch ? { type: 'branch', name: repo.mainbranch } : null,
      workspace: { type: 'workspace', slug: repo.workspace },
      links: {
        self: { href: `${this.apiUrl}/repositories/${fullName}` },
        html: { href: `https://bitbucket.org/${fullName}` },
        clone: [
          { name: 'https', href: `https://${cloneUser}@bitbucket.org/${fullName}.git` },
          { name: 'ssh', href: `git@bitbucket.org:${fullName}.git` },
        ],
      },
    };
  }

  /** The commit a ref points at, with the message and author of a commit added with addCommit. */
  private targetJson(repo: Repo, hash: string | undefined, fallback: string): Record<string, unknown> {
    const known = repo.commits.find((c) => c.hash === hash);
    return {
      type: 'commit',
      hash,
      message: known?.message ?? fallback,
      ...(known ? { author: { type: 'author', raw: known.authorRaw } } : {}),
    };
  }

  private tagJson(repo: Repo, tag: FakeTagSeed): Record<string, unknown> {
    return {
      type: 'tag',
      name: tag.name,
      ...(tag.annotated ? { message: `Release ${tag.name}\n` } : {}),
      target: this.targetJson(repo, tag.hash, 'commit'),
      links: { html: { href: `https://bitbucket.org/${repo.workspace}/${repo.slug}/commits/tag/${tag.name}` } },
    };
  }

  private branchJson(repo: Repo, branch: FakeBranchSeed): Record<string, unknown> {
    return {
      type: 'branch',
      name: branch.name,
      target: this.targetJson(repo, branch.hash, `tip of ${branch.name}`),
      links: { html: { href: `https://bitbucket.org/${repo.workspace}/${repo.slug}/branch/${branch.name}` } },
    };
  }

  private hookJson(repo: Repo, hook: FakeBitbucketHook): Record<string, unknown> {
    return {
      type: 'webhook_subscription',
      uuid: hook.uuid,
      url: hook.url,
      description: hook.description,
      subject_type: 'repository',
      subject: { type: 'repository', full_name: `${repo.workspace}/${repo.slug}` },
      active: hook.active,
      events: hook.events,
      secret_set: hook.secret !== null,
      created_at: '2026-01-01T00:00:00Z',
    };
  }

  /** The user's role on this repository is read/write, not admin: managing its webhooks is refused (403). */
  makeReadOnly(fullName: string): void {
    this.mustFind(fullName).readOnly = true;
  }

  /**
   * Renames (new slug) or transfers (new workspace) a repository; its uuid, branches and hooks stay, as on Bitbucket.
   * The old name then answers 404.
   */
  renameRepository(fullName: string, to: string): void {
    const repo = this.mustFind(fullName);
    const [workspace, slug] = to.split('/');
    if (!workspace || !slug) throw new Error(`FakeBitbucket: ${to} is not workspace/slug`);
    const list = this.workspaces.get(repo.workspace) ?? [];
    list.splice(list.indexOf(repo), 1);
    repo.workspace = workspace;
    repo.slug = slug;
    repo.name = slug;
    const target = this.workspaces.get(workspace) ?? [];
    target.push(repo);
    this.workspaces.set(workspace, target);
  }

  private mustFind(fullName: string): Repo {
    const [workspace, slug] = fullName.split('/');
    const repo = this.workspaces.get(workspace ?? '')?.find((r) => r.slug.toLowerCase() === slug?.toLowerCase());
    if (!repo) throw new Error(`FakeBitbucket: no repository ${fullName}; seed it with setRepositories first`);
    return repo;
  }
}

interface HookInput {
  url?: string;
  description?: string;
  active?: boolean;
  events?: string[];
  secret?: string | null;
}

function hookInput(body: unknown, creating: boolean): HookInput {
  if (typeof body !== 'object' || body === null) throw new HttpError(400, 'Expected a JSON object');
  const b = body as Record<string, unknown>;
  const input: HookInput = {};
  if (b.url !== undefined || creating) {
    if (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url)) throw new HttpError(400, 'url: a valid URL is required');
    input.url = b.url;
  }
  if (b.description !== undefined) {
    if (typeof b.description !== 'string') throw new HttpError(400, 'description must be a string');
    input.description = b.description;
  }
  if (b.active !== undefined) {
    if (typeof b.active !== 'boolean') throw new HttpError(400, 'active must be a boolean');
    input.active = b.active;
  }
  if (b.events !== undefined || creating) {
    if (!Array.isArray(b.events) || b.events.length === 0 || !b.events.every((e) => typeof e === 'string' && HOOK_EVENTS.has(e))) {
      throw new HttpError(400, 'events: at least one known event is required');
    }
    input.events = [...new Set(b.events as string[])];
  }
  if ('secret' in b) {
    if (b.secret !== null && (typeof b.secret !== 'string' || b.secret.length > 128))
      throw new HttpError(400, 'secret: at most 128 characters');
    input.secret = b.secret as string | null;
  }
  return input;
}

function basicUser(header: string | undefined): { name: string; secret: string } | undefined {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { name: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'Malformed JSON');
  }
}

function errorBody(message: string, detail?: unknown): Record<string, unknown> {
  return { type: 'error', error: { message, ...(detail === undefined ? {} : { detail }) } };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined || status === 204) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}
