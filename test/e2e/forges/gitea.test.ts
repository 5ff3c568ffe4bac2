import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitea } from '../../fakes/gitea-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import {
  approveOnForge,
  type Auth,
  authorize,
  callback,
  expectProblem,
  PUBLIC_URL,
  stateIssuedAgo,
  summary,
  tamper,
  unique,
} from './support.js';

const REDIRECT_URI = `${PUBLIC_URL}/v1/callbacks/gitea`;

describe('e2e Gitea/Forgejo: OAuth2, listing past MAX_RESPONSE_ITEMS, states, errors', () => {
  const fake = new FakeGitea({ flavor: 'forgejo', maxResponseItems: 50 });
  let t: TestApp;
  let owner: { userId: string; auth: Auth };
  let organizationId: string;
  let providerId: string;
  let client = 0;

  const create = async (): Promise<{ id: string; authorizeUrl: string }> => {
    const clientId = `gitea-app-${++client}`;
    fake.addApplication({ clientId, clientSecret: `secret-${clientId}`, redirectUri: REDIRECT_URI });
    const res = await t.api
      .post('/v1/git-providers/gitea')
      .set(owner.auth)
      .send({ name: unique('forgejo'), giteaUrl: fake.url, clientId, clientSecret: `secret-${clientId}` });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; authorizeUrl: string };
  };

  beforeAll(async () => {
    await fake.start();
    fake.setRepositories(150);
    fake.setBranches('alice/repo-1', 120);
    t = await startTestApp();
    const org = await seedOrganization(t.app, 'Gitea e2e');
    owner = org.owner;
    organizationId = org.organizationId;
  });

  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });

  it('authorises through /login/oauth/authorize and becomes ready', async () => {
    const created = await create();
    providerId = created.id;
    expect(await summary(t, owner.auth, providerId)).toMatchObject({
      status: 'pending_authorization',
      gitea: { giteaUrl: fake.url, redirectUri: REDIRECT_URI, hasClientSecret: true, hasTokens: false },
    });
    const url = new URL(created.authorizeUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${fake.url}/login/oauth/authorize`);
    const exchanges = fake.tokenExchangeCount;
    await authorize(t, 'gitea', created.authorizeUrl, providerId);
    expect(fake.tokenExchangeCount).toBe(exchanges + 1);
    expect(await summary(t, owner.auth, providerId)).toMatchObject({
      status: 'ready',
      gitea: { hasTokens: true, tokenExpiresAt: expect.any(String) },
    });
  });

  it('test-connection counts all 150 repositories although the server caps pages at 50', async () => {
    const res = await t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(owner.auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ ok: true, repositoryCount: 150, message: 'Found 150 repositories' });
  });

  it('lists repositories (search, page, perPage, total) and 120 branches; unknown repository → 404', async () => {
    const all = await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth);
    expect(all.status).toBe(200);
    const items = all.body.items as { fullName: string }[];
    expect(all.body.total).toBe(150);
    expect(new Set(items.map((r) => r.fullName)).size).toBe(150);
    const searched = await t.api
      .get(`/v1/git-providers/${providerId}/repositories`)
      .query({ search: 'acme/repo-1', perPage: 3, page: 2 })
      .set(owner.auth);
    const matching = items.map((r) => r.fullName).filter((n) => n.includes('acme/repo-1'));
    expect(searched.body.total).toBe(matching.length);
    expect((searched.body.items as { fullName: string }[]).map((r) => r.fullName)).toEqual(matching.slice(3, 6));

    const branches = await t.api.get(`/v1/git-providers/${providerId}/branches`).query({ repository: 'alice/repo-1' }).set(owner.auth);
    expect(branches.status, JSON.stringify(branches.body)).toBe(200);
    expect(branches.body.total).toBe(120);
    expect(new Set((branches.body.items as { name: string }[]).map((b) => b.name)).size).toBe(120);
    expectProblem(
      await t.api.get(`/v1/git-providers/${providerId}/branches`).query({ repository: 'alice/missing' }).set(owner.auth),
      404,
      'NOT_FOUND',
    );
  });

  it('refuses forged, expired and GitLab states on the Gitea callback without a token request', async () => {
    const created = await create();
    const { code, state } = await approveOnForge(created.authorizeUrl, 'gitea');
    const exchanges = fake.tokenExchangeCount;
    const claims = { providerId: created.id, userId: owner.userId, organizationId };
    expectProblem(await callback(t, 'gitea', { code, state: tamper(state) }), 400, 'INVALID_STATE');
    expectProblem(
      await callback(t, 'gitea', { code, state: stateIssuedAgo({ ...claims, purpose: 'gitea' }, 11 * 60_000) }),
      400,
      'INVALID_STATE',
    );
    expectProblem(await callback(t, 'gitea', { code, state: stateIssuedAgo({ ...claims, purpose: 'gitlab' }, 0) }), 400, 'INVALID_STATE');
    expectProblem(await callback(t, 'gitlab', { code, state }), 400, 'INVALID_STATE');
    expect(fake.tokenExchangeCount).toBe(exchanges);
    expect((await summary(t, owner.auth, created.id)).gitea?.hasTokens).toBe(false);
    const ok = await callback(t, 'gitea', { code, state });
    expect(ok.status).toBe(302);
    expectProblem(await callback(t, 'gitea', { code, state }), 400, 'INVALID_STATE');
    expect(fake.tokenExchangeCount).toBe(exchanges + 1);
  });

  it('refreshes an expiring token once for 12 concurrent calls (Forgejo refresh tokens are single-use)', async () => {
    fake.tokenLifetimeSeconds = 60;
    const created = await create();
    await authorize(t, 'gitea', created.authorizeUrl, created.id);
    fake.tokenLifetimeSeconds = 3600;
    fake.expireAccessTokens();
    const before = fake.refreshCount;
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => t.api.get(`/v1/git-providers/${created.id}/repositories`).set(owner.auth)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect(fake.refreshCount - before).toBe(1);
    expect((await summary(t, owner.auth, created.id)).status).toBe('ready');
  });

  it('a revoked grant answers 422 and needs_reauthorization; authorising again makes it ready', async () => {
    const clientId = `gitea-app-${++client}`;
    fake.addApplication({ clientId, clientSecret: `secret-${clientId}`, redirectUri: REDIRECT_URI });
    const res = await t.api
      .post('/v1/git-providers/gitea')
      .set(owner.auth)
      .send({ name: unique('forgejo'), giteaUrl: fake.url, clientId, clientSecret: `secret-${clientId}` });
    const created = res.body as { id: string; authorizeUrl: string };
    await authorize(t, 'gitea', created.authorizeUrl, created.id);
    expect((await t.api.post(`/v1/git-providers/${created.id}/test-connection`).set(owner.auth)).status).toBe(200);
    fake.revokeGrant(clientId);
    expectProblem(await t.api.get(`/v1/git-providers/${created.id}/repositories`).set(owner.auth), 422, 'PROVIDER_NOT_READY');
    expect((await summary(t, owner.auth, created.id)).status).toBe('needs_reauthorization');
    const again = await t.api.get(`/v1/git-providers/${created.id}/authorize-url`).set(owner.auth);
    await authorize(t, 'gitea', (again.body as { authorizeUrl: string }).authorizeUrl, created.id);
    expect((await summary(t, owner.auth, created.id)).status).toBe('ready');
    expect((await t.api.get(`/v1/git-providers/${created.id}/repositories`).set(owner.auth)).body.total).toBe(150);
  });

  it('maps 429 (Retry-After), persistent 5xx and malformed JSON', async () => {
    fake.failNext(429, 1, { 'retry-after': '9' }, { path: '/user/repos' });
    const limited = await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth);
    expectProblem(limited, 429, 'FORGE_RATE_LIMITED');
    expect(limited.headers['retry-after']).toBe('9');

    fake.failNext(500, 3, {}, { path: '/user/repos' });
    const failed = await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth);
    const problem = expectProblem(failed, 502, 'FORGE_ERROR');
    expect(problem.detail).toMatch(/Gitea|Forgejo/);
    expect(problem.detail).toContain('500');

    fake.failNext(200, 1, {}, { path: '/user/repos', body: '{"id": 1,' });
    expectProblem(await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth), 502, 'FORGE_ERROR');
    expect((await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth)).status).toBe(200);
  });

  it('never wrote a token or client secret to the logs', () => {
    const logs = t.logs();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toMatch(/gta_[0-9a-f]{8}|gtr_[0-9a-f]{8}|gtc_[0-9a-f]{8}|secret-gitea-app-/);
  });
});
