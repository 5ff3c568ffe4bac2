import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type RecordedAnswer, type RecordedRequest } from '../support/openapi.js';
import { consentPageHtml } from './consent-page.js';
import { LocalFakeServer } from './local-server.js';
import { FakeCommitStatuses } from './commit-statuses.js';

/** A request the fake received; `path` is relative to /api/v3 and still URL-encoded, as the spec check needs. */
export interface GitHubLoggedRequest extends RecordedRequest {
  readonly status: number;
  /** What the Authorization header carried. */
  readonly auth: 'jwt' | 'token' | 'none';
}

export interface FakeGitHubRepository {
  id: number;
  node_id: string;
  name: string;
  full_name: string;
  private: boolean;
  owner: { login: string; id: number; type: 'Organization' | 'User' };
  html_url: string;
  clone_url: string;
  ssh_url: string;
  url: string;
  default_branch: string;
  visibility: 'private' | 'public';
  fork: boolean;
  archived: boolean;
}

export interface FakeBranch {
  readonly name: string;
  readonly commitSha: string;
  readonly protected: boolean;
}

/** A tag (manual deploys): an annotated one has its own tag object, which the API never hands out as the commit. */
export interface FakeTag {
  readonly name: string;
  readonly commitSha: string;
  readonly annotated?: boolean;
}

/** What the commit endpoints tell about a commit (defaults: "commit" by "Fake"). */
export interface FakeCommitInfo {
  readonly message: string;
  readonly author: string;
}

export interface FakeChangedFile {
  readonly filename: string;
  readonly previous_filename?: string;
  readonly status?: 'added' | 'modified' | 'removed' | 'renamed';
}

export interface FakeGitHubApp {
  readonly appId: number;
  readonly slug: string;
  /** PKCS#1 PEM, as GitHub hands it out. */
  readonly privateKey: string;
  readonly webhookSecret: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly htmlUrl: string;
}

export interface FakeGitHubOptions {
  /** Lifetime of installation tokens (GitHub: 3600). */
  readonly tokenTtlSeconds?: number;
  /** Delay before each answer, so concurrency becomes observable. */
  readonly latencyMs?: number;
  /** GitHub caps per_page at 100; GHES admins can lower it. */
  readonly perPageCap?: number;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface ForcedAnswer {
  readonly status: number;
  remaining: number;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly path?: string;
}

interface Installation {
  readonly appId: number;
  readonly account: string;
  repositories: FakeGitHubRepository[];
  /** A suspended installation gets no tokens (403 "This installation has been suspended"). */
  suspended?: boolean;
  /** Repositories (full names, any case) whose contents the App may not read: 403 "Resource not accessible by integration". */
  forbidden?: Set<string>;
}

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

const JWT_MAX_LIFETIME_SECONDS = 600;
const CLOCK_SKEW_SECONDS = 60;
const RATE_LIMIT = 5_000;
const COMPARE_FILE_CAP = 300;

/**
 * A GitHub (Enterprise Server style: API under /api/v3) that checks what the real one checks: RS256 app JWTs
 * (signature, iss, exp ≤ 10 min, iat not in the future), expiring installation tokens scoped to their
 * installation, page caps with Link headers, ETag/304 (uncharged), rate-limit and 5xx answers on demand,
 * and single-use manifest codes.
 */
export class FakeGitHub extends LocalFakeServer {
  /** Every request, in arrival order. */
  readonly requests: GitHubLoggedRequest[] = [];
  /** API answers with their JSON bodies, for answersNotMatchingSpec(). */
  readonly answers: RecordedAnswer[] = [];
  /** POST /repos/{o}/{r}/statuses/{sha}: what was posted, commits, missing permission, forced failures. */
  readonly statuses = new FakeCommitStatuses('github');
  /** POST /app/installations/{id}/access_tokens that issued a token. */
  tokenRequests = 0;
  /** Requests GitHub would charge to the rate limit (everything but 304s). */
  requestsCharged = 0;
  /** Most requests seen in flight at once. */
  maxInFlight = 0;
  tokenTtlSeconds: number;
  latencyMs: number;
  perPageCap: number;

  private inFlight = 0;
  private nextRepositoryId = 100_000;
  private readonly apps = new Map<number, FakeGitHubApp & { publicKey: KeyObject }>();
  private readonly installations = new Map<number, Installation>();
  private readonly tokens = new Map<string, { installationId: number; expiresAt: number }>();
  private readonly branches = new Map<string, FakeBranch[]>();
  private readonly tags = new Map<string, FakeTag[]>();
  private readonly commitInfo = new Map<string, FakeCommitInfo>();
  private readonly compares = new Map<string, FakeChangedFile[]>();
  private readonly manifestCodes = new Map<string, { appId: number; used: boolean }>();
  private readonly forced: ForcedAnswer[] = [];

  constructor(options: FakeGitHubOptions = {}) {
    super();
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 3_600;
    this.latencyMs = options.latencyMs ?? 0;
    this.perPageCap = options.perPageCap ?? 100;
  }

  /** The githubUrl to configure (http://127.0.0.1:PORT); the API lives under /api/v3. */

  get apiUrl(): string {
    return `${this.baseUrl}/api/v3`;
  }

  /** What an installation made on the install page sees: n generated repositories or these (see setRepositories). */
  repositoriesOnInstall: number | readonly (Partial<FakeGitHubRepository> & { name: string })[] = 3;
  /** Apps created through the manifest pages, with the manifest GitHub received and the installation made for them. */
  readonly createdApps: { app: FakeGitHubApp; manifest: Record<string, unknown>; installationId?: number }[] = [];
  private nextAppId = 900_001;
  private nextInstallationId = 7_000_001;

  addApp(input: { appId: number; slug?: string }): FakeGitHubApp {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const slug = input.slug ?? `forgelink-test-${input.appId}`;
    const app = {
      appId: input.appId,
      slug,
      privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      webhookSecret: randomBytes(20).toString('hex'),
      clientId: `Iv1.${randomBytes(8).toString('hex')}`,
      clientSecret: randomBytes(20).toString('hex'),
      htmlUrl: `${this.baseUrl}/apps/${slug}`,
    };
    this.apps.set(input.appId, { ...app, publicKey: createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })) });
    return app;
  }

  addInstallation(appId: number, installationId: number, account = 'acme'): void {
    if (!this.apps.has(appId)) throw new Error(`FakeGitHub: no app ${appId}`);
    this.installations.set(installationId, { appId, account, repositories: [] });
  }

  /** n generated repositories (account/repo-00001 …) or the given ones; returns what the installation now sees. */
  setRepositories(
    installationId: number,
    repositories: number | readonly (Partial<FakeGitHubRepository> & { name: string })[],
  ): FakeGitHubRepository[] {
    const installation = this.installations.get(installationId);
    if (!installation) throw new Error(`FakeGitHub: no installation ${installationId}`);
    const inputs: readonly (Partial<FakeGitHubRepository> & { name: string })[] =
      typeof repositories === 'number'
        ? Array.from({ length: repositories }, (_, i) => ({ name: `repo-${String(i + 1).padStart(5, '0')}` }))
        : repositories;
    installation.repositories = inputs.map((input) => this.repository(installation.account, input));
    return installation.repositories;
  }

  /** Suspends the installation (an org owner's "Suspend" on GitHub): token requests answer 403 with GitHub's message. */
  suspendInstallation(installationId: number, suspended = true): void {
    const installation = this.installations.get(installationId);
    if (!installation) throw new Error(`FakeGitHub: no installation ${installationId}`);
    installation.suspended = suspended;
    // Tokens already issued stop working too.
    for (const [token, entry] of this.tokens) if (entry.installationId === installationId) this.tokens.delete(token);
  }

  /** The App lacks a permission on this one repository: its branches and compare answer 403. */
  forbidRepository(installationId: number, fullName: string): void {
    const installation = this.installations.get(installationId);
    if (!installation) throw new Error(`FakeGitHub: no installation ${installationId}`);
    (installation.forbidden ??= new Set()).add(fullName.toLowerCase());
  }

  /**
   * Renames or transfers a repository (new owner/name): its id, branches and compares stay. Answers for the old
   * name are 404 here (GitHub would redirect; forgelink must not depend on that).
   */
  renameRepository(installationId: number, fullName: string, to: string): void {
    const installation = this.installations.get(installationId);
    const repository = installation?.repositories.find((r) => r.full_name.toLowerCase() === fullName.toLowerCase());
    const [owner, name] = to.split('/');
    if (!installation || !repository || !owner || !name) throw new Error(`FakeGitHub: cannot rename ${fullName} to ${to}`);
    const renamed = this.repository(owner, { ...repository, name, owner: { ...repository.owner, login: owner } });
    installation.repositories = installation.repositories.map((r) => (r === repository ? renamed : r));
    const branches = this.branches.get(repository.full_name.toLowerCase());
    if (branches) this.branches.set(to.toLowerCase(), branches);
  }

  /** n generated branches (main, branch-0001 …) or the given ones. */
  setBranches(fullName: string, branches: number | readonly (Partial<FakeBranch> & { name: string })[]): FakeBranch[] {
    const inputs: readonly (Partial<FakeBranch> & { name: string })[] =
      typeof branches === 'number'
        ? Array.from({ length: branches }, (_, i) => ({ name: i === 0 ? 'main' : `branch-${String(i).padStart(4, '0')}` }))
        : branches;
    const list = inputs.map((b) => ({
      name: b.name,
      commitSha: b.commitSha ?? sha1(`${fullName}@${b.name}`),
      protected: b.protected ?? false,
    }));
    this.branches.set(fullName.toLowerCase(), list);
    return list;
  }

  /** The repository's tags (GET /repos/{o}/{r}/commits/tags/{t} resolves them to their commit). */
  setTags(fullName: string, tags: readonly FakeTag[]): void {
    this.tags.set(fullName.toLowerCase(), [...tags]);
  }

  /** The message and author the API shows for a commit. */
  setCommit(sha: string, info: FakeCommitInfo): void {
    this.commitInfo.set(sha, info);
  }

  setCompare(fullName: string, base: string, head: string, files: readonly (string | FakeChangedFile)[]): void {
    this.compares.set(
      `${fullName.toLowerCase()} ${base}...${head}`,
      files.map((f) => (typeof f === 'string' ? { filename: f, status: 'modified' } : f)),
    );
  }

  /** A one-time code for POST /app-manifests/{code}/conversions that yields the app's credentials. */
  addManifestCode(code: string, appId: number): void {
    if (!this.apps.has(appId)) throw new Error(`FakeGitHub: no app ${appId}`);
    this.manifestCodes.set(code, { appId, used: false });
  }

  /**
   * The next `times` requests (whose path starts with `options.path`, if given) get this answer instead:
   * 5xx, 429, 403 rate limits (defaults to a rate-limit message), or a 200 with `rawBody` for malformed JSON.
   */
  failNext(
    status: number,
    times = 1,
    headers: Record<string, string> = {},
    options: { path?: string; body?: unknown; rawBody?: string } = {},
  ): void {
    this.forced.push({ status, remaining: times, headers, ...options });
  }

  /** Expires every issued installation token now (as if an hour had passed). */
  expireTokens(): void {
    for (const token of this.tokens.values()) token.expiresAt = Date.now() - 1_000;
  }

  resetCounters(): void {
    this.requests.length = 0;
    this.answers.length = 0;
    this.tokenRequests = 0;
    this.requestsCharged = 0;
    this.maxInFlight = 0;
  }

  private repository(account: string, input: Partial<FakeGitHubRepository> & { name: string }): FakeGitHubRepository {
    const id = input.id ?? this.nextRepositoryId++;
    const owner = input.owner?.login ?? account;
    const fullName = `${owner}/${input.name}`;
    const isPrivate = input.private ?? true;
    return {
      ...input,
      id,
      node_id: Buffer.from(`010:Repository${id}`).toString('base64'),
      name: input.name,
      full_name: fullName,
      private: isPrivate,
      owner: { login: owner, id: 9_000 + owner.length, type: 'Organization' },
      html_url: `${this.baseUrl}/${fullName}`,
      clone_url: `${this.baseUrl}/${fullName}.git`,
      ssh_url: `git@127.0.0.1:${fullName}.git`,
      url: `${this.apiUrl}/repos/${fullName}`,
      default_branch: input.default_branch ?? 'main',
      visibility: isPrivate ? 'private' : 'public',
      fork: false,
      archived: input.archived ?? false,
    };
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    const body = await readBody(req);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));

    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    const authorization = req.headers.authorization ?? '';
    const auth = /^bearer\s+[\w-]+\.[\w-]+\.[\w-]+$/i.test(authorization) ? 'jwt' : authorization ? 'token' : 'none';
    const apiPath = url.pathname.startsWith('/api/v3/') ? url.pathname.slice('/api/v3'.length) : undefined;
    if (apiPath === undefined) {
      const page = this.webPage(method, url, body);
      if (page) {
        res.writeHead(page.status, page.headers).end(page.body);
        return;
      }
    }

    let answer: Answer;
    if (apiPath === undefined) answer = { status: 404, body: { message: 'Not Found' } };
    else {
      answer = this.forcedAnswer(apiPath) ?? this.route(method, apiPath, url.searchParams, authorization, body);
      const etag = answer.status === 200 && answer.body !== undefined ? `W/"${sha1(JSON.stringify(answer.body))}"` : undefined;
      if (etag && req.headers['if-none-match'] === etag) answer = { status: 304, headers: { etag } };
      else if (etag) answer = { ...answer, headers: { etag, ...answer.headers } };
    }
    if (answer.status !== 304) this.requestsCharged++;
    if (apiPath !== undefined) {
      const query = [...new Set(url.searchParams.keys())];
      this.requests.push({ method, path: apiPath, query, status: answer.status, auth });
      if (answer.rawBody === undefined) this.answers.push({ method, path: apiPath, query, status: answer.status, body: answer.body });
    }

    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(RATE_LIMIT),
      'x-ratelimit-remaining': String(Math.max(0, RATE_LIMIT - this.requestsCharged)),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3_600),
      'x-github-request-id': randomBytes(6).toString('hex'),
      ...answer.headers,
    };
    if (answer.status === 304) {
      res.writeHead(304, headers).end();
      return;
    }
    const text = answer.rawBody ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(text);
  }

  /**
   * GitHub's pages in a browser: the manifest form's target (POST /settings/apps/new, or under
   * /organizations/{org}/), its "Create GitHub App" confirmation that redirects to the manifest's redirect_url with
   * a one-time code, and an app's install page that redirects to its setup_url with the new installation id.
   */
  private webPage(method: string, url: URL, body: string): { status: number; headers: Record<string, string>; body?: string } | undefined {
    const html = (text: string) => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: text });
    const redirect = (to: URL) => ({ status: 302, headers: { location: to.toString() } });
    const bad = (message: string) => ({ status: 422, headers: { 'content-type': 'text/plain' }, body: message });
    const form = Object.fromEntries(new URLSearchParams(body));
    let m: RegExpExecArray | null;
    if (method === 'POST' && (m = /^(?:\/organizations\/([^/]+))?\/settings\/apps\/new$/.exec(url.pathname))) {
      let manifest: Record<string, unknown>;
      try {
        manifest = JSON.parse(form.manifest ?? '') as Record<string, unknown>;
      } catch {
        return bad('Invalid GitHub App configuration: the manifest is not JSON');
      }
      if (typeof manifest.name !== 'string' || typeof manifest.redirect_url !== 'string' || !isObject(manifest.hook_attributes))
        return bad('Invalid GitHub App configuration');
      const owner = m[1] ? decodeURIComponent(m[1]) : 'acme';
      return html(
        consentPageHtml({
          title: `Create GitHub App for ${owner}`,
          text: `GitHub App name: ${manifest.name}. Webhook URL: ${String(manifest.hook_attributes.url)}.`,
          action: '/settings/apps/new/confirm',
          fields: { manifest: form.manifest ?? '', state: url.searchParams.get('state') ?? '' },
          approve: `Create GitHub App for ${owner}`,
        }),
      );
    }
    if (method === 'POST' && url.pathname === '/settings/apps/new/confirm') {
      const manifest = JSON.parse(form.manifest ?? '{}') as Record<string, unknown>;
      const slug = String(manifest.name)
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '');
      const app = this.addApp({ appId: this.nextAppId++, slug });
      this.createdApps.push({ app, manifest });
      const code = `manifest-${randomBytes(10).toString('hex')}`;
      this.addManifestCode(code, app.appId);
      const to = new URL(String(manifest.redirect_url));
      to.searchParams.set('code', code);
      if (form.state) to.searchParams.set('state', form.state);
      return redirect(to);
    }
    if ((m = /^\/apps\/([^/]+)\/installations\/new$/.exec(url.pathname))) {
      const created = this.createdApps.find((c) => c.app.slug === decodeURIComponent(m?.[1] ?? ''));
      if (!created) return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
      if (method === 'GET') {
        return html(
          consentPageHtml({
            title: `Install ${created.app.slug}`,
            text: 'Install on your organization acme, for all repositories.',
            action: url.pathname,
            fields: { state: url.searchParams.get('state') ?? '' },
            approve: 'Install',
          }),
        );
      }
      if (method !== 'POST') return undefined;
      const installationId = this.nextInstallationId++;
      this.addInstallation(created.app.appId, installationId, 'acme');
      this.setRepositories(installationId, this.repositoriesOnInstall);
      created.installationId = installationId;
      const to = new URL(String(created.manifest.setup_url));
      to.searchParams.set('installation_id', String(installationId));
      to.searchParams.set('setup_action', 'install');
      if (form.state) to.searchParams.set('state', form.state);
      return redirect(to);
    }
    return undefined;
  }

  private forcedAnswer(path: string): Answer | undefined {
    const forced = this.forced.find((f) => f.remaining > 0 && (!f.path || path.startsWith(f.path)));
    if (!forced) return undefined;
    forced.remaining--;
    if (forced.remaining === 0) this.forced.splice(this.forced.indexOf(forced), 1);
    const message =
      forced.status === 429 || (forced.status === 403 && !('x-ratelimit-remaining' in forced.headers))
        ? 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'
        : forced.status === 403
          ? 'API rate limit exceeded for installation.'
          : 'Server Error';
    return {
      status: forced.status,
      headers: forced.headers,
      body: forced.body ?? { message },
      ...(forced.rawBody !== undefined ? { rawBody: forced.rawBody } : {}),
    };
  }

  private route(method: string, path: string, query: URLSearchParams, authorization: string, body: string): Answer {
    let m: RegExpExecArray | null;
    if (method === 'POST' && (m = /^\/app-manifests\/([^/]+)\/conversions$/.exec(path)))
      return this.convert(decodeURIComponent(m[1] ?? ''));

    if (path === '/app' || path.startsWith('/app/')) {
      const jwt = this.verifyJwt(authorization);
      if ('error' in jwt) return { status: 401, body: { message: jwt.error, documentation_url: 'https://docs.github.com/rest' } };
      if (method === 'GET' && path === '/app') {
        const app = this.apps.get(jwt.appId);
        return { status: 200, body: { id: jwt.appId, slug: app?.slug, name: app?.slug, html_url: app?.htmlUrl } };
      }
      if (method === 'POST' && (m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path)))
        return this.issueToken(jwt.appId, Number(m[1]), body);
      // https://docs.github.com/en/rest/apps/apps#get-an-installation-for-the-authenticated-app: another app's installation is a 404.
      if (method === 'GET' && (m = /^\/app\/installations\/(\d+)$/.exec(path))) {
        const id = Number(m[1]);
        const installation = this.installations.get(id);
        if (!installation || installation.appId !== jwt.appId)
          return {
            status: 404,
            body: {
              message: 'Not Found',
              documentation_url: 'https://docs.github.com/rest/apps/apps#get-an-installation-for-the-authenticated-app',
            },
          };
        return {
          status: 200,
          body: {
            id,
            app_id: installation.appId,
            account: { login: installation.account, id: 9_000 + installation.account.length, type: 'Organization' },
            target_type: 'Organization',
            repository_selection: 'all',
            permissions: { contents: 'read', metadata: 'read' },
            events: ['push'],
            created_at: '2026-01-01T00:00:00Z',
            updated_at: '2026-01-01T00:00:00Z',
            suspended_at: null,
          },
        };
      }
      return { status: 404, body: { message: 'Not Found' } };
    }

    const installationId = this.tokenInstallation(authorization);
    if (installationId === undefined)
      return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
    const installation = this.installations.get(installationId);
    if (!installation) return { status: 401, body: { message: 'Bad credentials' } };

    if (method === 'GET' && path === '/installation/repositories') {
      return this.paged(path, query, installation.repositories, (items, total) => ({
        total_count: total,
        repository_selection: 'all',
        repositories: items,
      }));
    }
    // Undocumented but real: where GitHub's 301 for a renamed or transferred repository points.
    if (method === 'GET' && (m = /^\/repositories\/(\d+)$/.exec(path))) {
      const byId = installation.repositories.find((r) => r.id === Number(m?.[1]));
      return byId ? { status: 200, body: byId } : { status: 404, body: { message: 'Not Found' } };
    }
    if (method === 'POST' && (m = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/]+)$/.exec(path))) {
      const fullName = `${decodeURIComponent(m[1] ?? '')}/${decodeURIComponent(m[2] ?? '')}`;
      const repository = installation.repositories.find((r) => r.full_name.toLowerCase() === fullName.toLowerCase());
      if (!repository) return { status: 404, body: { message: 'Not Found' } };
      return this.statuses.handle(repository.full_name, decodeURIComponent(m[3] ?? ''), safeJson(body), {
        // docs.github.com/rest/commits/statuses: an App without "Commit statuses: write".
        forbidden: () => ({
          status: 403,
          body: {
            message: 'Resource not accessible by integration',
            documentation_url: 'https://docs.github.com/rest/commits/statuses#create-a-commit-status',
            status: '403',
          },
        }),
        unknownCommit: () => ({
          status: 422,
          body: {
            message: `No commit found for SHA: ${decodeURIComponent(m?.[3] ?? '')}`,
            documentation_url: 'https://docs.github.com/rest/commits/statuses#create-a-commit-status',
          },
        }),
        invalid: (problems) => ({ status: 422, body: { message: 'Validation Failed', errors: problems } }),
        created: (status) => ({ status: 201, body: { id: this.statuses.posted.length, ...status, created_at: new Date().toISOString() } }),
      });
    }
    if (method !== 'GET' || !(m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path))) return { status: 404, body: { message: 'Not Found' } };
    const fullName = `${decodeURIComponent(m[1] ?? '')}/${decodeURIComponent(m[2] ?? '')}`;
    const rest = m[3] ?? '';
    const repository = installation.repositories.find((r) => r.full_name.toLowerCase() === fullName.toLowerCase());
    if (!repository) return { status: 404, body: { message: 'Not Found' } };
    if (rest !== '' && installation.forbidden?.has(repository.full_name.toLowerCase())) {
      return {
        status: 403,
        body: {
          message: 'Resource not accessible by integration',
          documentation_url: 'https://docs.github.com/rest/branches/branches#list-branches',
          status: '403',
        },
      };
    }
    const branches = this.branches.get(repository.full_name.toLowerCase()) ?? [
      { name: repository.default_branch, commitSha: sha1(repository.full_name), protected: false },
    ];

    if (rest === '') return { status: 200, body: repository };
    if (rest === '/branches')
      return this.paged(
        path,
        query,
        branches.map((b) => this.branchJson(repository, b, false)),
        (items) => items,
      );
    if ((m = /^\/branches\/(.+)$/.exec(rest))) {
      const name = decodeURIComponent(m[1] ?? '');
      const branch = branches.find((b) => b.name === name);
      return branch
        ? { status: 200, body: this.branchJson(repository, branch, true) }
        : { status: 404, body: { message: 'Branch not found' } };
    }
    // GET /repos/{o}/{r}/commits/{ref}: a sha, a branch name, heads/NAME or tags/NAME (docs.github.com/rest/commits/commits#get-a-commit).
    if ((m = /^\/commits\/(.+)$/.exec(rest))) {
      const ref = decodeURIComponent(m[1] ?? '');
      const tags = this.tags.get(repository.full_name.toLowerCase()) ?? [];
      const sha = ref.startsWith('tags/')
        ? tags.find((t) => t.name === ref.slice('tags/'.length))?.commitSha
        : (branches.find((b) => b.name === ref.replace(/^heads\//, ''))?.commitSha ??
          ([...branches.map((b) => b.commitSha), ...tags.map((t) => t.commitSha)].includes(ref) ? ref : undefined));
      if (!sha)
        return {
          status: 422,
          body: {
            message: `No commit found for SHA: ${ref}`,
            documentation_url: 'https://docs.github.com/rest/commits/commits#get-a-commit',
          },
        };
      return { status: 200, body: this.commitJson(repository, sha) };
    }
    if ((m = /^\/compare\/(.+)$/.exec(rest))) {
      const files = this.compares.get(`${repository.full_name.toLowerCase()} ${decodeURIComponent(m[1] ?? '')}`);
      if (!files) return { status: 404, body: { message: 'Not Found' } };
      return {
        status: 200,
        body: { status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1, commits: [], files: files.slice(0, COMPARE_FILE_CAP) },
      };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

  private paged(path: string, query: URLSearchParams, all: readonly unknown[], wrap: (items: unknown[], total: number) => unknown): Answer {
    const perPage = Math.min(this.perPageCap, Math.max(1, Number(query.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const link = (n: number): string => `<${this.apiUrl}${path}?per_page=${perPage}&page=${n}>`;
    const rels: string[] = [];
    if (page > 1) rels.push(`${link(page - 1)}; rel="prev"`);
    if (page < last) rels.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (page > 1) rels.push(`${link(1)}; rel="first"`);
    const items = all.slice((page - 1) * perPage, page * perPage);
    return { status: 200, body: wrap(items, all.length), headers: rels.length > 0 ? { link: rels.join(', ') } : {} };
  }

  /** A commit as GET /repos/{o}/{r}/commits/{ref} answers it (the `commit` schema of GitHub's description). */
  private commitJson(repository: FakeGitHubRepository, sha: string): unknown {
    const info = this.commitInfo.get(sha) ?? { message: 'commit', author: 'Fake' };
    const person = { name: info.author, email: 'fake@example.com', date: '2026-11-30T10:00:00Z' };
    const url = `${this.apiUrl}/repos/${repository.full_name}/commits/${sha}`;
    const tree = sha1(`tree ${sha}`);
    return {
      sha,
      node_id: Buffer.from(`04:Commit${repository.id}:${sha}`).toString('base64'),
      url,
      html_url: `${repository.html_url}/commit/${sha}`,
      comments_url: `${url}/comments`,
      commit: {
        url: `${this.apiUrl}/repos/${repository.full_name}/git/commits/${sha}`,
        message: info.message,
        author: person,
        committer: person,
        comment_count: 0,
        tree: { sha: tree, url: `${this.apiUrl}/repos/${repository.full_name}/git/trees/${tree}` },
      },
      // The author's email matches no GitHub account: GitHub answers null for author and committer.
      author: null,
      committer: null,
      parents: [],
    };
  }

  /** A branch in a listing (`short-branch`) or as GET …/branches/{b} answers it (`branch-with-protection`). */
  private branchJson(repository: FakeGitHubRepository, branch: FakeBranch, full: boolean): unknown {
    const commit = { sha: branch.commitSha, url: `${this.apiUrl}/repos/${repository.full_name}/commits/${branch.commitSha}` };
    const self = `${this.apiUrl}/repos/${repository.full_name}/branches/${encodeURIComponent(branch.name)}`;
    return full
      ? {
          name: branch.name,
          commit: this.commitJson(repository, branch.commitSha),
          _links: { self, html: `${repository.html_url}/tree/${branch.name}` },
          protected: branch.protected,
          protection: { enabled: branch.protected, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
          protection_url: `${self}/protection`,
        }
      : { name: branch.name, commit, protected: branch.protected };
  }

  private issueToken(appId: number, installationId: number, _body: string): Answer {
    const installation = this.installations.get(installationId);
    if (!installation || installation.appId !== appId) return { status: 404, body: { message: 'Not Found' } };
    if (installation.suspended)
      return {
        status: 403,
        body: {
          message: 'This installation has been suspended',
          documentation_url: 'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app',
          status: '403',
        },
      };
    this.tokenRequests++;
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    const expiresAt = Date.now() + this.tokenTtlSeconds * 1000;
    this.tokens.set(token, { installationId, expiresAt });
    return {
      status: 201,
      body: {
        token,
        expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: { contents: 'read', metadata: 'read', pull_requests: 'read' },
        repository_selection: 'all',
      },
    };
  }

  private tokenInstallation(authorization: string): number | undefined {
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization);
    const token = match?.[1] ? this.tokens.get(match[1]) : undefined;
    if (!token || token.expiresAt <= Date.now()) return undefined;
    return token.installationId;
  }

  private verifyJwt(authorization: string): { appId: number } | { error: string } {
    const undecodable = { error: 'A JSON web token could not be decoded' };
    const match = /^bearer\s+([\w-]+)\.([\w-]+)\.([\w-]+)$/i.exec(authorization);
    if (!match?.[1] || !match[2] || !match[3]) return undecodable;
    let header: unknown;
    let claims: unknown;
    try {
      header = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(match[2], 'base64url').toString('utf8'));
    } catch {
      return undecodable;
    }
    if (!isObject(header) || header.alg !== 'RS256' || !isObject(claims)) return undecodable;
    const app = this.apps.get(Number(claims.iss));
    if (!app) return { error: `Integration not found` };
    const signed = verify('RSA-SHA256', Buffer.from(`${match[1]}.${match[2]}`), app.publicKey, Buffer.from(match[3], 'base64url'));
    if (!signed) return undecodable;
    const now = Math.floor(Date.now() / 1000);
    const { iat, exp } = claims;
    if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > now + CLOCK_SKEW_SECONDS) {
      return { error: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued." };
    }
    if (typeof exp !== 'number' || exp <= now) {
      return {
        error: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.",
      };
    }
    if (exp > now + JWT_MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS || exp - iat > JWT_MAX_LIFETIME_SECONDS) {
      return { error: "'Expiration time' claim ('exp') is too far in the future." };
    }
    return { appId: app.appId };
  }

  private convert(code: string): Answer {
    const entry = this.manifestCodes.get(code);
    if (!entry || entry.used)
      return {
        status: 404,
        body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest' },
      };
    entry.used = true;
    const app = this.apps.get(entry.appId);
    if (!app) return { status: 404, body: { message: 'Not Found' } };
    return {
      status: 201,
      body: {
        id: app.appId,
        slug: app.slug,
        node_id: `A_${app.appId}`,
        name: app.slug,
        owner: { login: 'acme', id: 1 },
        html_url: app.htmlUrl,
        external_url: 'https://forgelink.example',
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
        permissions: { contents: 'read', metadata: 'read', pull_requests: 'read' },
        events: ['push', 'pull_request'],
        client_id: app.clientId,
        client_secret: app.clientSecret,
        webhook_secret: app.webhookSecret,
        pem: app.privateKey,
      },
    };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
