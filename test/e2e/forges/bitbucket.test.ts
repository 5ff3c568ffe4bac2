import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { type Auth, expectProblem, summary, unique } from './support.js';

describe('e2e Bitbucket Cloud: API token, listing, errors', () => {
  const fake = new FakeBitbucket();
  let t: TestApp;
  let owner: { userId: string; auth: Auth };
  let providerId: string;

  const create = async (apiToken: string) => {
    const res = await t.api
      .post('/v1/git-providers/bitbucket')
      .set(owner.auth)
      .send({ name: unique('bitbucket'), username: 'dev', email: 'dev@acme.test', workspace: 'acme', apiToken });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return (res.body as { id: string }).id;
  };

  beforeAll(async () => {
    await fake.start();
    fake.addApiToken('dev@acme.test', 'ATATT-good-token');
    fake.setRepositories('acme', 250);
    fake.setBranches('acme/repo-00001', 120);
    t = await startTestApp({ bitbucketApiUrl: fake.apiUrl });
    owner = (await seedOrganization(t.app, 'Bitbucket e2e')).owner;
    providerId = await create('ATATT-good-token');
  });

  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });

  it('is ready at once and test-connection counts every page (250)', async () => {
    const s = await summary(t, owner.auth, providerId);
    expect(s).toMatchObject({ status: 'ready', bitbucket: { authMethod: 'api_token', hasCredentials: true } });
    expect(JSON.stringify(s)).not.toContain('ATATT');
    const res = await t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(owner.auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ ok: true, repositoryCount: 250, message: 'Found 250 repositories' });
    expect(fake.requests.filter((r) => r.path === '/repositories/acme').every((r) => r.user === 'dev@acme.test')).toBe(true);
  });

  it('lists repositories (search, page, perPage) and 120 branches; unknown repository → 404', async () => {
    const all = await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth);
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(250);
    const names = (all.body.items as { fullName: string }[]).map((r) => r.fullName);
    expect(new Set(names).size).toBe(250);
    const searched = await t.api
      .get(`/v1/git-providers/${providerId}/repositories`)
      .query({ search: 'repo-002', page: 1, perPage: 4 })
      .set(owner.auth);
    expect(searched.body.total).toBe(names.filter((n) => n.includes('repo-002')).length);
    expect(searched.body.items).toHaveLength(4);

    const branches = await t.api.get(`/v1/git-providers/${providerId}/branches`).query({ repository: 'acme/repo-00001' }).set(owner.auth);
    expect(branches.status, JSON.stringify(branches.body)).toBe(200);
    expect(branches.body.total).toBe(120);
    expect(new Set((branches.body.items as { name: string }[]).map((b) => b.name)).size).toBe(120);
    expectProblem(
      await t.api.get(`/v1/git-providers/${providerId}/branches`).query({ repository: 'acme/missing' }).set(owner.auth),
      404,
      'NOT_FOUND',
    );
  });

  it('maps 429 with Retry-After and a persistent 5xx naming Bitbucket', async () => {
    fake.failNext(429, 1, { 'retry-after': '11' });
    const limited = await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth);
    expectProblem(limited, 429, 'FORGE_RATE_LIMITED');
    expect(limited.headers['retry-after']).toBe('11');
    fake.failNext(500, 3);
    const failed = expectProblem(await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth), 502, 'FORGE_ERROR');
    expect(failed.detail).toContain('Bitbucket');
    expect(failed.detail).toContain('500');
    expect((await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth)).status).toBe(200);
  });

  it('a 401 for a wrong token explains what to do and flags needs_reauthorization until the token is fixed', async () => {
    const id = await create('ATATT-revoked');
    const res = await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth);
    const problem = expectProblem(res, 422, 'PROVIDER_NOT_READY');
    expect(problem.detail).toContain('Bitbucket');
    expect(problem.detail).toMatch(/credentials/i);
    expect((await summary(t, owner.auth, id)).status).toBe('needs_reauthorization');
    expect((await t.api.patch(`/v1/git-providers/${id}/bitbucket`).set(owner.auth).send({ apiToken: 'ATATT-good-token' })).status).toBe(
      200,
    );
    expect((await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth)).status).toBe(200);
    expect((await summary(t, owner.auth, id)).status).toBe('ready');
  });

  it('a 403 for a missing scope explains what to do and flags needs_reauthorization until a call works again', async () => {
    fake.addApiToken('scoped@acme.test', 'ATATT-webhooks-only', ['read:webhook:bitbucket']);
    const res = await t.api
      .post('/v1/git-providers/bitbucket')
      .set(owner.auth)
      .send({ name: unique('bitbucket'), username: 'dev', email: 'scoped@acme.test', workspace: 'acme', apiToken: 'ATATT-webhooks-only' });
    const id = (res.body as { id: string }).id;
    const problem = expectProblem(await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth), 422, 'PROVIDER_NOT_READY');
    // Bitbucket's own words, then what to do.
    expect(problem.detail).toContain('Your credentials lack one or more required privilege scopes.');
    expect(problem.detail).toMatch(/lacks a scope .*PATCH apiToken/);
    expect((await summary(t, owner.auth, id)).status).toBe('needs_reauthorization');
    // The user grants the scope on Atlassian's side; the next successful call clears the flag.
    fake.addApiToken('scoped@acme.test', 'ATATT-webhooks-only', ['read:webhook:bitbucket', 'read:repository:bitbucket']);
    expect((await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth)).status).toBe(200);
    expect((await summary(t, owner.auth, id)).status).toBe('ready');
  });

  it('a workspace Bitbucket does not know is 422 naming the workspace, not a 404 that reads as "no such provider"', async () => {
    const res = await t.api
      .post('/v1/git-providers/bitbucket')
      .set(owner.auth)
      .send({ name: unique('bitbucket'), username: 'dev', email: 'dev@acme.test', workspace: 'acme-typo', apiToken: 'ATATT-good-token' });
    const id = (res.body as { id: string }).id;
    const problem = expectProblem(await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth), 422, 'PROVIDER_NOT_READY');
    expect(problem.detail).toContain('acme-typo');
    expect((await t.api.patch(`/v1/git-providers/${id}/bitbucket`).set(owner.auth).send({ workspace: 'acme' })).status).toBe(200);
    expect((await t.api.get(`/v1/git-providers/${id}/repositories`).set(owner.auth)).body.total).toBe(250);
  });

  it('connecting a source checks the repository and branch on Bitbucket', async () => {
    const put = (repository: string, branch: string) =>
      t.api
        .put(`/v1/services/application/${unique('svc')}/source`)
        .set(owner.auth)
        .send({ providerId, repository, branch });
    expectProblem(await put('acme/missing', 'main'), 422, 'PROVIDER_NOT_READY');
    expectProblem(await put('acme/repo-00001', 'nope'), 422, 'PROVIDER_NOT_READY');
    const ok = await put('acme/repo-00001', 'branch-00007');
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({
      providerType: 'bitbucket',
      repository: 'acme/repo-00001',
      branch: 'branch-00007',
      webhook: { registered: true },
    });
  });

  it('never wrote the API token to the logs', () => {
    const logs = t.logs();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain('ATATT');
  });
});
