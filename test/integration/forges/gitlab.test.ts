import { GITLAB } from '../../../src/forges/gitlab/gitlab-plugin.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ForgeError } from '../../../src/modules/git-providers/application/ports/forge.js';
import { ConditionalCache, ForgeHttp } from '../../../src/forges/shared/forge-http.js';
import { UrlGuard } from '../../../src/forges/shared/url-guard.js';
import { createGitLabApi } from '../../../src/forges/gitlab/gitlab-api.js';
import { FakeGitLab, undocumentedGitLabRequests } from '../../fakes/gitlab-server.js';

const guard = new UrlGuard(['127.0.0.1']);
const fake = new FakeGitLab();
let accessToken = '';
let tokenCalls = 0;

function api(options: { groupName?: string; guard?: UrlGuard; cache?: ConditionalCache } = {}) {
  const http = new ForgeHttp({
    forge: GITLAB,
    guard: options.guard ?? guard,
    cache: options.cache ?? new ConditionalCache(),
    retryBaseMs: 1,
  });
  return createGitLabApi(http, {
    gitlabUrl: fake.url,
    groupName: options.groupName,
    cacheScope: 'gitlab-test',
    accessToken: async () => {
      tokenCalls++;
      return accessToken;
    },
  });
}

async function forgeError(promise: Promise<unknown>): Promise<ForgeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ForgeError);
  return error as ForgeError;
}

const pageRequests = () => fake.apiRequests().filter((r) => r.template === 'GET /projects');

beforeAll(async () => {
  await fake.start();
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  accessToken = fake.issueAccessToken();
  fake.options.omitTotals = false;
  fake.options.latencyMs = 0;
  fake.clearLog();
  fake.clearFailures();
});

describe('GitLab listRepositories', () => {
  it.each([0, 1, 100, 101, 5000])('returns all %i projects exactly once, with the documented query', async (count) => {
    fake.setProjects(count);
    fake.options.latencyMs = count > 1000 ? 2 : 0;

    const repositories = await api().listRepositories();

    expect(repositories).toHaveLength(count);
    expect(new Set(repositories.map((r) => r.id)).size).toBe(count);
    expect(pageRequests()).toHaveLength(Math.max(1, Math.ceil(count / 100)));
    for (const request of pageRequests()) {
      expect(request.params).toMatchObject({ membership: 'true', per_page: '100' });
      expect(request.params).not.toHaveProperty('simple');
      expect(request.status).toBe(200);
    }
    if (count === 5000) expect(fake.maxInFlight).toBeGreaterThan(1);
  });

  it('still lists every project when GitLab omits the totals (over 10,000 items), following x-next-page one page at a time', async () => {
    fake.setProjects(5000);
    fake.options.omitTotals = true;
    fake.options.latencyMs = 1;

    const repositories = await api().listRepositories();

    expect(repositories).toHaveLength(5000);
    expect(new Set(repositories.map((r) => r.fullName)).size).toBe(5000);
    expect(pageRequests()).toHaveLength(50);
    expect(fake.maxInFlight).toBe(1);
    expect(pageRequests().map((r) => r.params.page ?? '1')).toEqual(Array.from({ length: 50 }, (_, i) => String(i + 1)));
  });

  it('ends after one request when 100 projects fill exactly one page and totals are absent', async () => {
    fake.setProjects(100);
    fake.options.omitTotals = true;
    expect(await api().listRepositories()).toHaveLength(100);
    expect(pageRequests()).toHaveLength(1);
  });

  it('includes group and subgroup projects with every path segment (Dokploy#1894)', async () => {
    fake.setProjects([
      { path: 'alice/dotfiles', visibility: 'public' },
      { path: 'acme/web', visibility: 'internal' },
      { path: 'acme/platform/team-a/api', defaultBranch: 'develop' },
      { path: 'someone-else/public-thing', visibility: 'public', member: false },
    ]);

    const repositories = await api().listRepositories();

    expect(repositories.map((r) => r.fullName).sort()).toEqual(['acme/platform/team-a/api', 'acme/web', 'alice/dotfiles']);
    const deep = repositories.find((r) => r.fullName === 'acme/platform/team-a/api');
    expect(deep).toMatchObject({
      owner: 'acme/platform/team-a',
      name: 'api',
      defaultBranch: 'develop',
      htmlUrl: `${fake.url}/acme/platform/team-a/api`,
      cloneUrl: `${fake.url}/acme/platform/team-a/api.git`,
      private: true,
    });
    expect(deep?.id).toMatch(/^\d+$/);
    // Listings carry the real visibility (the `simple` representation would hide it).
    expect(repositories.find((r) => r.fullName === 'acme/web')?.private).toBe(true);
    expect(repositories.find((r) => r.fullName === 'alice/dotfiles')?.private).toBe(false);
  });

  it('narrows to groupName and its subgroups by path prefix, case-insensitively', async () => {
    fake.setProjects(['acme/web', 'acme/platform/api', 'Acme/Platform/Deep/worker', 'acmeish/other', 'other/acme', 'user1/acme']);

    expect((await api({ groupName: 'acme' }).listRepositories()).map((r) => r.fullName).sort()).toEqual([
      'Acme/Platform/Deep/worker',
      'acme/platform/api',
      'acme/web',
    ]);
    expect((await api({ groupName: 'ACME/platform/' }).listRepositories()).map((r) => r.fullName).sort()).toEqual([
      'Acme/Platform/Deep/worker',
      'acme/platform/api',
    ]);
    expect(await api({ groupName: 'nothing' }).listRepositories()).toEqual([]);
  });

  it('sends If-None-Match on a repeat listing and serves the 304 from the cache', async () => {
    fake.setProjects(150);
    const cache = new ConditionalCache();
    const first = await api({ cache }).listRepositories();
    fake.clearLog();

    const second = await api({ cache }).listRepositories();

    expect(second).toEqual(first);
    expect(pageRequests().every((r) => r.ifNoneMatch?.startsWith('W/"'))).toBe(true);
    expect(fake.notModifiedCount).toBe(2);
  });

  it('asks the token getter before every request, so a refreshed token is picked up mid-listing', async () => {
    fake.setProjects(300);
    tokenCalls = 0;
    await api().listRepositories();
    expect(tokenCalls).toBe(pageRequests().length);
    expect(tokenCalls).toBe(3);
  });
});

describe('GitLab branches and repositories', () => {
  beforeEach(() => {
    fake.setProjects(['acme/platform/svc', 'acme/empty']);
  });

  it('lists 120 branches of a subgroup project across pages, addressing it by its encoded path', async () => {
    fake.setBranches('acme/platform/svc', [
      ...Array.from({ length: 119 }, (_, i) => `feature/b-${String(i).padStart(3, '0')}`),
      { name: 'main', protected: true },
    ]);

    const branches = await api().listBranches('acme/platform/svc');

    expect(branches).toHaveLength(120);
    expect(new Set(branches.map((b) => b.name)).size).toBe(120);
    expect(branches.find((b) => b.name === 'main')).toMatchObject({ protected: true, commitSha: expect.stringMatching(/^[0-9a-f]{40}$/) });
    const requests = fake.apiRequests().filter((r) => r.template === 'GET /projects/{id}/repository/branches');
    expect(requests).toHaveLength(2);
    expect(requests.every((r) => r.path === '/projects/acme%2Fplatform%2Fsvc/repository/branches')).toBe(true);
  });

  it('throws not_found for the branches of an unknown project', async () => {
    expect((await forgeError(api().listBranches('acme/nope'))).kind).toBe('not_found');
  });

  it('reads one branch (slashes encoded) and answers null for an unknown branch or project', async () => {
    fake.setBranches('acme/platform/svc', ['main', 'feature/login']);
    const branch = await api().getBranch('acme/platform/svc', 'feature/login');
    expect(branch?.name).toBe('feature/login');
    expect(fake.apiRequests().at(-1)?.path).toBe('/projects/acme%2Fplatform%2Fsvc/repository/branches/feature%2Flogin');
    expect(await api().getBranch('acme/platform/svc', 'feature/none')).toBeNull();
    expect(await api().getBranch('acme/none', 'main')).toBeNull();
  });

  it('reads one repository with its visibility and answers null when it is not visible', async () => {
    fake.setProjects([
      { path: 'acme/site', visibility: 'public' },
      { path: 'them/secret', member: false },
    ]);
    expect(await api().getRepository('acme/site')).toMatchObject({ fullName: 'acme/site', owner: 'acme', private: false });
    expect(await api().getRepository('them/secret')).toBeNull();
    expect(await api().getRepository('acme/missing')).toBeNull();
  });

  it('lists changed files from compare, with both paths of a rename', async () => {
    fake.setCompare('acme/platform/svc', 'aaa', 'bbb', {
      files: [
        'src/index.ts',
        { old_path: 'old/name.ts', new_path: 'new/name.ts', renamed_file: true },
        { old_path: 'gone.txt', new_path: 'gone.txt', deleted_file: true },
      ],
    });
    const changed = await api().changedFiles('acme/platform/svc', 'aaa', 'bbb');
    expect(changed.complete).toBe(true);
    expect([...changed.files].sort()).toEqual(['gone.txt', 'new/name.ts', 'old/name.ts', 'src/index.ts']);
  });

  it('marks compare results incomplete on compare_timeout or when the diff list hits the file cap', async () => {
    fake.setCompare('acme/platform/svc', 'a1', 'b1', { files: ['x'], timeout: true });
    expect((await api().changedFiles('acme/platform/svc', 'a1', 'b1')).complete).toBe(false);

    fake.setCompare('acme/platform/svc', 'a2', 'b2', { files: Array.from({ length: 1500 }, (_, i) => `f/${i}.txt`) });
    const capped = await api().changedFiles('acme/platform/svc', 'a2', 'b2');
    expect(capped.files).toHaveLength(1000);
    expect(capped.complete).toBe(false);
  });
});

describe('GitLab failures', () => {
  beforeEach(() => {
    fake.setProjects(3);
  });

  it('maps an expired access token to unauthorized', async () => {
    fake.expireAccessTokens();
    const error = await forgeError(api().listRepositories());
    expect(error).toMatchObject({ forge: 'gitlab', kind: 'unauthorized', status: 401 });
  });

  it('maps 429 to rate_limited with Retry-After, without retrying', async () => {
    fake.failNext(429, 1, { 'retry-after': '17' });
    const error = await forgeError(api().listRepositories());
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterSeconds: 17 });
    expect(fake.apiRequests()).toHaveLength(1);
  });

  it('retries a 503 and then succeeds', async () => {
    fake.failNext(503, 2);
    expect(await api().listRepositories()).toHaveLength(3);
    expect(fake.apiRequests().map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('gives up with unavailable when 5xx outlasts the retries', async () => {
    fake.failNext(502, 3);
    expect((await forgeError(api().listRepositories())).kind).toBe('unavailable');
    expect(fake.apiRequests().map((r) => r.status)).toEqual([502, 502, 502]);
  });

  it('maps an answer that is not JSON to bad_response', async () => {
    fake.answerNextRaw('<html>proxy error</html>');
    const error = await forgeError(api().listRepositories());
    expect(error.kind).toBe('bad_response');
    expect(error.message).toMatch(/not JSON/);
    expect(fake.apiRequests()).toHaveLength(1);
  });

  it('maps JSON of the wrong shape to bad_response', async () => {
    fake.answerNextRaw(JSON.stringify({ message: 'not a list' }));
    const error = await forgeError(api().listRepositories());
    expect(error.kind).toBe('bad_response');
    expect(error.message).toMatch(/unexpected shape/);
  });

  it('blocks a URL the SSRF guard does not allow, before any request reaches the forge', async () => {
    const error = await forgeError(api({ guard: new UrlGuard([]) }).listRepositories());
    expect(error.kind).toBe('blocked_url');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('GitLab project hooks', () => {
  const hookUrl = 'https://forgelink.example.com/v1/webhooks/prov-1';

  beforeEach(() => {
    fake.setProjects([{ path: 'acme/platform/svc' }, { path: 'acme/readonly', accessLevel: 30 }]);
  });

  it('creates a push + tag hook, then reuses it with the new token', async () => {
    const first = await api().ensureHook('acme/platform/svc', hookUrl, 'secret-one');
    const second = await api().ensureHook('acme/platform/svc', hookUrl, 'secret-two');

    expect(first.reused).toBe(false);
    expect(second).toEqual({ id: first.id, reused: true });
    const hooks = fake.hooks('acme/platform/svc');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({
      url: hookUrl,
      token: 'secret-two',
      push_events: true,
      tag_push_events: true,
      merge_requests_events: true,
      enable_ssl_verification: true,
    });
    expect(fake.hookLog.map((e) => e.action)).toEqual(['create', 'update']);
  });

  it('leaves hooks with other URLs alone and folds duplicates of ours into one', async () => {
    fake.addHook('acme/platform/svc', 'https://ci.example.com/hook', 'theirs');
    fake.addHook('acme/platform/svc', hookUrl, 'stale-1');
    fake.addHook('acme/platform/svc', hookUrl, 'stale-2');

    const registered = await api().ensureHook('acme/platform/svc', hookUrl, 'fresh');

    expect(registered.reused).toBe(true);
    const hooks = fake.hooks('acme/platform/svc');
    expect(hooks.map((h) => [h.url, h.token])).toEqual([
      ['https://ci.example.com/hook', 'theirs'],
      [hookUrl, 'fresh'],
    ]);
  });

  it('removes every hook with the URL; a missing hook or project is fine', async () => {
    fake.addHook('acme/platform/svc', 'https://ci.example.com/hook');
    await api().ensureHook('acme/platform/svc', hookUrl, 's');

    await api().removeHook('acme/platform/svc', hookUrl);
    await api().removeHook('acme/platform/svc', hookUrl);
    await api().removeHook('acme/gone', hookUrl);

    expect(fake.hooks('acme/platform/svc').map((h) => h.url)).toEqual(['https://ci.example.com/hook']);
  });

  it('reports a refusal of that project (not of the credentials) when the user is not a Maintainer of it', async () => {
    const error = await forgeError(api().ensureHook('acme/readonly', hookUrl, 's'));
    expect(error).toMatchObject({ kind: 'resource_forbidden', resource: 'project acme/readonly', status: 403 });
    expect(error.message).toContain('403 Forbidden');
    expect(fake.hooks('acme/readonly')).toHaveLength(0);
  });
});

describe('GitLab request hygiene', () => {
  it('uses only documented GitLab endpoints and parameters', async () => {
    fake.setProjects(120);
    fake.setBranches('acme/platform/svc-00001', 3);
    fake.setCompare('acme/platform/svc-00001', 'a', 'b', { files: ['x'] });
    const gitlab = api();
    await gitlab.listRepositories();
    await gitlab.listBranches('acme/platform/svc-00001');
    await gitlab.getRepository('acme/platform/svc-00001');
    await gitlab.getBranch('acme/platform/svc-00001', 'main');
    await gitlab.changedFiles('acme/platform/svc-00001', 'a', 'b');
    await gitlab.ensureHook('acme/platform/svc-00001', 'https://h.example.com/x', 's1');
    await gitlab.ensureHook('acme/platform/svc-00001', 'https://h.example.com/x', 's2');
    await gitlab.removeHook('acme/platform/svc-00001', 'https://h.example.com/x');

    const templates = new Set(fake.requests.map((r) => r.template));
    expect(templates).toEqual(
      new Set([
        'GET /projects',
        'GET /projects/{id}/repository/branches',
        'GET /projects/{id}',
        'GET /projects/{id}/repository/branches/{branch}',
        'GET /projects/{id}/repository/compare',
        'GET /projects/{id}/hooks',
        'POST /projects/{id}/hooks',
        'PUT /projects/{id}/hooks/{hook_id}',
        'DELETE /projects/{id}/hooks/{hook_id}',
      ]),
    );
    expect(undocumentedGitLabRequests(fake.requests)).toEqual([]);
    expect(fake.requests.filter((r) => r.status >= 400)).toEqual([]);
  });

  it('has a strict fake: undocumented query parameters are refused', async () => {
    const response = await fetch(`${fake.url}/api/v4/projects?membership=true&pagelen=100`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(response.status).toBe(400);
    expect(undocumentedGitLabRequests(fake.requests)).toEqual(['GET /projects: query parameter "pagelen" is not documented']);
  });
});
