import { createHash } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { LocalFakeServer } from './local-server.js';
import { FakeCommitStatuses } from './commit-statuses.js';

/**
 * A Bitbucket Data Center server on 127.0.0.1 that behaves like the real one where forgelink depends on it
 * (Bitbucket Data Center REST API 1.0): an optional context path (`/bitbucket`), HTTP access tokens as
 * `Authorization: Bearer` (401 + IncorrectPasswordAuthenticationException for a bad one), `start`/`limit` paging with
 * a server-capped limit (`{size, limit, isLastPage, start, nextPageStart, values}`), `GET /repos?permission=REPO_READ`,
 * repositories, default branch, branches (`filterText`, `orderBy`), repository webhooks (list/create/update/delete;
 * 401 + AuthorisationException without repository admin, as the real server answers), compare/changes,
 * injected failures, latency, and a log of every request.
 */
export interface FakeDcRepository {
  readonly id: number;
  /** Project key; personal repositories use `~USERSLUG`. */
  readonly project: string;
  readonly slug: string;
  readonly public: boolean;
  /** '' = an empty repository (no default branch). */
  readonly defaultBranch: string;
}

export interface FakeDcBranch {
  readonly name: string;
  readonly commitSha: string;
}

/** A tag: an annotated one has a tag object (`hash`); `latestCommit` is always the commit. */
export interface FakeDcTag {
  readonly name: string;
  readonly commitSha: string;
  readonly annotated?: boolean;
}

/** What GET …/commits/{id} shows for a commit (defaults: "commit" by "Fake"). */
export interface FakeDcCommitInfo {
  readonly message: string;
  readonly author: string;
}

export interface FakeDcHook {
  readonly id: number;
  name: string;
  url: string;
  active: boolean;
  events: string[];
  secret: string | undefined;
}

export interface FakeDcRequest {
  readonly method: string;
  /** Path below `<contextPath>/rest/api/1.0`, or the full path for anything else. */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly status: number;
  readonly authorization?: string;
}

export type FakeDcPermission = 'REPO_READ' | 'REPO_ADMIN';

export interface FakeBitbucketDatacenterOptions {
  /** Where Bitbucket is mounted (server.context-path), e.g. '/bitbucket'. Default ''. */
  readonly contextPath?: string;
  /** The largest `limit` the server applies (page.max.*). Default 1000. */
  readonly maxLimit?: number;
  /** false: no /default-branch endpoint (servers before 7.5 answer 404 there). Default true. */
  readonly defaultBranchEndpoint?: boolean;
}

interface Failure {
  readonly status: number;
  remaining: number;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly path?: string;
  readonly method?: string;
}

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

const DEFAULT_LIMIT = 25;

export class FakeBitbucketDatacenter extends LocalFakeServer {
  readonly contextPath: string;
  readonly requests: FakeDcRequest[] = [];
  /** POST …/commits/{sha}/builds: what was posted, commits, missing permission, forced failures. */
  readonly statuses = new FakeCommitStatuses('bitbucket-datacenter');
  /** Most API requests in flight at the same time since the last resetStats(). */
  maxConcurrent = 0;
  maxLimit: number;
  latencyMs = 0;

  private readonly options: FakeBitbucketDatacenterOptions;
  private readonly tokens = new Map<string, FakeDcPermission>();
  private repositories: FakeDcRepository[] = [];
  private readonly branches = new Map<number, FakeDcBranch[]>();
  private readonly hooks = new Map<number, FakeDcHook[]>();
  private readonly tags = new Map<number, FakeDcTag[]>();
  private readonly commitInfo = new Map<string, FakeDcCommitInfo>();
  private readonly compares = new Map<string, { path: string; srcPath?: string; type: string }[]>();
  private readonly failures: Failure[] = [];
  private inFlight = 0;
  private nextHookId = 1;

  constructor(options: FakeBitbucketDatacenterOptions = {}) {
    super();
    this.options = options;
    this.contextPath = (options.contextPath ?? '').replace(/\/+$/, '');
    this.maxLimit = options.maxLimit ?? 1000;
  }

  /** The web address a user enters as serverUrl (with the context path). */
  get serverUrl(): string {
    return `${this.url}${this.contextPath}`;
  }

  resetStats(): void {
    this.requests.length = 0;
    this.maxConcurrent = 0;
  }

  // ---- seeding -------------------------------------------------------------------------------

  /** An HTTP access token; REPO_READ may read, REPO_ADMIN may also manage webhooks. */
  addToken(token: string, permission: FakeDcPermission = 'REPO_ADMIN'): void {
    this.tokens.set(token, permission);
  }

  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  /** `n` generated repositories (PRJ/repo-00001, ...) or an explicit list; ids start at 100001. */
  setRepositories(repos: number | readonly (Partial<FakeDcRepository> & { slug: string })[]): FakeDcRepository[] {
    const list: readonly (Partial<FakeDcRepository> & { slug: string })[] =
      typeof repos === 'number' ? Array.from({ length: repos }, (_, i) => ({ slug: `repo-${String(i + 1).padStart(5, '0')}` })) : repos;
    this.repositories = list.map((r, i) => ({
      id: r.id ?? 100_001 + i,
      project: r.project ?? 'PRJ',
      slug: r.slug,
      public: r.public ?? false,
      defaultBranch: r.defaultBranch ?? 'main',
    }));
    this.branches.clear();
    this.hooks.clear();
    return this.repositories;
  }

  setTags(fullName: string, tags: readonly FakeDcTag[]): void {
    const repo = this.find(fullName);
    if (!repo) throw new Error(`FakeBitbucketDatacenter: no repository ${fullName}`);
    this.tags.set(repo.id, [...tags]);
  }

  /** The message and author GET …/commits/{id} shows for a commit. */
  setCommit(sha: string, info: FakeDcCommitInfo): void {
    this.commitInfo.set(sha, info);
  }

  /** `n` generated branches (branch-00001, ...) or an explicit list. */
  setBranches(fullName: string, branches: number | readonly (Partial<FakeDcBranch> & { name: string })[]): FakeDcBranch[] {
    const repo = this.find(fullName);
    if (!repo) throw new Error(`FakeBitbucketDatacenter: no repository ${fullName}`);
    const list: readonly (Partial<FakeDcBranch> & { name: string })[] =
      typeof branches === 'number'
        ? Array.from({ length: branches }, (_, i) => ({ name: `branch-${String(i + 1).padStart(5, '0')}` }))
        : branches;
    const seeded = list.map((b) => ({ name: b.name, commitSha: b.commitSha ?? sha(`${fullName}:${b.name}`) }));
    this.branches.set(repo.id, seeded);
    return seeded;
  }

  /** What GET compare/changes?from=head&to=base answers (MOVE entries carry srcPath). */
  setCompare(fullName: string, base: string, head: string, changes: readonly { path: string; srcPath?: string; type?: string }[]): void {
    const repo = this.find(fullName);
    if (!repo) throw new Error(`FakeBitbucketDatacenter: no repository ${fullName}`);
    this.compares.set(
      `${repo.id} ${head} ${base}`,
      changes.map((c) => ({ type: c.type ?? (c.srcPath ? 'MOVE' : 'MODIFY'), ...c })),
    );
  }

  /** The hooks on a repository, secrets included (the real API never returns them). */
  hooksOf(fullName: string): readonly FakeDcHook[] {
    const repo = this.find(fullName);
    return repo ? (this.hooks.get(repo.id) ?? []) : [];
  }

  /** A hook created behind forgelink's back (by hand in the repository settings). */
  addHook(fullName: string, hook: Partial<Omit<FakeDcHook, 'id'>> & { url: string }): FakeDcHook {
    const repo = this.find(fullName);
    if (!repo) throw new Error(`FakeBitbucketDatacenter: no repository ${fullName}`);
    const created: FakeDcHook = {
      id: this.nextHookId++,
      name: hook.name ?? 'by hand',
      url: hook.url,
      active: hook.active ?? true,
      events: hook.events ?? ['repo:refs_changed'],
      secret: hook.secret,
    };
    this.hooks.set(repo.id, [...(this.hooks.get(repo.id) ?? []), created]);
    return created;
  }

  /** The next `times` API requests (whose path contains `path` and whose method is `method`, when given) answer `status`. */
  failNext(
    status: number,
    times = 1,
    headers: Record<string, string> = {},
    options: { body?: string; path?: string; method?: string } = {},
  ): void {
    this.failures.push({ status, remaining: times, headers, ...options });
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const prefix = `${this.contextPath}/rest/api/1.0`;
    const api = url.pathname.startsWith(`${prefix}/`);
    const path = api ? url.pathname.slice(prefix.length) : url.pathname;
    const method = req.method ?? 'GET';
    this.inFlight++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.inFlight);
    let answer: Answer;
    try {
      const raw = await readBody(req);
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      answer = api
        ? (this.injectedFailure(method, path) ?? this.route(method, path, url, req, raw))
        : // Outside the context path the real server answers its HTML 404 page.
          { status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body>Not Found</body></html>' };
    } catch (error) {
      answer = { status: 500, body: errors(error instanceof Error ? error.message : String(error), 'java.lang.RuntimeException') };
    }
    this.inFlight--;
    const authorization = header(req, 'authorization');
    this.requests.push({
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      status: answer.status,
      ...(authorization ? { authorization } : {}),
    });
    const headers = { ...(answer.headers ?? {}) };
    if (answer.body === undefined) {
      res.writeHead(answer.status, headers);
      res.end();
    } else if (typeof answer.body === 'string') {
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...headers });
      res.end(answer.body);
    } else {
      res.writeHead(answer.status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
      res.end(JSON.stringify(answer.body));
    }
  }

  private injectedFailure(method: string, path: string): Answer | undefined {
    const failure = this.failures.find(
      (f) => f.remaining > 0 && (f.path === undefined || path.includes(f.path)) && (f.method === undefined || f.method === method),
    );
    if (!failure) return undefined;
    failure.remaining--;
    if (failure.remaining === 0) this.failures.splice(this.failures.indexOf(failure), 1);
    if (failure.body !== undefined)
      return { status: failure.status, headers: { 'content-type': 'application/json', ...failure.headers }, body: failure.body };
    return { status: failure.status, headers: failure.headers, body: errors(`injected ${failure.status}`, 'com.example.Injected') };
  }

  private route(method: string, path: string, url: URL, req: IncomingMessage, raw: string): Answer {
    const permission = this.authenticate(req);
    if (permission === undefined) {
      return {
        status: 401,
        headers: { 'www-authenticate': 'Bearer realm="Bitbucket"' },
        body: errors(
          'Authentication failed. Please check your credentials and try again.',
          'com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException',
        ),
      };
    }
    if (method === 'GET' && path === '/repos') {
      // The token reads every repository; REPO_ADMIN narrows to those it administers.
      const wanted = url.searchParams.get('permission');
      const visible = wanted === 'REPO_ADMIN' && permission !== 'REPO_ADMIN' ? [] : this.repositories;
      return this.page(url, visible, (r) => this.repositoryJson(r));
    }
    const match = /^\/projects\/([^/]+)\/repos\/([^/]+)(\/.*)?$/.exec(path);
    if (!match) return { status: 404, body: errors(`No resource at ${path}`, 'com.sun.jersey.api.NotFoundException') };
    const key = decodeURIComponent(match[1] ?? '');
    const slug = decodeURIComponent(match[2] ?? '');
    const rest = match[3] ?? '';
    if (!this.repositories.some((r) => r.project.toLowerCase() === key.toLowerCase())) {
      return { status: 404, body: errors(`Project ${key} does not exist.`, 'com.atlassian.bitbucket.project.NoSuchProjectException') };
    }
    const repo = this.find(`${key}/${slug}`);
    if (!repo) {
      return {
        status: 404,
        body: errors(`Repository ${key}/${slug} does not exist.`, 'com.atlassian.bitbucket.repository.NoSuchRepositoryException'),
      };
    }
    // POST /rest/api/1.0/projects/{key}/repos/{slug}/commits/{commitId}/builds (Bitbucket 7.4+; REPO_READ suffices).
    const build = /^\/commits\/([^/]+)\/builds$/.exec(rest);
    if (method === 'POST' && build?.[1]) {
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      return this.statuses.handle(`${repo.project}/${repo.slug}`, decodeURIComponent(build[1]), body, {
        forbidden: () => ({
          status: 403,
          body: errors('You are not permitted to access this resource', 'com.atlassian.bitbucket.AuthorisationException'),
        }),
        unknownCommit: () => ({
          status: 404,
          body: errors(
            `Commit '${build[1] ?? ''}' does not exist in repository '${repo.slug}'.`,
            'com.atlassian.bitbucket.commit.NoSuchCommitException',
          ),
        }),
        invalid: (problems) => ({
          status: 400,
          body: errors(problems.join('; '), 'com.atlassian.bitbucket.validation.ArgumentValidationException'),
        }),
        created: () => ({ status: 204 }),
        nameField: 'key',
      });
    }
    if (method === 'GET' && rest === '') return { status: 200, body: this.repositoryJson(repo) };
    if (method === 'GET' && (rest === '/default-branch' || rest === '/branches/default')) {
      if (rest === '/default-branch' && this.options.defaultBranchEndpoint === false)
        return { status: 404, body: errors(`No resource at ${path}`, 'com.sun.jersey.api.NotFoundException') };
      const branch = this.branchesOf(repo).find((b) => b.name === repo.defaultBranch);
      if (!branch) {
        return rest === '/branches/default'
          ? { status: 204 }
          : {
              status: 404,
              body: errors(
                `Repository ${repo.project}/${repo.slug} has no default branch.`,
                'com.atlassian.bitbucket.repository.NoDefaultBranchException',
              ),
            };
      }
      return { status: 200, body: this.branchJson(repo, branch) };
    }
    if (method === 'GET' && rest === '/branches') {
      const filter = (url.searchParams.get('filterText') ?? '').toLowerCase();
      let list = this.branchesOf(repo).filter((b) => b.name.toLowerCase().includes(filter));
      if (url.searchParams.get('orderBy') === 'ALPHABETICAL')
        list = [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return this.page(url, list, (b) => this.branchJson(repo, b));
    }
    if (method === 'GET' && rest === '/tags') {
      const filter = (url.searchParams.get('filterText') ?? '').toLowerCase();
      let list = (this.tags.get(repo.id) ?? []).filter((t) => t.name.toLowerCase().includes(filter));
      if (url.searchParams.get('orderBy') === 'ALPHABETICAL')
        list = [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return this.page(url, list, (t) => ({
        id: `refs/tags/${t.name}`,
        displayId: t.name,
        type: 'TAG',
        latestCommit: t.commitSha,
        latestChangeset: t.commitSha,
        hash: t.annotated ? sha(`tag object ${repo.id} ${t.name}`) : null,
      }));
    }
    const commitMatch = /^\/commits\/([^/]+)$/.exec(rest);
    if (method === 'GET' && commitMatch?.[1]) {
      const id = decodeURIComponent(commitMatch[1]);
      const known = [...this.branchesOf(repo).map((b) => b.commitSha), ...(this.tags.get(repo.id) ?? []).map((t) => t.commitSha)];
      if (!known.includes(id))
        return {
          status: 404,
          body: errors(
            `Commit '${id}' does not exist in repository '${repo.slug}'.`,
            'com.atlassian.bitbucket.commit.NoSuchCommitException',
          ),
        };
      const info = this.commitInfo.get(id) ?? { message: 'commit', author: 'Fake' };
      const person = { name: info.author.toLowerCase().replace(/\s+/g, '.'), emailAddress: 'fake@example.com', displayName: info.author };
      return {
        status: 200,
        body: {
          id,
          displayId: id.slice(0, 11),
          author: person,
          authorTimestamp: 1_764_496_800_000,
          committer: person,
          committerTimestamp: 1_764_496_800_000,
          message: info.message,
          parents: [],
        },
      };
    }
    if (method === 'GET' && rest === '/compare/changes') {
      const from = url.searchParams.get('from') ?? '';
      const to = url.searchParams.get('to') ?? '';
      const changes = this.compares.get(`${repo.id} ${from} ${to}`);
      if (!changes)
        return {
          status: 404,
          body: errors(
            `Commit '${from}' does not exist in repository '${repo.slug}'.`,
            'com.atlassian.bitbucket.commit.NoSuchCommitException',
          ),
        };
      return this.page(url, changes, (c) => ({
        contentId: sha(c.path),
        path: pathJson(c.path),
        ...(c.srcPath ? { srcPath: pathJson(c.srcPath) } : {}),
        executable: false,
        percentUnchanged: -1,
        type: c.type,
        nodeType: 'FILE',
      }));
    }
    const hookMatch = /^\/webhooks(?:\/(\d+))?$/.exec(rest);
    if (hookMatch) {
      if (permission !== 'REPO_ADMIN') {
        return {
          status: 401,
          body: errors('You are not permitted to access this resource', 'com.atlassian.bitbucket.AuthorisationException'),
        };
      }
      return this.webhooks(method, repo, hookMatch[1] ? Number(hookMatch[1]) : undefined, url, raw);
    }
    return { status: 404, body: errors(`No resource at ${path}`, 'com.sun.jersey.api.NotFoundException') };
  }

  private webhooks(method: string, repo: FakeDcRepository, id: number | undefined, url: URL, raw: string): Answer {
    const list = this.hooks.get(repo.id) ?? [];
    if (id === undefined && method === 'GET') return this.page(url, list, hookJson);
    if (id === undefined && method === 'POST') {
      const body = parseHookBody(raw);
      if ('error' in body)
        return { status: 400, body: errors(body.error, 'com.atlassian.bitbucket.validation.ArgumentValidationException') };
      const hook: FakeDcHook = { id: this.nextHookId++, ...body.hook };
      this.hooks.set(repo.id, [...list, hook]);
      return { status: 201, body: hookJson(hook) };
    }
    const hook = list.find((h) => h.id === id);
    if (!hook)
      return { status: 404, body: errors(`Webhook ${id} does not exist.`, 'com.atlassian.bitbucket.webhook.NoSuchWebhookException') };
    if (method === 'GET') return { status: 200, body: hookJson(hook) };
    if (method === 'DELETE') {
      this.hooks.set(
        repo.id,
        list.filter((h) => h !== hook),
      );
      return { status: 204 };
    }
    if (method === 'PUT') {
      const body = parseHookBody(raw);
      if ('error' in body)
        return { status: 400, body: errors(body.error, 'com.atlassian.bitbucket.validation.ArgumentValidationException') };
      Object.assign(hook, body.hook);
      return { status: 200, body: hookJson(hook) };
    }
    return { status: 405, body: errors('Method not allowed', 'javax.ws.rs.NotAllowedException') };
  }

  /** Bitbucket's paging: `limit` defaults to 25 and is capped at maxLimit; `start` is an offset into the list. */
  private page<T>(url: URL, items: readonly T[], toJson: (item: T) => unknown): Answer {
    const asked = Number.parseInt(url.searchParams.get('limit') ?? '', 10);
    const limit = asked > 0 ? Math.min(asked, this.maxLimit) : DEFAULT_LIMIT;
    const start = Math.max(0, Number.parseInt(url.searchParams.get('start') ?? '', 10) || 0);
    const values = items.slice(start, start + limit).map(toJson);
    const isLastPage = start + values.length >= items.length;
    return {
      status: 200,
      body: { size: values.length, limit, isLastPage, start, values, ...(isLastPage ? {} : { nextPageStart: start + values.length }) },
    };
  }

  private authenticate(req: IncomingMessage): FakeDcPermission | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization') ?? '');
    return match?.[1] ? this.tokens.get(match[1]) : undefined;
  }

  private find(fullName: string): FakeDcRepository | undefined {
    const [key, slug] = fullName.split('/');
    return this.repositories.find((r) => r.project.toLowerCase() === key?.toLowerCase() && r.slug.toLowerCase() === slug?.toLowerCase());
  }

  private branchesOf(repo: FakeDcRepository): FakeDcBranch[] {
    return (
      this.branches.get(repo.id) ??
      (repo.defaultBranch ? [{ name: repo.defaultBranch, commitSha: sha(`${repo.project}/${repo.slug}:${repo.defaultBranch}`) }] : [])
    );
  }

  private repositoryJson(r: FakeDcRepository): Record<string, unknown> {
    const personal = r.project.startsWith('~');
    const projectPath = personal ? `users/${r.project.slice(1).toLowerCase()}` : `projects/${r.project}`;
    return {
      slug: r.slug,
      id: r.id,
      name: r.slug,
      hierarchyId: sha(String(r.id)).slice(0, 20),
      scmId: 'git',
      state: 'AVAILABLE',
      statusMessage: 'Available',
      forkable: true,
      project: {
        key: r.project,
        id: personal ? 9000 + r.id : 565,
        name: personal ? r.project.slice(1) : r.project.toLowerCase(),
        type: personal ? 'PERSONAL' : 'NORMAL',
        ...(personal ? {} : { public: false }),
        links: { self: [{ href: `${this.serverUrl}/${projectPath}` }] },
      },
      public: r.public,
      archived: false,
      links: {
        clone: [
          { href: `ssh://git@127.0.0.1:7999/${r.project.toLowerCase()}/${r.slug}.git`, name: 'ssh' },
          { href: `${this.serverUrl.replace('://', '://admin@')}/scm/${r.project.toLowerCase()}/${r.slug}.git`, name: 'http' },
        ],
        self: [{ href: `${this.serverUrl}/${projectPath}/repos/${r.slug}/browse` }],
      },
    };
  }

  private branchJson(repo: FakeDcRepository, b: FakeDcBranch): Record<string, unknown> {
    return {
      id: `refs/heads/${b.name}`,
      displayId: b.name,
      type: 'BRANCH',
      latestCommit: b.commitSha,
      latestChangeset: b.commitSha,
      isDefault: b.name === repo.defaultBranch,
    };
  }
}

function hookJson(h: FakeDcHook): Record<string, unknown> {
  // The real server never returns the secret.
  return {
    id: h.id,
    name: h.name,
    createdDate: 1_700_000_000_000,
    updatedDate: 1_700_000_000_000,
    events: h.events,
    configuration: {},
    url: h.url,
    active: h.active,
    scopeType: 'repository',
    sslVerificationRequired: true,
  };
}

function parseHookBody(raw: string): { hook: Omit<FakeDcHook, 'id'> } | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { error: 'The request body is not JSON' };
  }
  if (typeof body !== 'object' || body === null) return { error: 'The request body is not an object' };
  const b = body as Record<string, unknown>;
  if (typeof b.name !== 'string' || b.name.length === 0) return { error: 'A webhook needs a name' };
  if (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url)) return { error: 'A webhook needs an http(s) URL' };
  if (!Array.isArray(b.events) || b.events.length === 0 || !b.events.every((e) => typeof e === 'string'))
    return { error: 'A webhook needs at least one event' };
  const configuration = (typeof b.configuration === 'object' && b.configuration !== null ? b.configuration : {}) as Record<string, unknown>;
  return {
    hook: {
      name: b.name,
      url: b.url,
      active: b.active !== false,
      events: b.events as string[],
      secret: typeof configuration.secret === 'string' ? configuration.secret : undefined,
    },
  };
}

function pathJson(path: string): Record<string, unknown> {
  const components = path.split('/');
  const name = components.at(-1) ?? path;
  const dot = name.lastIndexOf('.');
  return {
    components,
    parent: components.slice(0, -1).join('/'),
    name,
    ...(dot > 0 ? { extension: name.slice(dot + 1) } : {}),
    toString: path,
  };
}

function errors(message: string, exceptionName: string): Record<string, unknown> {
  return { errors: [{ context: null, message, exceptionName }] };
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

function sha(input: string): string {
  return createHash('sha1').update(input).digest('hex');
}
