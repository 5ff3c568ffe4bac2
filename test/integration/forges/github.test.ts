import { sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ForgeError } from '../../../src/modules/git-providers/application/ports/forge.js';
import {
  buildAppManifest,
  convertManifest,
  createGitHubApi,
  gitHubApiBase,
  type GitHubDeps,
  installUrl,
  manifestPostUrl,
} from '../../../src/forges/github/index.js';
import { ConditionalCache, PAGE_CONCURRENCY } from '../../../src/forges/shared/forge-http.js';
import { UrlGuard } from '../../../src/forges/shared/url-guard.js';
import { FakeGitHub, type FakeGitHubApp } from '../../fakes/github-server.js';
import { requestsMissingFromSpec, specs } from '../../support/openapi.js';

function mintJwt(privateKey: string, claims: { iss: number; iat: number; exp: number }): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), privateKey).toString('base64url')}`;
}

const APP_ID = 4242;
const OTHER_APP_ID = 4343;

describe('GitHub App adapter against a fake GitHub', () => {
  const fake = new FakeGitHub();
  let app: FakeGitHubApp;
  let otherApp: FakeGitHubApp;
  let nextInstallationId = 1_000;
  const deps: GitHubDeps = { guard: new UrlGuard(['127.0.0.1']), retryBaseMs: 1, retries: 2, timeoutMs: 5_000 };

  /** A fresh installation, so each test starts without a cached installation token. */
  const installation = (
    repositories: number | { name: string }[] = 0,
  ): { installationId: number; api: () => ReturnType<typeof createGitHubApi> } => {
    const installationId = nextInstallationId++;
    fake.addInstallation(APP_ID, installationId);
    fake.setRepositories(installationId, repositories);
    return {
      installationId,
      api: () => createGitHubApi(deps, { githubUrl: fake.url, appId: APP_ID, privateKey: app.privateKey, installationId }),
    };
  };

  const rejection = async (promise: Promise<unknown>): Promise<ForgeError> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ForgeError);
    return error as ForgeError;
  };

  beforeAll(async () => {
    await fake.start();
    app = fake.addApp({ appId: APP_ID, slug: 'forgelink-test' });
    otherApp = fake.addApp({ appId: OTHER_APP_ID });
  });
  afterAll(() => fake.stop());

  describe('listRepositories', () => {
    it.each([0, 1, 100, 101])('returns all %i repositories in order, without duplicates', async (count) => {
      const { installationId, api } = installation(count);
      const seeded = fake.setRepositories(installationId, count);
      const from = fake.requests.length;

      const repositories = await api().listRepositories();

      expect(repositories.map((r) => r.fullName)).toEqual(seeded.map((r) => r.full_name));
      expect(new Set(repositories.map((r) => r.id)).size).toBe(count);
      const pages = fake.requests.slice(from).filter((r) => r.path === '/installation/repositories');
      expect(pages).toHaveLength(Math.max(1, Math.ceil(count / 100)));
    });

    it('maps GitHub repositories to the port shape', async () => {
      const { installationId, api } = installation();
      const [seeded] = fake.setRepositories(installationId, [{ name: 'web', private: false, default_branch: 'trunk' }]);
      const [repository] = await api().listRepositories();
      expect(repository).toEqual({
        id: String(seeded?.id),
        fullName: 'acme/web',
        owner: 'acme',
        name: 'web',
        defaultBranch: 'trunk',
        private: false,
        htmlUrl: `${fake.url}/acme/web`,
        cloneUrl: `${fake.url}/acme/web.git`,
      });
    });

    it('fetches the pages after the first concurrently (bounded) and gets all 5,000', async () => {
      const { installationId, api } = installation();
      const seeded = fake.setRepositories(installationId, 5_000);
      const client = api();
      await client.listBranches(seeded[0]!.full_name); // takes the installation token first, so only pages overlap below
      const from = fake.requests.length;
      fake.latencyMs = 15;
      fake.maxInFlight = 0;
      try {
        const repositories = await client.listRepositories();
        expect(repositories).toHaveLength(5_000);
        expect(repositories.map((r) => r.id)).toEqual(seeded.map((r) => String(r.id)));
        expect(new Set(repositories.map((r) => r.id)).size).toBe(5_000);
      } finally {
        fake.latencyMs = 0;
      }
      const pages = fake.requests.slice(from);
      expect(pages).toHaveLength(50);
      expect(pages.every((r) => r.path === '/installation/repositories' && r.status === 200)).toBe(true);
      expect(fake.maxInFlight).toBeGreaterThan(1);
      expect(fake.maxInFlight).toBeLessThanOrEqual(PAGE_CONCURRENCY);
    });

    it('follows a page cap lower than 100 (GitHub Enterprise Server setting)', async () => {
      const { installationId, api } = installation();
      const seeded = fake.setRepositories(installationId, 130);
      fake.perPageCap = 50;
      try {
        const repositories = await api().listRepositories();
        expect(repositories.map((r) => r.fullName)).toEqual(seeded.map((r) => r.full_name));
      } finally {
        fake.perPageCap = 100;
      }
    });
  });

  describe('branches and single reads', () => {
    it('lists all 120 branches across pages', async () => {
      const { api } = installation([{ name: 'branchy' }]);
      const seeded = fake.setBranches('acme/branchy', 120);
      const from = fake.requests.length;
      const branches = await api().listBranches('acme/branchy');
      expect(branches).toEqual(seeded.map((b) => ({ name: b.name, commitSha: b.commitSha, protected: b.protected })));
      expect(fake.requests.slice(from).filter((r) => r.path === '/repos/acme/branchy/branches')).toHaveLength(2);
    });

    it('listBranches of an unknown repository is not_found', async () => {
      const { api } = installation();
      expect((await rejection(api().listBranches('acme/nope'))).kind).toBe('not_found');
    });

    it('getRepository and getBranch return the item, or null on 404', async () => {
      const { api } = installation([{ name: 'app' }]);
      fake.setBranches('acme/app', [{ name: 'main', commitSha: 'a'.repeat(40), protected: true }, { name: 'feature/login' }]);
      const client = api();
      expect((await client.getRepository('acme/app'))?.fullName).toBe('acme/app');
      expect(await client.getRepository('acme/missing')).toBeNull();
      expect(await client.getRepository('not-a-full-name')).toBeNull();
      expect(await client.getBranch('acme/app', 'main')).toEqual({ name: 'main', commitSha: 'a'.repeat(40), protected: true });
      expect((await client.getBranch('acme/app', 'feature/login'))?.name).toBe('feature/login');
      expect(await client.getBranch('acme/app', 'gone')).toBeNull();
      expect(await client.getBranch('acme/missing', 'main')).toBeNull();
    });

    it('changedFiles lists the compare files (renames count twice) and flags the 300-file cap', async () => {
      const { api } = installation([{ name: 'mono' }]);
      fake.setCompare('acme/mono', 'b1', 'h1', [
        'api/a.ts',
        { filename: 'web/new.ts', previous_filename: 'api/old.ts', status: 'renamed' },
      ]);
      fake.setCompare(
        'acme/mono',
        'b2',
        'h2',
        Array.from({ length: 420 }, (_, i) => `f/${i}.txt`),
      );
      const client = api();
      expect(await client.changedFiles('acme/mono', 'b1', 'h1')).toEqual({
        files: ['api/a.ts', 'web/new.ts', 'api/old.ts'],
        complete: true,
      });
      const capped = await client.changedFiles('acme/mono', 'b2', 'h2');
      expect(capped.files).toHaveLength(300);
      expect(capped.complete).toBe(false);
    });
  });

  describe('app authentication', () => {
    it('takes the installation token once and reuses it across createGitHubApi calls', async () => {
      const { api } = installation(3);
      const before = fake.tokenRequests;
      await api().listRepositories();
      await api().listRepositories();
      await api().getRepository('acme/repo-00001');
      expect(fake.tokenRequests - before).toBe(1);
    });

    it('renews an installation token before its expires_at instead of reusing it past expiry', async () => {
      fake.tokenTtlSeconds = 61; // one second of use left before the adapter's one-minute margin
      try {
        const { api } = installation(2);
        const before = fake.tokenRequests;
        await api().listRepositories();
        await api().listRepositories();
        expect(fake.tokenRequests - before).toBe(1);
        await new Promise((resolve) => setTimeout(resolve, 1_300));
        expect(await api().listRepositories()).toHaveLength(2);
        expect(fake.tokenRequests - before).toBe(2);
      } finally {
        fake.tokenTtlSeconds = 3_600;
      }
    });

    it('the fake enforces what GitHub enforces: JWT lifetime and installation token expiry', async () => {
      const { installationId } = installation(1);
      const now = Math.floor(Date.now() / 1000);
      const tokenUrl = `${fake.apiUrl}/app/installations/${installationId}/access_tokens`;
      const post = (jwt: string) => fetch(tokenUrl, { method: 'POST', headers: { authorization: `Bearer ${jwt}` } });
      expect((await post(mintJwt(app.privateKey, { iss: APP_ID, iat: now - 30, exp: now + 15 * 60 }))).status).toBe(401);
      expect((await post(mintJwt(app.privateKey, { iss: APP_ID, iat: now + 300, exp: now + 500 }))).status).toBe(401);
      expect((await post(mintJwt(otherApp.privateKey, { iss: APP_ID, iat: now - 30, exp: now + 540 }))).status).toBe(401);

      fake.tokenTtlSeconds = 1;
      try {
        const issued = await post(mintJwt(app.privateKey, { iss: APP_ID, iat: now - 30, exp: now + 540 }));
        expect(issued.status).toBe(201);
        const { token } = (await issued.json()) as { token: string };
        const list = () => fetch(`${fake.apiUrl}/installation/repositories`, { headers: { authorization: `token ${token}` } });
        expect((await list()).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        expect((await list()).status).toBe(401);
      } finally {
        fake.tokenTtlSeconds = 3_600;
      }
    });

    it('a JWT signed with the wrong key is rejected by GitHub and maps to unauthorized', async () => {
      const installationId = nextInstallationId++;
      fake.addInstallation(APP_ID, installationId);
      const before = fake.tokenRequests;
      const from = fake.requests.length;
      const api = createGitHubApi(deps, { githubUrl: fake.url, appId: APP_ID, privateKey: otherApp.privateKey, installationId });
      const error = await rejection(api.listRepositories());
      expect(error.kind).toBe('unauthorized');
      expect(error.status).toBe(401);
      expect(error.message).toContain('A JSON web token could not be decoded');
      expect(fake.tokenRequests).toBe(before);
      expect(fake.requests.slice(from)).toEqual([
        { method: 'POST', path: `/app/installations/${installationId}/access_tokens`, query: [], status: 401, auth: 'jwt' },
      ]);
    });

    it('a private key that is not PEM is unauthorized without any request', async () => {
      const from = fake.requests.length;
      const api = createGitHubApi(deps, { githubUrl: fake.url, appId: APP_ID, privateKey: 'not a key', installationId: 1 });
      expect((await rejection(api.listRepositories())).kind).toBe('unauthorized');
      expect(fake.requests.length).toBe(from);
    });

    it('an installation of another app cannot be used (404 on the token request)', async () => {
      const installationId = nextInstallationId++;
      fake.addInstallation(OTHER_APP_ID, installationId);
      const api = createGitHubApi(deps, { githubUrl: fake.url, appId: APP_ID, privateKey: app.privateKey, installationId });
      expect((await rejection(api.listRepositories())).kind).toBe('not_found');
    });
  });

  describe('conditional requests', () => {
    it('sends If-None-Match on a repeat listing and serves the 304 from the cache, uncharged', async () => {
      const { installationId } = installation(150);
      const cached: GitHubDeps = { ...deps, cache: new ConditionalCache() };
      const api = () => createGitHubApi(cached, { githubUrl: fake.url, appId: APP_ID, privateKey: app.privateKey, installationId });
      const first = await api().listRepositories();
      const from = fake.requests.length;
      const charged = fake.requestsCharged;

      const second = await api().listRepositories();

      expect(second).toEqual(first);
      const repeat = fake.requests.slice(from);
      expect(repeat.map((r) => r.status)).toEqual([304, 304]);
      expect(fake.requestsCharged).toBe(charged);

      const changed = fake.setRepositories(installationId, 151);
      const third = await api().listRepositories();
      expect(third).toHaveLength(151);
      expect(third.at(-1)?.fullName).toBe(changed.at(-1)?.full_name);
    });
  });

  describe('failures', () => {
    it('429 is rate_limited with the Retry-After seconds', async () => {
      const { api } = installation(1);
      fake.failNext(429, 1, { 'retry-after': '17' }, { path: '/installation/repositories' });
      const error = await rejection(api().listRepositories());
      expect(error.kind).toBe('rate_limited');
      expect(error.retryAfterSeconds).toBe(17);
    });

    it('a 403 secondary rate limit is rate_limited with the Retry-After seconds', async () => {
      const { api } = installation(1);
      fake.failNext(403, 1, { 'retry-after': '42' }, { path: '/installation/repositories' });
      const error = await rejection(api().listRepositories());
      expect(error.kind).toBe('rate_limited');
      expect(error.retryAfterSeconds).toBe(42);
    });

    it('a 403 with x-ratelimit-remaining 0 is rate_limited until x-ratelimit-reset', async () => {
      const { api } = installation(1);
      const reset = Math.floor(Date.now() / 1000) + 120;
      fake.failNext(403, 1, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }, { path: '/installation/repositories' });
      const error = await rejection(api().listRepositories());
      expect(error.kind).toBe('rate_limited');
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(118);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(120);
    });

    it("a 403 to the installation's listing refuses the credentials as a whole (forbidden), with GitHub's words", async () => {
      const { api } = installation(1);
      fake.failNext(403, 1, {}, { path: '/installation/repositories', body: { message: 'Resource not accessible by integration' } });
      const error = await rejection(api().listRepositories());
      expect(error.kind).toBe('forbidden');
      expect(error.message).toContain('Resource not accessible by integration');
    });

    it('a 403 on one repository refuses that repository only (resource_forbidden, named)', async () => {
      const { api } = installation(1);
      fake.failNext(403, 1, {}, { path: '/repos/', body: { message: 'Resource not accessible by integration' } });
      const error = await rejection(api().listBranches('acme/web'));
      expect(error).toMatchObject({ kind: 'resource_forbidden', resource: 'repository acme/web' });
      expect(error.message).toContain('Resource not accessible by integration');
    });

    it("a suspended installation: the token request's 403 refuses the credentials, saying so and how to lift it", async () => {
      const { api } = installation(1);
      fake.failNext(403, 1, {}, { path: '/app/installations/', body: { message: 'This installation has been suspended' } });
      const error = await rejection(api().listRepositories());
      expect(error.kind).toBe('forbidden');
      expect(error.message).toContain('This installation has been suspended');
      expect(error.message).toContain('Unsuspend');
    });

    it('502 twice then 200 succeeds after retries', async () => {
      const { api } = installation(2);
      const client = api();
      await client.getRepository('acme/repo-00001');
      fake.failNext(502, 2, {}, { path: '/installation/repositories' });
      const from = fake.requests.length;
      expect(await client.listRepositories()).toHaveLength(2);
      expect(fake.requests.slice(from).map((r) => r.status)).toEqual([502, 502, 200]);
    });

    it('502 on every attempt is unavailable', async () => {
      const { api } = installation(2);
      const client = api();
      await client.getRepository('acme/repo-00001');
      fake.failNext(502, 3, {}, { path: '/installation/repositories' });
      const from = fake.requests.length;
      const error = await rejection(client.listRepositories());
      expect(error.kind).toBe('unavailable');
      expect(error.status).toBe(502);
      expect(fake.requests.slice(from).map((r) => r.status)).toEqual([502, 502, 502]);
    });

    it('a connection that fails is unavailable', async () => {
      const down = new FakeGitHub();
      const { url } = await down.start();
      await down.stop();
      const api = createGitHubApi(deps, { githubUrl: url, appId: APP_ID, privateKey: app.privateKey, installationId: 77 });
      expect((await rejection(api.listRepositories())).kind).toBe('unavailable');
    });

    it('an answer slower than the timeout is unavailable', async () => {
      const { installationId } = installation(1);
      const impatient: GitHubDeps = { ...deps, timeoutMs: 50, retries: 0 };
      const logged = fake.requests.length;
      fake.latencyMs = 300;
      try {
        const api = createGitHubApi(impatient, { githubUrl: fake.url, appId: APP_ID, privateKey: app.privateKey, installationId });
        const before = fake.requests.length;
        const error = await rejection(api.listRepositories());
        expect(error.kind).toBe('unavailable');
        expect(error.message).toContain('timeout');
        // The fake logs the abandoned request when its delayed answer goes out: wait for that, or it lands in the
        // request count of whichever test runs next.
        const deadline = Date.now() + 2_000;
        while (fake.requests.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      } finally {
        fake.latencyMs = 0;
        // The fake logs the abandoned request once its latency has passed: wait for it, so it does not land in a
        // later test's request count.
        await vi.waitFor(() => expect(fake.requests.length).toBeGreaterThan(logged), { timeout: 10_000, interval: 20 });
      }
    });

    it('a malformed JSON body is bad_response', async () => {
      const { api } = installation(1);
      fake.failNext(200, 1, {}, { path: '/installation/repositories', rawBody: '{"total_count": 3, "repositories": [' });
      expect((await rejection(api().listRepositories())).kind).toBe('bad_response');
    });

    it('a JSON body of a surprising shape is bad_response', async () => {
      const { api } = installation([{ name: 'odd' }]);
      fake.failNext(200, 1, {}, { path: '/installation/repositories', body: { total_count: 'many' } });
      expect((await rejection(api().listRepositories())).kind).toBe('bad_response');
      fake.failNext(200, 1, {}, { path: '/repos/acme/odd/branches', body: [{ name: 'main' }] });
      expect((await rejection(api().listBranches('acme/odd'))).kind).toBe('bad_response');
    });
  });

  describe('SSRF guard', () => {
    it('refuses a URL outside the allowlist before any request reaches GitHub', async () => {
      // A GitHub of its own: late requests of earlier tests (pages still in flight on a busy machine) cannot land here.
      const lone = new FakeGitHub();
      await lone.start();
      try {
        const strict: GitHubDeps = { ...deps, guard: new UrlGuard([]) };
        const api = createGitHubApi(strict, { githubUrl: lone.url, appId: APP_ID, privateKey: app.privateKey, installationId: 1 });
        expect((await rejection(api.listRepositories())).kind).toBe('blocked_url');
        expect((await rejection(api.getRepository('acme/repo-00001'))).kind).toBe('blocked_url');
        expect((await rejection(convertManifest(strict, lone.url, 'code-blocked'))).kind).toBe('blocked_url');
        expect([lone.connections, lone.requestCount]).toEqual([0, 0]);
      } finally {
        await lone.stop();
      }
    });

    it('refuses a Link that points away from the API origin', async () => {
      const { api } = installation([{ name: 'linked' }]);
      const client = api();
      await client.getRepository('acme/linked');
      fake.failNext(
        200,
        1,
        { link: '<http://127.0.0.1:1/api/v3/repos/acme/linked/branches?page=2>; rel="next"' },
        {
          path: '/repos/acme/linked/branches',
          body: [{ name: 'main', commit: { sha: 'b'.repeat(40) }, protected: false }],
        },
      );
      expect((await rejection(client.listBranches('acme/linked'))).kind).toBe('blocked_url');
    });
  });

  describe('manifest flow', () => {
    it('converts a manifest code into working app credentials', async () => {
      fake.addManifestCode('code-ok', OTHER_APP_ID);
      const converted = await convertManifest(deps, fake.url, 'code-ok');
      expect(converted).toEqual({
        appId: OTHER_APP_ID,
        slug: otherApp.slug,
        htmlUrl: otherApp.htmlUrl,
        clientId: otherApp.clientId,
        clientSecret: otherApp.clientSecret,
        webhookSecret: otherApp.webhookSecret,
        privateKey: otherApp.privateKey,
      });
      const installationId = nextInstallationId++;
      fake.addInstallation(OTHER_APP_ID, installationId, 'globex');
      fake.setRepositories(installationId, 3);
      const api = createGitHubApi(deps, { githubUrl: fake.url, appId: converted.appId, privateKey: converted.privateKey, installationId });
      expect((await api.listRepositories()).map((r) => r.owner)).toEqual(['globex', 'globex', 'globex']);
    });

    it('a reused or unknown code is invalid_grant', async () => {
      fake.addManifestCode('code-once', OTHER_APP_ID);
      await convertManifest(deps, fake.url, 'code-once');
      expect((await rejection(convertManifest(deps, fake.url, 'code-once'))).kind).toBe('invalid_grant');
      expect((await rejection(convertManifest(deps, fake.url, 'never-issued'))).kind).toBe('invalid_grant');
    });

    it('builds the manifest, its post URL and the install URL', () => {
      const manifest = buildAppManifest({
        name: 'forgelink-acme',
        webhookUrl: 'https://fl.example/v1/webhooks/p1',
        redirectUrl: 'https://fl.example/v1/callbacks/github/manifest',
        setupUrl: 'https://fl.example/v1/callbacks/github/install',
        callbackUrl: 'https://fl.example/v1/callbacks/github/authorize',
        publicUrl: 'https://fl.example',
      });
      expect(manifest).toMatchObject({
        name: 'forgelink-acme',
        url: 'https://fl.example',
        hook_attributes: { url: 'https://fl.example/v1/webhooks/p1', active: true },
        redirect_url: 'https://fl.example/v1/callbacks/github/manifest',
        setup_url: 'https://fl.example/v1/callbacks/github/install',
        callback_urls: ['https://fl.example/v1/callbacks/github/authorize'],
        public: false,
        setup_on_update: true,
        default_permissions: { contents: 'read', metadata: 'read', pull_requests: 'read', statuses: 'write' },
        default_events: ['push', 'pull_request', 'repository'],
      });
      expect(manifestPostUrl('https://github.com/')).toBe('https://github.com/settings/apps/new');
      expect(manifestPostUrl('https://github.com', 'acme corp')).toBe('https://github.com/organizations/acme%20corp/settings/apps/new');
      expect(manifestPostUrl('https://ghe.acme.io', undefined, 's/1')).toBe('https://ghe.acme.io/settings/apps/new?state=s%2F1');
      expect(installUrl('https://github.com/apps/forgelink-acme/', 'a.b+c')).toBe(
        'https://github.com/apps/forgelink-acme/installations/new?state=a.b%2Bc',
      );
    });
  });

  describe('redirects (kept off the spec-checked fake: GitHub points them at the undocumented /repositories/{id})', () => {
    const other = new FakeGitHub();
    let otherKey = '';
    beforeAll(async () => {
      await other.start();
      otherKey = other.addApp({ appId: 5151 }).privateKey;
      other.addInstallation(5151, 51);
    });
    afterAll(() => other.stop());

    it('follows the 301 GitHub sends for a renamed repository', async () => {
      const [renamed] = other.setRepositories(51, [{ name: 'new-name' }]);
      other.failNext(
        301,
        1,
        { location: `${other.apiUrl}/repositories/${renamed?.id}` },
        { path: '/repos/acme/old-name', body: { message: 'Moved Permanently' } },
      );
      const api = createGitHubApi(deps, { githubUrl: other.url, appId: 5151, privateKey: otherKey, installationId: 51 });
      expect((await api.getRepository('acme/old-name'))?.fullName).toBe('acme/new-name');
    });

    it('does not follow a redirect away from the API origin', async () => {
      other.setRepositories(51, 1);
      other.failNext(302, 1, { location: 'http://127.0.0.1:1/steal' }, { path: '/repos/acme/repo-00001' });
      const api = createGitHubApi(deps, { githubUrl: other.url, appId: 5151, privateKey: otherKey, installationId: 51 });
      expect((await rejection(api.getRepository('acme/repo-00001'))).kind).toBe('blocked_url');
    });
  });

  it('gitHubApiBase covers github.com, *.ghe.com and GitHub Enterprise Server', () => {
    expect(gitHubApiBase('https://github.com')).toBe('https://api.github.com');
    expect(gitHubApiBase('https://github.com/')).toBe('https://api.github.com');
    expect(gitHubApiBase('https://octocorp.ghe.com')).toBe('https://api.octocorp.ghe.com');
    expect(gitHubApiBase('https://github.acme.internal/')).toBe('https://github.acme.internal/api/v3');
    expect(gitHubApiBase('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/api/v3');
  });

  it('every request the adapter sent exists in the official GitHub spec', () => {
    const operations = new Set(
      fake.requests.map(
        (r) =>
          `${r.method} ${r.path
            .replace(/^\/repos\/[^/]+\/[^/]+/, '/repos/{o}/{r}')
            .replace(/\/\d+\//, '/{id}/')
            .replace(/\/(branches|compare|app-manifests)\/[^/]+/, '/$1/{x}')}`,
      ),
    );
    for (const operation of [
      'POST /app/installations/{id}/access_tokens',
      'GET /installation/repositories',
      'GET /repos/{o}/{r}',
      'GET /repos/{o}/{r}/branches',
      'GET /repos/{o}/{r}/branches/{x}',
      'GET /repos/{o}/{r}/compare/{x}',
      'POST /app-manifests/{x}/conversions',
    ]) {
      expect(operations).toContain(operation);
    }
    expect(requestsMissingFromSpec(specs.github(), fake.requests)).toEqual([]);
  });
});
