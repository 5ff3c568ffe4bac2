import { BITBUCKET } from '../../../src/forges/bitbucket/bitbucket-plugin.js';
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { ForgeError } from '../../../src/modules/git-providers/application/ports/forge.js';
import { bitbucketAuthorization, createBitbucketApi, type BitbucketAuth } from '../../../src/forges/bitbucket/bitbucket-api.js';
import { ConditionalCache, ForgeHttp, PAGE_CONCURRENCY } from '../../../src/forges/shared/forge-http.js';
import { UrlGuard } from '../../../src/forges/shared/url-guard.js';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { requestsMissingFromSpec, specs } from '../../support/openapi.js';

const TOKEN: BitbucketAuth = { method: 'api_token', email: 'dev@example.com', apiToken: 'ATATT-token-1' };
const APP_PASSWORD: BitbucketAuth = { method: 'app_password', username: 'legacy-dev', appPassword: 'app-pass-1' };
const HOOK_URL = 'https://forgelink.example.com/v1/webhooks/0198c0de-0000-7000-8000-000000000001';

const fake = new FakeBitbucket();

function bitbucket(
  options: { auth?: BitbucketAuth; workspace?: string; apiUrl?: string; guard?: UrlGuard; cache?: ConditionalCache } = {},
) {
  const http = new ForgeHttp({
    forge: BITBUCKET,
    guard: options.guard ?? new UrlGuard(['127.0.0.1']),
    cache: options.cache,
    retryBaseMs: 1,
  });
  return createBitbucketApi(http, {
    apiUrl: options.apiUrl ?? fake.apiUrl,
    workspace: options.workspace ?? 'acme',
    auth: options.auth ?? TOKEN,
    cacheScope: 'test-credential',
  });
}

async function failure(promise: Promise<unknown>): Promise<ForgeError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ForgeError);
  return error as ForgeError;
}

const names = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(5, '0')}`);

beforeAll(async () => {
  await fake.start();
  fake.addApiToken(TOKEN.email, TOKEN.apiToken);
  fake.addAppPassword(APP_PASSWORD.username, APP_PASSWORD.appPassword);
  fake.addApiToken('reader@example.com', 'read-only', ['read:repository:bitbucket']);
  fake.setRepositories('acme', [
    { slug: 'web', name: 'Web Site', private: false },
    { slug: 'api', mainbranch: 'develop' },
    { slug: 'empty', mainbranch: null },
  ]);
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  fake.clearRequests();
  fake.setReportSize(true);
  fake.setDelay(0);
  fake.setNextOrigin(undefined);
});

describe('Bitbucket Cloud: listing repositories', () => {
  it.each([0, 1, 100, 101, 5_000])('returns all %i repositories of the workspace, in order, without duplicates', async (count) => {
    const workspace = `ws-${count}`;
    fake.setRepositories(workspace, count);
    fake.setDelay(count > 1_000 ? 3 : 0);

    const repos = await bitbucket({ workspace }).listRepositories();

    expect(repos.map((r) => r.name)).toEqual(names(count, 'repo'));
    expect(new Set(repos.map((r) => r.id)).size).toBe(count);
    expect(repos.every((r) => r.owner === workspace && r.fullName === `${workspace}/${r.name}`)).toBe(true);
    expect(fake.requests).toHaveLength(Math.max(1, Math.ceil(count / 100)));
    expect(fake.requests.every((r) => r.path === `/repositories/${workspace}`)).toBe(true);
    expect(fake.requests[0]?.query).toEqual(['role', 'pagelen']);
    if (count > 1_000) {
      // size is known after page 1, so the rest is fetched side by side, never more than PAGE_CONCURRENCY at once
      expect(fake.maxConcurrent).toBeGreaterThan(1);
      expect(fake.maxConcurrent).toBeLessThanOrEqual(PAGE_CONCURRENCY);
    }
  });

  it('follows next one page at a time when Bitbucket does not report size', async () => {
    fake.setRepositories('nosize', 250);
    fake.setReportSize(false);

    const repos = await bitbucket({ workspace: 'nosize' }).listRepositories();

    expect(repos.map((r) => r.name)).toEqual(names(250, 'repo'));
    expect(fake.requests).toHaveLength(3);
    expect(fake.maxConcurrent).toBe(1);
  });

  it("maps a repository to the port shape (slug as name, uuid as id, clone URL without the caller's user name)", async () => {
    const repos = await bitbucket().listRepositories();
    const web = repos.find((r) => r.fullName === 'acme/web');
    expect(web).toMatchObject({
      owner: 'acme',
      name: 'web',
      defaultBranch: 'main',
      private: false,
      htmlUrl: 'https://bitbucket.org/acme/web',
      cloneUrl: 'https://bitbucket.org/acme/web.git',
    });
    expect(web?.id).toMatch(/^\{[0-9a-f-]{36}\}$/);
    expect(repos.find((r) => r.name === 'api')).toMatchObject({ defaultBranch: 'develop', private: true });
    expect(repos.find((r) => r.name === 'empty')?.defaultBranch).toBe('main');
  });

  it('answers 304 from the ETag cache on a repeat listing', async () => {
    const cache = new ConditionalCache();
    const first = await bitbucket({ cache }).listRepositories();
    const second = await bitbucket({ cache }).listRepositories();
    expect(second).toEqual(first);
    expect(fake.notModifiedCount).toBe(1);
    expect(fake.requests[1]?.ifNoneMatch).toBeDefined();
  });

  it('refuses a next link that leaves the API origin', async () => {
    const other = new FakeBitbucket();
    const { url } = await other.start();
    try {
      other.addApiToken(TOKEN.email, TOKEN.apiToken);
      fake.setRepositories('hijacked', 150);
      fake.setNextOrigin(url);
      fake.setReportSize(false);

      const error = await failure(bitbucket({ workspace: 'hijacked' }).listRepositories());

      expect(error.kind).toBe('bad_response');
      expect(error.message).toContain(url);
      expect(other.requests).toHaveLength(0);
      expect(fake.requests).toHaveLength(1);
    } finally {
      await other.stop();
    }
  });

  it('is blocked by the SSRF guard when the API host is not allowlisted', async () => {
    const error = await failure(bitbucket({ guard: new UrlGuard([]) }).listRepositories());
    expect(error.kind).toBe('blocked_url');
    expect(fake.requests).toHaveLength(0);
  });

  it('reports an unknown workspace as not_found', async () => {
    const error = await failure(bitbucket({ workspace: 'nobody' }).listRepositories());
    expect(error.kind).toBe('not_found');
  });
});

describe('Bitbucket Cloud: authentication', () => {
  it('sends Basic email:token for an API token', async () => {
    expect(bitbucketAuthorization(TOKEN)).toBe(`Basic ${Buffer.from('dev@example.com:ATATT-token-1').toString('base64')}`);
    const repos = await bitbucket({ auth: TOKEN }).listRepositories();
    expect(repos.length).toBe(3);
    expect(fake.requests.map((r) => r.user)).toEqual(['dev@example.com']);
  });

  it('sends Basic username:appPassword for a (deprecated) app password', async () => {
    expect(bitbucketAuthorization(APP_PASSWORD)).toBe(`Basic ${Buffer.from('legacy-dev:app-pass-1').toString('base64')}`);
    const repos = await bitbucket({ auth: APP_PASSWORD }).listRepositories();
    expect(repos.length).toBe(3);
    expect(fake.requests.map((r) => r.user)).toEqual(['legacy-dev']);
  });

  it.each<[string, BitbucketAuth]>([
    ['a wrong token', { ...TOKEN, apiToken: 'wrong' }],
    ['an unknown email', { ...TOKEN, email: 'someone@example.com' }],
    ['a username with the API token (Bitbucket wants the email)', { method: 'app_password', username: 'dev', appPassword: TOKEN.apiToken }],
  ])('rejects %s as unauthorized', async (_, auth) => {
    const error = await failure(bitbucket({ auth }).listRepositories());
    expect(error.kind).toBe('unauthorized');
    expect(error.status).toBe(401);
  });

  it("reports a token without webhook scopes as a refusal of the credentials (a missing scope), with Bitbucket's words and the remedy", async () => {
    const reader = bitbucket({ auth: { method: 'api_token', email: 'reader@example.com', apiToken: 'read-only' } });
    expect(await reader.listRepositories()).toHaveLength(3);
    const error = await failure(reader.ensureHook('acme/web', HOOK_URL, 'secret'));
    expect(error.kind).toBe('forbidden');
    expect(error.status).toBe(403);
    expect(error.message).toContain('Your credentials lack one or more required privilege scopes.');
    expect(error.message).toContain('PATCH apiToken');
  });
});

describe('Bitbucket Cloud: rate limits and failures', () => {
  it('turns 429 into rate_limited with Retry-After', async () => {
    fake.failNext(429, 1, { 'retry-after': '17' });
    const error = await failure(bitbucket().listRepositories());
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBe(17);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a 500 and then succeeds', async () => {
    fake.failNext(500, 2);
    const repos = await bitbucket().listRepositories();
    expect(repos.map((r) => r.name)).toEqual(['web', 'api', 'empty']);
    expect(fake.requests).toHaveLength(3);
  });

  it('gives up as unavailable when the 5xx persists', async () => {
    fake.failNext(503, 3);
    const error = await failure(bitbucket().listRepositories());
    expect(error.kind).toBe('unavailable');
    expect(fake.requests).toHaveLength(3);
  });
});

describe('Bitbucket Cloud: branches', () => {
  it('lists 120 branches in two requests of 100', async () => {
    fake.setBranches('acme/api', 120);
    const branches = await bitbucket().listBranches('acme/api');
    expect(branches.map((b) => b.name)).toEqual(names(120, 'branch'));
    expect(branches.every((b) => /^[0-9a-f]{40}$/.test(b.commitSha))).toBe(true);
    expect(new Set(branches.map((b) => b.commitSha)).size).toBe(120);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]?.path).toBe('/repositories/acme/api/refs/branches');
  });

  it('reports an unknown repository as not_found', async () => {
    const error = await failure(bitbucket().listBranches('acme/ghost'));
    expect(error.kind).toBe('not_found');
  });

  it('reads one branch, including names with a slash, and answers null when absent', async () => {
    fake.setBranches('acme/web', [
      { name: 'main', hash: 'a'.repeat(40) },
      { name: 'feature/login', hash: 'b'.repeat(40) },
      { name: 'feature', hash: 'c'.repeat(40) },
    ]);
    const api = bitbucket();
    expect(await api.getBranch('acme/web', 'main')).toEqual({ name: 'main', commitSha: 'a'.repeat(40) });
    expect(await api.getBranch('acme/web', 'feature/login')).toEqual({ name: 'feature/login', commitSha: 'b'.repeat(40) });
    expect(await api.getBranch('acme/web', 'feature/nope')).toBeNull();
    expect(await api.getBranch('acme/web', 'nope')).toBeNull();
    expect(await api.getBranch('acme/ghost', 'main')).toBeNull();
  });

  it('reads one repository and answers null when it does not exist', async () => {
    const api = bitbucket();
    expect(await api.getRepository('acme/api')).toMatchObject({ fullName: 'acme/api', defaultBranch: 'develop' });
    expect(await api.getRepository('acme/ghost')).toBeNull();
    expect(await api.getRepository('not-a-full-name')).toBeNull();
  });
});

describe('Bitbucket Cloud: changed files', () => {
  const base = '1'.repeat(40);
  const head = '2'.repeat(40);

  it('reads every diffstat page, with both sides of renames', async () => {
    const plain = Array.from({ length: 1_230 }, (_, i) => `src/file-${i}.ts`);
    fake.setDiffstat('acme/api', { base, head }, [
      ...plain,
      { status: 'renamed', old: 'old/name.ts', new: 'new/name.ts' },
      { status: 'removed', old: 'gone.ts' },
      { status: 'added', new: 'docker-compose.yml' },
    ]);

    const changed = await bitbucket().changedFiles('acme/api', base, head);

    expect(changed.complete).toBe(true);
    expect(changed.files).toHaveLength(1_234);
    expect(changed.files).toEqual(
      expect.arrayContaining(['src/file-0.ts', 'src/file-1229.ts', 'old/name.ts', 'new/name.ts', 'gone.ts', 'docker-compose.yml']),
    );
    // Bitbucket's spec is "<changed commit>..<commit compared against>", the reverse of git diff.
    expect(fake.requests[0]?.path).toBe(`/repositories/acme/api/diffstat/${head}..${base}`);
    expect(fake.requests).toHaveLength(3);
  });

  it('is incomplete for a new branch (all-zero base), an unknown range and a diffstat timeout (555)', async () => {
    const api = bitbucket();
    expect(await api.changedFiles('acme/api', '0'.repeat(40), head)).toEqual({ files: [], complete: false });
    expect(fake.requests).toHaveLength(0);
    expect(await api.changedFiles('acme/api', head, base)).toEqual({ files: [], complete: false });
    fake.failNext(555, 3);
    expect(await api.changedFiles('acme/api', base, head)).toEqual({ files: [], complete: false });
  });
});

describe('Bitbucket Cloud: webhooks', () => {
  it('creates one push hook and reuses it on the next call, updating the secret', async () => {
    fake.setRepositories('hooks', [{ slug: 'app' }]);
    fake.addHook('hooks/app', { url: 'https://other.example.com/hook' });
    const api = bitbucket({ workspace: 'hooks' });

    const first = await api.ensureHook('hooks/app', HOOK_URL, 'secret-one');
    const second = await api.ensureHook('hooks/app', HOOK_URL, 'secret-two');

    expect(first.reused).toBe(false);
    expect(second).toEqual({ id: first.id, reused: true });
    const ours = fake.hooks('hooks/app').filter((h) => h.url === HOOK_URL);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({
      uuid: first.id,
      active: true,
      events: ['repo:push', 'pullrequest:created', 'pullrequest:updated', 'pullrequest:fulfilled', 'pullrequest:rejected'],
      secret: 'secret-two',
      description: 'forgelink',
    });
    expect(fake.hooks('hooks/app')).toHaveLength(2);
    expect(fake.hookLog.filter((e) => e.fullName === 'hooks/app').map((e) => e.action)).toEqual(['created', 'updated']);
  });

  it('re-activates a disabled hook and removes duplicates with the same URL', async () => {
    fake.setRepositories('dupes', [{ slug: 'app' }]);
    const kept = fake.addHook('dupes/app', { url: HOOK_URL, active: false, events: ['repo:fork'] });
    fake.addHook('dupes/app', { url: HOOK_URL });

    const result = await bitbucket({ workspace: 'dupes' }).ensureHook('dupes/app', HOOK_URL, 'fresh');

    expect(result).toEqual({ id: kept.uuid, reused: true });
    expect(fake.hooks('dupes/app')).toEqual([
      expect.objectContaining({
        uuid: kept.uuid,
        active: true,
        events: ['repo:push', 'pullrequest:created', 'pullrequest:updated', 'pullrequest:fulfilled', 'pullrequest:rejected'],
        secret: 'fresh',
      }),
    ]);
  });

  it('removes every hook with the URL and tolerates missing hooks and repositories', async () => {
    fake.setRepositories('cleanup', [{ slug: 'app' }]);
    fake.addHook('cleanup/app', { url: HOOK_URL });
    fake.addHook('cleanup/app', { url: HOOK_URL });
    const foreign = fake.addHook('cleanup/app', { url: 'https://other.example.com/hook' });
    const api = bitbucket({ workspace: 'cleanup' });

    await api.removeHook('cleanup/app', HOOK_URL);
    await api.removeHook('cleanup/app', HOOK_URL);
    await api.removeHook('cleanup/ghost', HOOK_URL);

    expect(fake.hooks('cleanup/app').map((h) => h.uuid)).toEqual([foreign.uuid]);
    expect(fake.requests.filter((r) => r.method === 'DELETE')).toHaveLength(2);
  });

  it('fails ensureHook on an unknown repository', async () => {
    const error = await failure(bitbucket().ensureHook('acme/ghost', HOOK_URL, 'secret'));
    expect(error.kind).toBe('not_found');
  });
});

describe('Bitbucket Cloud: requests match the official OpenAPI description', () => {
  it('resolves an abbreviated commit (pull request payloads) to the full one with its message and author; unknown → null', async () => {
    fake.setRepositories('commits', [{ slug: 'app' }]);
    const full = '0123456789abcdef0123456789abcdef01234567';
    fake.addCommit('commits/app', { hash: full, message: 'Fix the checkout\n', authorRaw: 'Ann Smith <ann@example.com>' });
    const api = bitbucket({ workspace: 'commits' });
    expect(await api.getCommit!('commits/app', '0123456789ab')).toEqual({ sha: full, message: 'Fix the checkout\n', author: 'Ann Smith' });
    expect(await api.getCommit!('commits/app', 'ffffffffffff')).toBeNull();
    expect(await api.getCommit!('commits/app', 'not-a-hash')).toBeNull();
  });

  it('reads a webhook’s state back: active, switched off, or gone', async () => {
    fake.setRepositories('states', [{ slug: 'app' }]);
    const api = bitbucket({ workspace: 'states' });
    expect(await api.hookState!('states/app', HOOK_URL)).toBeNull();
    await api.ensureHook('states/app', HOOK_URL, 'secret');
    expect(await api.hookState!('states/app', HOOK_URL)).toEqual({ active: true });
    (fake.hooks('states/app')[0] as { active: boolean }).active = false;
    expect(await api.hookState!('states/app', HOOK_URL)).toMatchObject({ active: false });
  });

  it('sends only operations and query parameters the spec describes', async () => {
    fake.setRepositories('spec', 150);
    fake.setBranches('spec/repo-00001', [{ name: 'main' }, { name: 'release/1.0' }]);
    fake.setDiffstat('spec/repo-00001', { base: 'a'.repeat(40), head: 'b'.repeat(40) }, ['README.md']);
    const api = bitbucket({ workspace: 'spec' });

    await api.listRepositories();
    await api.getRepository('spec/repo-00001');
    await api.listBranches('spec/repo-00001');
    await api.getBranch('spec/repo-00001', 'main');
    await api.getBranch('spec/repo-00001', 'release/1.0');
    await api.changedFiles('spec/repo-00001', 'a'.repeat(40), 'b'.repeat(40));
    fake.addCommit('spec/repo-00001', { hash: 'c'.repeat(40), message: 'm', authorRaw: 'A <a@example.com>' });
    await api.getCommit!('spec/repo-00001', 'cccccccccccc');
    await api.ensureHook('spec/repo-00001', HOOK_URL, 's1');
    await api.ensureHook('spec/repo-00001', HOOK_URL, 's2');
    await api.hookState!('spec/repo-00001', HOOK_URL);
    await api.removeHook('spec/repo-00001', HOOK_URL);

    // /repositories/{ws} → "workspace", /repositories/{ws}/{slug} → "repository", else the resource segment
    const resource = (path: string): string => path.split('/')[4] ?? (path.split('/').length === 3 ? 'workspace' : 'repository');
    const operations = new Set(fake.requests.map((r) => `${r.method} ${resource(r.path)}`));
    expect([...operations].sort()).toEqual([
      'DELETE hooks',
      'GET commit',
      'GET diffstat',
      'GET hooks',
      'GET refs',
      'GET repository',
      'GET workspace',
      'POST hooks',
      'PUT hooks',
    ]);
    expect(requestsMissingFromSpec(specs.bitbucket(), fake.requests, ['page', 'pagelen'])).toEqual([]);
  });
});
