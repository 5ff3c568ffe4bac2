import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { ForgeError } from '../../../src/modules/git-providers/application/ports/forge.js';
import { FailureError } from '../../../src/shared/failure.js';
import {
  BITBUCKET_DATACENTER,
  bitbucketDatacenterApiBase,
  createBitbucketDatacenterApi,
  HOOK_EVENTS,
} from '../../../src/forges/bitbucket-datacenter/index.js';
import { ForgeHttp } from '../../../src/forges/shared/forge-http.js';
import { UrlGuard } from '../../../src/forges/shared/url-guard.js';
import { FakeBitbucketDatacenter } from '../../fakes/bitbucket-datacenter-server.js';

const TOKEN = 'BBDC-admin-token-1';
const READ_TOKEN = 'BBDC-read-token-1';
const HOOK_URL = 'https://forgelink.example.com/v1/webhooks/0198c0de-0000-7000-8000-000000000001';

// Mounted under a context path, as many installs are (https://host/bitbucket).
const fake = new FakeBitbucketDatacenter({ contextPath: '/bitbucket' });

function dc(options: { token?: string; serverUrl?: string; internalUrl?: string; guard?: UrlGuard } = {}) {
  const http = new ForgeHttp({ forge: BITBUCKET_DATACENTER, guard: options.guard ?? new UrlGuard(['127.0.0.1']), retryBaseMs: 1 });
  return createBitbucketDatacenterApi(http, {
    serverUrl: options.serverUrl ?? fake.serverUrl,
    ...(options.internalUrl ? { internalUrl: options.internalUrl } : {}),
    token: options.token ?? TOKEN,
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
const seed = () =>
  fake.setRepositories([
    { slug: 'deployment-automation', project: 'DEV', id: 1684, defaultBranch: 'main' },
    { slug: 'network-monitor', project: 'DEV', id: 1685, defaultBranch: 'develop', public: true },
    { slug: 'dotfiles', project: '~JDOE', id: 1700, defaultBranch: 'master' },
    { slug: 'empty', project: 'DEV', id: 1701, defaultBranch: '' },
  ]);

beforeAll(async () => {
  await fake.start();
  fake.addToken(TOKEN, 'REPO_ADMIN');
  fake.addToken(READ_TOKEN, 'REPO_READ');
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  seed();
  fake.resetStats();
  fake.latencyMs = 0;
  fake.maxLimit = 1000;
});

describe('Bitbucket Data Center: API address', () => {
  it('is <serverUrl>/rest/api/1.0, keeping a context path and dropping trailing slashes; internalUrl wins', () => {
    expect(bitbucketDatacenterApiBase({ serverUrl: 'https://git.example.com/bitbucket/' })).toBe(
      'https://git.example.com/bitbucket/rest/api/1.0',
    );
    expect(bitbucketDatacenterApiBase({ serverUrl: 'https://git.example.com', internalUrl: 'http://bitbucket:7990' })).toBe(
      'http://bitbucket:7990/rest/api/1.0',
    );
  });

  it('sends its own requests to internalUrl while links keep the public serverUrl', async () => {
    const api = dc({ serverUrl: 'https://bitbucket.example.com/bitbucket', internalUrl: fake.serverUrl });
    const repo = await api.getRepository('DEV/deployment-automation');
    expect(repo?.id).toBe('1684');
    expect(fake.requests[0]?.path).toBe('/projects/DEV/repos/deployment-automation');
  });

  it('is blocked by the SSRF guard (no request) when the host is not allowlisted', async () => {
    const error = await failure(dc({ guard: new UrlGuard([]) }).listRepositories());
    expect(error.kind).toBe('blocked_url');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('Bitbucket Data Center: listing repositories', () => {
  it.each([0, 1, 25, 26, 5_000])('returns all %i repositories the token can read, in order, without duplicates', async (count) => {
    fake.setRepositories(count);
    const repos = await dc().listRepositories();

    expect(repos.map((r) => r.name)).toEqual(names(count, 'repo'));
    expect(new Set(repos.map((r) => r.id)).size).toBe(count);
    expect(repos.every((r) => r.fullName === `PRJ/${r.name}` && r.owner === 'PRJ' && /^\d+$/.test(r.id))).toBe(true);
    expect(fake.requests).toHaveLength(Math.max(1, Math.ceil(count / 1000)));
    expect(fake.requests.every((r) => r.path === '/repos' && r.query.permission === 'REPO_READ')).toBe(true);
    expect(fake.requests.map((r) => r.query.start)).toEqual(Array.from({ length: fake.requests.length }, (_, i) => String(i * 1000)));
  });

  it('follows nextPageStart when the server caps limit below what was asked', async () => {
    fake.setRepositories(26);
    fake.maxLimit = 25;
    const repos = await dc().listRepositories();
    expect(repos.map((r) => r.name)).toEqual(names(26, 'repo'));
    expect(fake.requests.map((r) => [r.query.start, r.query.limit])).toEqual([
      ['0', '1000'],
      ['25', '1000'],
    ]);
  });

  it('pages 5,000 repositories one page after the other (nextPageStart is only known from the page before)', async () => {
    fake.setRepositories(5_000);
    fake.maxLimit = 100;
    fake.latencyMs = 1;
    const repos = await dc().listRepositories();
    expect(repos).toHaveLength(5_000);
    expect(fake.requests).toHaveLength(50);
    expect(fake.maxConcurrent).toBe(1);
  });

  it('maps a repository: PROJECTKEY/slug, numeric id as a string, personal ~USER/slug, clone URL without user info', async () => {
    const repos = await dc().listRepositories();
    const byName = new Map(repos.map((r) => [r.fullName, r]));
    expect(byName.get('DEV/deployment-automation')).toEqual({
      id: '1684',
      fullName: 'DEV/deployment-automation',
      owner: 'DEV',
      name: 'deployment-automation',
      defaultBranch: '',
      private: true,
      htmlUrl: `${fake.serverUrl}/projects/DEV/repos/deployment-automation`,
      cloneUrl: `${fake.serverUrl}/scm/dev/deployment-automation.git`,
    });
    expect(byName.get('DEV/network-monitor')?.private).toBe(false);
    expect(byName.get('~JDOE/dotfiles')).toMatchObject({
      id: '1700',
      owner: '~JDOE',
      name: 'dotfiles',
      htmlUrl: `${fake.serverUrl}/users/jdoe/repos/dotfiles`,
    });
  });

  it('sends the token as Bearer on every request', async () => {
    fake.setRepositories(30);
    fake.maxLimit = 10;
    await dc().listRepositories();
    expect(fake.requests.map((r) => r.authorization)).toEqual(Array(3).fill(`Bearer ${TOKEN}`));
  });

  it('refuses a page whose nextPageStart does not move forward', async () => {
    fake.failNext(
      200,
      1,
      {},
      { path: '/repos', body: JSON.stringify({ size: 1, limit: 1, start: 0, isLastPage: false, nextPageStart: 0, values: [] }) },
    );
    const error = await failure(dc().listRepositories());
    expect(error.kind).toBe('bad_response');
    expect(fake.requests).toHaveLength(1);
  });

  it('reports an answer of the wrong shape as bad_response', async () => {
    fake.failNext(200, 1, {}, { path: '/repos', body: JSON.stringify({ values: [{ id: 'x' }], isLastPage: true }) });
    const error = await failure(dc().listRepositories());
    expect(error.kind).toBe('bad_response');
    expect(error.message).toContain('Bitbucket Data Center');
  });
});

describe('Bitbucket Data Center: failures', () => {
  it('maps a bad token to unauthorized (401), with the server’s words', async () => {
    const error = await failure(dc({ token: 'wrong' }).listRepositories());
    expect(error.kind).toBe('unauthorized');
    expect(error.status).toBe(401);
    expect(error.forge).toBe('bitbucket-datacenter');
    expect(error.message).toContain('Authentication failed. Please check your credentials and try again.');
  });

  it('maps a 403 on the listing to a refusal of the credentials', async () => {
    fake.failNext(403, 1, {}, { path: '/repos', body: JSON.stringify({ errors: [{ message: 'Token disabled', exceptionName: 'x' }] }) });
    const error = await failure(dc().listRepositories());
    expect(error.kind).toBe('forbidden');
    expect(error.message).toContain('Token disabled');
    expect(error.message).toContain('PATCH token');
  });

  it('maps a 403 on one repository to a refusal of that repository only', async () => {
    fake.failNext(403, 1, {}, { path: '/branches' });
    const error = await failure(dc().listBranches('DEV/deployment-automation'));
    expect(error.kind).toBe('resource_forbidden');
    expect(error.resource).toBe('repository DEV/deployment-automation');
  });

  it('maps 429 to rate_limited with Retry-After, without retrying', async () => {
    fake.failNext(429, 1, { 'retry-after': '17' });
    const error = await failure(dc().listRepositories());
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBe(17);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a 5xx and then succeeds; gives up as unavailable when it persists', async () => {
    fake.failNext(502, 2);
    expect(await dc().listRepositories()).toHaveLength(4);
    expect(fake.requests).toHaveLength(3);
    fake.resetStats();
    fake.failNext(503, 3);
    const error = await failure(dc().listRepositories());
    expect(error.kind).toBe('unavailable');
    expect(error.status).toBe(503);
    expect(fake.requests).toHaveLength(3);
  });

  it('answers a wrong context path (the server’s HTML 404) as not_found', async () => {
    const error = await failure(dc({ serverUrl: fake.url }).listRepositories());
    expect(error.kind).toBe('not_found');
  });
});

describe('Bitbucket Data Center: one repository and branches', () => {
  it('reads a repository with its default branch, and answers null for unknown repositories, projects and names', async () => {
    const api = dc();
    expect(await api.getRepository('DEV/network-monitor')).toMatchObject({ id: '1685', defaultBranch: 'develop', private: false });
    expect(await api.getRepository('dev/NETWORK-MONITOR')).toMatchObject({ id: '1685' });
    expect(await api.getRepository('~JDOE/dotfiles')).toMatchObject({ id: '1700', defaultBranch: 'master' });
    expect(await api.getRepository('DEV/empty')).toMatchObject({ id: '1701', defaultBranch: '' });
    expect(await api.getRepository('DEV/ghost')).toBeNull();
    expect(await api.getRepository('NOPE/ghost')).toBeNull();
    expect(await api.getRepository('not-a-full-name')).toBeNull();
  });

  it('reads the default branch from /branches/default on servers before 7.5', async () => {
    const old = new FakeBitbucketDatacenter({ defaultBranchEndpoint: false });
    await old.start();
    try {
      old.addToken(TOKEN);
      old.setRepositories([
        { slug: 'app', project: 'OPS', defaultBranch: 'trunk' },
        { slug: 'bare', project: 'OPS', defaultBranch: '' },
      ]);
      const http = new ForgeHttp({ forge: BITBUCKET_DATACENTER, guard: new UrlGuard(['127.0.0.1']), retryBaseMs: 1 });
      const api = createBitbucketDatacenterApi(http, { serverUrl: old.serverUrl, token: TOKEN, cacheScope: 'old' });
      expect((await api.getRepository('OPS/app'))?.defaultBranch).toBe('trunk');
      expect((await api.getRepository('OPS/bare'))?.defaultBranch).toBe('');
      expect(old.requests.map((r) => r.path)).toContain('/projects/OPS/repos/app/branches/default');
    } finally {
      await old.stop();
    }
  });

  it('refuses . and .. segments before any request (400)', async () => {
    const api = dc();
    await expect(api.getRepository('DEV/..')).rejects.toBeInstanceOf(FailureError);
    await expect(api.listBranches('../repos')).rejects.toBeInstanceOf(FailureError);
    expect(fake.requests).toHaveLength(0);
  });

  it.each([1, 25, 26, 2_500])('lists all %i branches with their latest commit', async (count) => {
    fake.setBranches('DEV/deployment-automation', count);
    fake.maxLimit = 500;
    const branches = await dc().listBranches('DEV/deployment-automation');
    expect(branches.map((b) => b.name)).toEqual(names(count, 'branch'));
    expect(branches.every((b) => /^[0-9a-f]{40}$/.test(b.commitSha))).toBe(true);
    expect(new Set(branches.map((b) => b.commitSha)).size).toBe(count);
    expect(fake.requests).toHaveLength(Math.ceil(count / 500));
    expect(fake.requests[0]).toMatchObject({
      path: '/projects/DEV/repos/deployment-automation/branches',
      query: { orderBy: 'ALPHABETICAL' },
    });
  });

  it('reports branches of an unknown repository as not_found', async () => {
    const error = await failure(dc().listBranches('DEV/ghost'));
    expect(error.kind).toBe('not_found');
  });

  it('reads one branch by its exact name (filterText is a substring match), slashes included', async () => {
    fake.setBranches('DEV/deployment-automation', [
      { name: 'main', commitSha: 'a'.repeat(40) },
      { name: 'feature/login', commitSha: 'b'.repeat(40) },
      { name: 'feature/login-v2', commitSha: 'c'.repeat(40) },
      { name: 'maintenance', commitSha: 'd'.repeat(40) },
    ]);
    const api = dc();
    expect(await api.getBranch('DEV/deployment-automation', 'main')).toEqual({ name: 'main', commitSha: 'a'.repeat(40) });
    expect(await api.getBranch('DEV/deployment-automation', 'feature/login')).toEqual({ name: 'feature/login', commitSha: 'b'.repeat(40) });
    expect(await api.getBranch('DEV/deployment-automation', 'feature')).toBeNull();
    expect(await api.getBranch('DEV/deployment-automation', 'nope')).toBeNull();
    expect(await api.getBranch('DEV/ghost', 'main')).toBeNull();
    expect(fake.requests.find((r) => r.query.filterText === 'feature/login')).toBeDefined();
  });
});

describe('Bitbucket Data Center: changed files', () => {
  const base = '1'.repeat(40);
  const head = '2'.repeat(40);

  it('reads every page of compare/changes (from = head, to = base), with both sides of moves', async () => {
    fake.maxLimit = 500;
    fake.setCompare('DEV/deployment-automation', base, head, [
      ...Array.from({ length: 1_200 }, (_, i) => ({ path: `src/file-${String(i).padStart(4, '0')}.ts` })),
      { path: 'new/name.ts', srcPath: 'old/name.ts' },
      { path: 'docker-compose.yml', type: 'ADD' },
    ]);
    const changed = await dc().changedFiles('DEV/deployment-automation', base, head);
    expect(changed.complete).toBe(true);
    expect(changed.files).toHaveLength(1_203);
    expect(changed.files).toEqual(
      expect.arrayContaining(['src/file-0000.ts', 'src/file-1199.ts', 'old/name.ts', 'new/name.ts', 'docker-compose.yml']),
    );
    expect(fake.requests).toHaveLength(3);
    expect(fake.requests[0]).toMatchObject({
      path: '/projects/DEV/repos/deployment-automation/compare/changes',
      query: { from: head, to: base },
    });
  });

  it('is incomplete for a new ref (all-zero base, no request) and for unknown commits (404)', async () => {
    const api = dc();
    expect(await api.changedFiles('DEV/deployment-automation', '0'.repeat(40), head)).toEqual({ files: [], complete: false });
    expect(fake.requests).toHaveLength(0);
    expect(await api.changedFiles('DEV/deployment-automation', head, base)).toEqual({ files: [], complete: false });
  });
});

describe('Bitbucket Data Center: webhooks', () => {
  it('creates one hook with the push and pull-request events and its secret, then reuses it updating the secret', async () => {
    const foreign = fake.addHook('DEV/deployment-automation', { url: 'https://ci.example.com/hook', secret: 'theirs' });
    const api = dc();

    const first = await api.ensureHook('DEV/deployment-automation', HOOK_URL, 'secret-one');
    const second = await api.ensureHook('DEV/deployment-automation', HOOK_URL, 'secret-two');

    expect(first.reused).toBe(false);
    expect(first.id).toMatch(/^\d+$/);
    expect(second).toEqual({ id: first.id, reused: true });
    const ours = fake.hooksOf('DEV/deployment-automation').filter((h) => h.url === HOOK_URL);
    expect(ours).toEqual([
      { id: Number(first.id), name: 'forgelink', url: HOOK_URL, active: true, events: [...HOOK_EVENTS], secret: 'secret-two' },
    ]);
    expect(HOOK_EVENTS).toEqual(['repo:refs_changed', 'pr:opened', 'pr:from_ref_updated', 'pr:merged', 'pr:declined', 'pr:deleted']);
    expect(fake.hooksOf('DEV/deployment-automation').find((h) => h.id === foreign.id)).toMatchObject({ secret: 'theirs' });
    expect(fake.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /projects/DEV/repos/deployment-automation/webhooks',
      `PUT /projects/DEV/repos/deployment-automation/webhooks/${first.id}`,
    ]);
  });

  it('re-activates a disabled hook with our URL and removes duplicates', async () => {
    const kept = fake.addHook('DEV/deployment-automation', { url: HOOK_URL, active: false, events: ['pr:opened'] });
    fake.addHook('DEV/deployment-automation', { url: HOOK_URL });
    const result = await dc().ensureHook('DEV/deployment-automation', HOOK_URL, 'fresh');
    expect(result).toEqual({ id: String(kept.id), reused: true });
    expect(fake.hooksOf('DEV/deployment-automation')).toEqual([
      expect.objectContaining({ id: kept.id, active: true, events: [...HOOK_EVENTS], secret: 'fresh' }),
    ]);
  });

  it('registers on a personal repository (~USER/slug)', async () => {
    await dc().ensureHook('~JDOE/dotfiles', HOOK_URL, 's');
    expect(fake.hooksOf('~JDOE/dotfiles')).toHaveLength(1);
    expect(fake.requests.at(-1)?.path).toBe('/projects/~JDOE/repos/dotfiles/webhooks');
  });

  it('removes every hook with the URL and tolerates missing hooks, repositories and projects', async () => {
    fake.addHook('DEV/deployment-automation', { url: HOOK_URL });
    fake.addHook('DEV/deployment-automation', { url: HOOK_URL });
    const foreign = fake.addHook('DEV/deployment-automation', { url: 'https://ci.example.com/hook' });
    const api = dc();

    await api.removeHook('DEV/deployment-automation', HOOK_URL);
    await api.removeHook('DEV/deployment-automation', HOOK_URL);
    await api.removeHook('DEV/ghost', HOOK_URL);
    await api.removeHook('NOPE/ghost', HOOK_URL);
    await api.removeHook('not-a-name', HOOK_URL);

    expect(fake.hooksOf('DEV/deployment-automation').map((h) => h.id)).toEqual([foreign.id]);
    expect(fake.requests.filter((r) => r.method === 'DELETE')).toHaveLength(2);
  });

  it('fails ensureHook on an unknown repository as not_found and refuses an empty secret', async () => {
    expect((await failure(dc().ensureHook('DEV/ghost', HOOK_URL, 'secret'))).kind).toBe('not_found');
    await expect(dc().ensureHook('DEV/deployment-automation', HOOK_URL, '')).rejects.toThrow(/secret/);
    expect(fake.hooksOf('DEV/deployment-automation')).toHaveLength(0);
  });

  it('reports a token without repository admin (401 AuthorisationException) as a refusal of that repository, not of the token', async () => {
    const reader = dc({ token: READ_TOKEN });
    expect(await reader.listRepositories()).toHaveLength(4);
    const error = await failure(reader.ensureHook('DEV/deployment-automation', HOOK_URL, 'secret'));
    expect(error.kind).toBe('resource_forbidden');
    expect(error.status).toBe(401);
    expect(error.resource).toBe('repository DEV/deployment-automation');
    expect(error.message).toContain('You are not permitted to access this resource');
    expect(fake.hooksOf('DEV/deployment-automation')).toHaveLength(0);
  });

  it('retries a failed hook listing but never the creation (the server may have stored the hook before failing)', async () => {
    fake.failNext(503, 1, {}, { path: '/webhooks', method: 'GET' });
    await dc().ensureHook('DEV/deployment-automation', HOOK_URL, 's');
    expect(fake.requests.filter((r) => r.method === 'GET').map((r) => r.status)).toEqual([503, 200]);

    fake.resetStats();
    fake.failNext(503, 1, {}, { path: '/webhooks', method: 'POST' });
    const error = await failure(dc().ensureHook('DEV/network-monitor', HOOK_URL, 's'));
    expect(error.kind).toBe('unavailable');
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });
});
