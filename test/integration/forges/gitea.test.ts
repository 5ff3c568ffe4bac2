import { GITEA } from '../../../src/forges/gitea/gitea-plugin.js';
import { describe, it, expect, afterAll } from 'vitest';
import { ForgeError, type ForgeApi, type ForgeHooks } from '../../../src/modules/git-providers/application/ports/forge.js';
import { ConditionalCache, ForgeHttp, PAGE_CONCURRENCY } from '../../../src/forges/shared/forge-http.js';
import { UrlGuard } from '../../../src/forges/shared/url-guard.js';
import { createGiteaApi } from '../../../src/forges/gitea/index.js';
import { FakeGitea, type FakeGiteaOptions, type GiteaFlavor } from '../../fakes/gitea-server.js';
import { requestsMissingFromSpec, specs, type RecordedRequest } from '../../support/openapi.js';

const loopback = new UrlGuard(['127.0.0.1']);

interface Connected {
  readonly fake: FakeGitea;
  readonly api: ForgeApi & ForgeHooks;
  readonly tokenCalls: () => number;
  setToken(token: string): void;
}

async function connect(flavor: GiteaFlavor, options: FakeGiteaOptions = {}, guard = loopback): Promise<Connected> {
  const fake = new FakeGitea({ flavor, ...options });
  await fake.start();
  let token = fake.issueTokens().accessToken;
  let calls = 0;
  const http = new ForgeHttp({ forge: GITEA, guard, cache: new ConditionalCache(), retryBaseMs: 1 });
  const api = createGiteaApi(http, {
    giteaUrl: `${fake.url}/`,
    accessToken: async () => {
      calls++;
      return token;
    },
    cacheScope: 'provider-1',
  });
  return { fake, api, tokenCalls: () => calls, setToken: (t) => (token = t) };
}

async function failure(promise: Promise<unknown>): Promise<ForgeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ForgeError);
  return error as ForgeError;
}

describe.each(['gitea', 'forgejo'] as const)('Gitea adapter against a %s server', (flavor) => {
  const recorded: RecordedRequest[] = [];
  const fakes: FakeGitea[] = [];

  async function server(options: FakeGiteaOptions = {}, guard = loopback): Promise<Connected> {
    const connected = await connect(flavor, options, guard);
    fakes.push(connected.fake);
    return connected;
  }

  afterAll(async () => {
    await Promise.all(fakes.map((f) => f.stop()));
  });

  describe('listing repositories with MAX_RESPONSE_ITEMS = 50', () => {
    it.each([0, 1, 100, 101, 5_000])('returns all %i repositories, asking for pages of the server cap', async (count) => {
      const { fake, api } = await server({ maxResponseItems: 50, latencyMs: count > 1000 ? 2 : 0 });
      const seeded = fake.setRepositories(count);

      const repos = await api.listRepositories();

      expect(repos).toHaveLength(count);
      expect(new Set(repos.map((r) => r.id))).toEqual(new Set(seeded.map((r) => String(r.id))));
      const pages = fake.requests.filter((r) => r.path === '/user/repos');
      expect(pages.map((r) => r.limit)).toEqual(pages.map(() => '50'));
      expect(pages).toHaveLength(Math.max(1, Math.ceil(count / 50)));
      if (count === 5_000) {
        expect(fake.maxConcurrent).toBeGreaterThan(1);
        expect(fake.maxConcurrent).toBeLessThanOrEqual(PAGE_CONCURRENCY);
      }
      recorded.push(...fake.apiRequests());
    });

    it('maps the Gitea fields onto the port', async () => {
      const { fake, api } = await server();
      fake.setRepositories([{ id: 42, owner: 'acme', name: 'shop', defaultBranch: 'develop', private: true }]);

      const [repo] = await api.listRepositories();

      expect(repo).toEqual({
        id: '42',
        fullName: 'acme/shop',
        owner: 'acme',
        name: 'shop',
        defaultBranch: 'develop',
        private: true,
        htmlUrl: `${fake.url}/acme/shop`,
        cloneUrl: `${fake.url}/acme/shop.git`,
      });
      recorded.push(...fake.apiRequests());
    });

    it('uses a smaller cap the server reports, and reads /settings/api once per instance', async () => {
      const { fake, api } = await server({ maxResponseItems: 20 });
      fake.setRepositories(45);

      expect(await api.listRepositories()).toHaveLength(45);
      expect(await api.listRepositories()).toHaveLength(45);

      expect(fake.requests.filter((r) => r.path === '/settings/api')).toHaveLength(1);
      expect(new Set(fake.requests.filter((r) => r.path === '/user/repos').map((r) => r.limit))).toEqual(new Set(['20']));
      recorded.push(...fake.apiRequests());
    });

    it('still gets every repository when /settings/api is missing and the real cap is lower than the fallback', async () => {
      const { fake, api } = await server({ settingsEndpoint: false, maxResponseItems: 20 });
      fake.setRepositories(101);

      const repos = await api.listRepositories();

      expect(repos).toHaveLength(101);
      expect(new Set(repos.map((r) => r.id)).size).toBe(101);
      recorded.push(...fake.apiRequests());
    });

    it('follows Link rel=next when X-Total-Count is absent', async () => {
      const { fake, api } = await server({ totalCountHeader: false });
      fake.setRepositories(101);

      expect(await api.listRepositories()).toHaveLength(101);
      expect(fake.requests.filter((r) => r.path === '/user/repos')).toHaveLength(3);
      recorded.push(...fake.apiRequests());
    });

    it('pages until a short page when neither X-Total-Count nor Link is sent', async () => {
      const { fake, api } = await server({ totalCountHeader: false, linkHeader: false });
      fake.setRepositories(100);

      expect(await api.listRepositories()).toHaveLength(100);
      // two full pages, then an empty one ends the listing
      expect(fake.requests.filter((r) => r.path === '/user/repos')).toHaveLength(3);
      recorded.push(...fake.apiRequests());
    });

    it('sends If-None-Match on a repeat listing and uses the cached pages on 304', async () => {
      const { fake, api } = await server({ etags: true });
      fake.setRepositories(120);

      const first = await api.listRepositories();
      const second = await api.listRepositories();

      expect(second).toEqual(first);
      expect(fake.notModifiedCount).toBeGreaterThanOrEqual(3);
      expect(fake.requests.filter((r) => r.path === '/user/repos' && r.ifNoneMatch).length).toBeGreaterThanOrEqual(3);
      recorded.push(...fake.apiRequests());
    });

    it('asks the token getter before every request, so a refreshed token is used at once', async () => {
      const { fake, api, tokenCalls, setToken } = await server();
      fake.setRepositories(101);

      await api.listRepositories();
      expect(tokenCalls()).toBeGreaterThanOrEqual(4);

      setToken(fake.issueTokens().accessToken); // the old pair is dead now
      expect(await api.listRepositories()).toHaveLength(101);
      recorded.push(...fake.apiRequests());
    });
  });

  describe('branches and single reads', () => {
    it('lists all 120 branches with their commits and protection', async () => {
      const { fake, api } = await server({ maxResponseItems: 50 });
      fake.setRepositories([{ owner: 'alice', name: 'app' }]);
      const seeded = fake.setBranches(
        'alice/app',
        Array.from({ length: 120 }, (_, i) => ({ name: i === 0 ? 'main' : `feature-${i}`, protected: i === 0 })),
      );

      const branches = await api.listBranches('alice/app');

      expect(branches).toHaveLength(120);
      expect(branches).toEqual(seeded.map((b) => ({ name: b.name, commitSha: b.commitSha, protected: b.protected })));
      expect(fake.requests.filter((r) => r.path === '/repos/alice/app/branches')).toHaveLength(3);
      recorded.push(...fake.apiRequests());
    });

    it('throws not_found for the branches of an unknown repository', async () => {
      const { fake, api } = await server();
      fake.setRepositories(1);

      expect((await failure(api.listBranches('alice/nope'))).kind).toBe('not_found');
      recorded.push(...fake.apiRequests());
    });

    it('reads one repository and one branch, null when absent', async () => {
      const { fake, api } = await server();
      fake.setRepositories([{ owner: 'alice', name: 'app', defaultBranch: 'main' }]);
      const [main] = fake.setBranches('alice/app', [{ name: 'main' }]);

      expect((await api.getRepository('alice/app'))?.fullName).toBe('alice/app');
      expect(await api.getRepository('alice/ghost')).toBeNull();
      expect(await api.getBranch('alice/app', 'main')).toEqual({ name: 'main', commitSha: main?.commitSha, protected: false });
      expect(await api.getBranch('alice/app', 'nope')).toBeNull();
      expect(await api.getBranch('alice/ghost', 'main')).toBeNull();
      recorded.push(...fake.apiRequests());
    });

    it('reads a branch whose name contains a slash', async () => {
      const { fake, api } = await server();
      fake.setRepositories([{ owner: 'alice', name: 'app' }]);
      fake.setBranches('alice/app', [{ name: 'main' }, { name: 'feature/login' }]);

      expect((await api.getBranch('alice/app', 'feature/login'))?.name).toBe('feature/login');
      // not added to the spec check: the spec's {branch} template cannot express Gitea's catch-all route
    });
  });

  describe('changed files (compare)', () => {
    const base = 'a'.repeat(40);
    const head = 'b'.repeat(40);

    it('returns the union of the commits files, complete', async () => {
      const { fake, api } = await server();
      fake.setRepositories([{ owner: 'alice', name: 'app' }]);
      fake.setCompare('alice/app', base, head, [
        { sha: 'c1', files: ['src/a.ts', 'README.md'] },
        { sha: 'c2', files: ['src/a.ts', 'docs/b.md'] },
      ]);

      expect(await api.changedFiles('alice/app', base, head)).toEqual({ files: ['README.md', 'docs/b.md', 'src/a.ts'], complete: true });
      expect(fake.requests.some((r) => r.path === `/repos/alice/app/compare/${base}...${head}`)).toBe(true);
      recorded.push(...fake.apiRequests());
    });

    it('is incomplete when the compare is truncated', async () => {
      const { fake, api } = await server();
      fake.setRepositories([{ owner: 'alice', name: 'app' }]);
      fake.setCompare('alice/app', base, head, [{ sha: 'c1', files: ['a'] }], 250);

      expect(await api.changedFiles('alice/app', base, head)).toEqual({ files: ['a'], complete: false });
      recorded.push(...fake.apiRequests());
    });

    it('is incomplete when a commit has no file list', async () => {
      const { fake, api } = await server();
      fake.setRepositories([{ owner: 'alice', name: 'app' }]);
      fake.setCompare('alice/app', base, head, [{ sha: 'c1', files: ['a'] }, { sha: 'c2' }]);

      expect((await api.changedFiles('alice/app', base, head)).complete).toBe(false);
      recorded.push(...fake.apiRequests());
    });

    it('is incomplete, without failing, when the base is unknown or all zeros', async () => {
      const { fake, api } = await server();
      fake.setRepositories([{ owner: 'alice', name: 'app' }]);

      expect(await api.changedFiles('alice/app', base, head)).toEqual({ files: [], complete: false });
      const before = fake.requests.length;
      expect(await api.changedFiles('alice/app', '0'.repeat(40), head)).toEqual({ files: [], complete: false });
      expect(fake.requests.length).toBe(before);
      recorded.push(...fake.apiRequests());
    });
  });

  describe('failures', () => {
    it('maps an expired token to unauthorized', async () => {
      const { fake, api } = await server();
      fake.setRepositories(3);
      await api.listRepositories();
      fake.expireAccessTokens();

      const error = await failure(api.listRepositories());
      expect(error.kind).toBe('unauthorized');
      expect(fake.requests.at(-1)?.status).toBe(401);
      recorded.push(...fake.apiRequests());
    });

    it('maps 429 to rate_limited with the Retry-After', async () => {
      const { fake, api } = await server();
      fake.setRepositories(3);
      fake.failNext(429, 1, { 'retry-after': '7' }, { path: '/user/repos' });

      const error = await failure(api.listRepositories());
      expect(error.kind).toBe('rate_limited');
      expect(error.retryAfterSeconds).toBe(7);
      recorded.push(...fake.apiRequests());
    });

    it('retries a 503 and then succeeds', async () => {
      const { fake, api } = await server();
      fake.setRepositories(60);
      fake.failNext(503, 2, {}, { path: '/user/repos' });

      expect(await api.listRepositories()).toHaveLength(60);
      expect(fake.requests.filter((r) => r.path === '/user/repos').map((r) => r.status)).toEqual([503, 503, 200, 200]);
      recorded.push(...fake.apiRequests());
    });

    it('gives up with unavailable when the 503s do not stop', async () => {
      const { fake, api } = await server();
      fake.setRepositories(3);
      fake.failNext(503, 10, {}, { path: '/user/repos' });

      expect((await failure(api.listRepositories())).kind).toBe('unavailable');
      recorded.push(...fake.apiRequests());
    });

    it('maps a body that is not JSON, or not the expected shape, to bad_response', async () => {
      const { fake, api } = await server();
      fake.setRepositories(3);
      fake.failNext(200, 1, {}, { path: '/user/repos', body: '<html>proxy error</html>' });
      expect((await failure(api.listRepositories())).kind).toBe('bad_response');

      fake.failNext(200, 1, {}, { path: '/user/repos', body: '[{"id":"not-a-number"}]' });
      expect((await failure(api.listRepositories())).kind).toBe('bad_response');
      recorded.push(...fake.apiRequests());
    });

    it('refuses a server the SSRF guard does not allow, before any request', async () => {
      const { fake, api } = await server({}, new UrlGuard([]));
      fake.setRepositories(3);

      expect((await failure(api.listRepositories())).kind).toBe('blocked_url');
      expect((await failure(api.ensureHook('alice/repo-1', 'https://forgelink.example/v1/webhooks/p', 's'))).kind).toBe('blocked_url');
      expect(fake.requests).toHaveLength(0);
    });
  });

  describe('webhooks', () => {
    const hookUrl = 'https://forgelink.example/v1/webhooks/provider-1';

    it('creates one push + create hook and reuses it, updating the secret', async () => {
      const { fake, api } = await server();
      fake.setRepositories([{ owner: 'alice', name: 'app' }]);

      const first = await api.ensureHook('alice/app', hookUrl, 'secret-1');
      const second = await api.ensureHook('alice/app', hookUrl, 'secret-2');

      expect(first.reused).toBe(false);
      expect(second).toEqual({ id: first.id, reused: true });
      const hooks = fake.hooksOf('alice/app');
      expect(hooks).toHaveLength(1);
      expect(hooks[0]).toMatchObject({
        id: Number(first.id),
        type: 'gitea',
        url: hookUrl,
        contentType: 'json',
        secret: 'secret-2',
        events: ['push', 'create', 'pull_request'],
        active: true,
        branchFilter: '*',
      });
      expect(fake.hookLog.map((e) => e.action)).toEqual(['create', 'update']);
      recorded.push(...fake.apiRequests());
    });

    it('adopts a hook made by hand, removes duplicates of it and leaves other hooks alone', async () => {
      const { fake, api } = await server();
      fake.setRepositories([{ owner: 'alice', name: 'app' }]);
      const mine = fake.addHook('alice/app', { url: hookUrl, secret: 'old', events: ['push'] });
      fake.addHook('alice/app', { url: hookUrl, secret: 'older' });
      const other = fake.addHook('alice/app', { url: 'https://ci.example/hook' });

      const registered = await api.ensureHook('alice/app', hookUrl, 'fresh');

      expect(registered).toEqual({ id: String(mine.id), reused: true });
      expect(fake.hooksOf('alice/app').map((h) => [h.id, h.secret])).toEqual([
        [mine.id, 'fresh'],
        [other.id, ''],
      ]);
      recorded.push(...fake.apiRequests());
    });

    it('removes every hook with the URL, and tolerates nothing to remove', async () => {
      const { fake, api } = await server();
      fake.setRepositories([{ owner: 'alice', name: 'app' }]);
      await api.ensureHook('alice/app', hookUrl, 's');
      fake.addHook('alice/app', { url: hookUrl });
      const other = fake.addHook('alice/app', { url: 'https://ci.example/hook' });

      await api.removeHook('alice/app', hookUrl);
      await api.removeHook('alice/app', hookUrl);
      await api.removeHook('alice/ghost', hookUrl);

      expect(fake.hooksOf('alice/app').map((h) => h.id)).toEqual([other.id]);
      expect(fake.hookLog.filter((e) => e.action === 'delete')).toHaveLength(2);
      recorded.push(...fake.apiRequests());
    });

    it("reports a refusal of that repository (not of the credentials) without admin rights on it, with Gitea's reason", async () => {
      const { fake, api } = await server();
      fake.setRepositories([{ owner: 'acme', name: 'shared', admin: false }]);

      const error = await failure(api.ensureHook('acme/shared', hookUrl, 's'));
      expect(error).toMatchObject({ kind: 'resource_forbidden', resource: 'repository acme/shared', status: 403 });
      expect(error.message).toContain('Must have admin rights on the repository');
      expect(fake.hooksOf('acme/shared')).toHaveLength(0);
      recorded.push(...fake.apiRequests());
    });
  });

  it(`sends only requests that exist in the official ${flavor} API description`, () => {
    expect(recorded.length).toBeGreaterThan(50);
    const spec = flavor === 'gitea' ? specs.gitea() : specs.forgejo();
    expect(requestsMissingFromSpec(spec, recorded)).toEqual([]);
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) expect(recorded.some((r) => r.method === method)).toBe(true);
  });
});

describe('the spec check itself', () => {
  it('catches a request the Gitea spec does not describe', () => {
    expect(requestsMissingFromSpec(specs.gitea(), [{ method: 'GET', path: '/user/repos', query: ['per_page'] }])).toHaveLength(1);
  });
});
