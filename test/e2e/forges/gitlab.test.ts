import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import {
  approveOnForge,
  type Auth,
  authorize,
  callback,
  expectDashboard,
  expectProblem,
  PUBLIC_URL,
  stateIssuedAgo,
  summary,
  tamper,
  unique,
} from './support.js';

const REDIRECT_URI = `${PUBLIC_URL}/v1/callbacks/gitlab`;

interface Created {
  id: string;
  authorizeUrl: string;
}

describe('e2e GitLab: OAuth, listing, states, token refresh, errors', () => {
  const fake = new FakeGitLab();
  let t: TestApp;
  let owner: { userId: string; auth: Auth };
  let member: { auth: Auth };
  let organizationId: string;
  let client = 0;

  /** A GitLab provider on `forge`, with its own OAuth application registered there. */
  const create = async (forge: FakeGitLab, extra: Record<string, unknown> = {}): Promise<Created & { clientId: string }> => {
    const clientId = `gitlab-app-${++client}`;
    forge.addApplication({ clientId, clientSecret: `secret-${clientId}`, redirectUri: REDIRECT_URI });
    const res = await t.api
      .post('/v1/git-providers/gitlab')
      .set(owner.auth)
      .send({ name: unique('gitlab'), gitlabUrl: forge.url, applicationId: clientId, secret: `secret-${clientId}`, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { ...(res.body as Created), clientId };
  };

  const repositories = (app: TestApp, id: string) => app.api.get(`/v1/git-providers/${id}/repositories`).set(owner.auth);

  beforeAll(async () => {
    await fake.start();
    fake.setProjects(250);
    fake.setBranches('acme/platform/svc-00001', 120);
    t = await startTestApp();
    const org = await seedOrganization(t.app, 'GitLab e2e');
    owner = org.owner;
    member = org.member;
    organizationId = org.organizationId;
  });

  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });

  describe('a same-host install: the browser uses gitlabUrl, forgelink uses internalUrl', () => {
    it('authorises on the public URL, exchanges and lists on the internal one; the public URL is not fetched', async () => {
      // gitlab.internal is refused by the SSRF guard by name: accepted here only because forgelink never calls it.
      const created = await create(fake, { gitlabUrl: 'https://gitlab.internal', internalUrl: fake.url });
      const authorizeUrl = new URL(created.authorizeUrl);
      expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe('https://gitlab.internal/oauth/authorize');
      expect(await summary(t, owner.auth, created.id)).toMatchObject({
        gitlab: { gitlabUrl: 'https://gitlab.internal', internalUrl: fake.url },
      });

      const exchanges = fake.tokenExchangeCount;
      const code = fake.issueCode(created.clientId, { redirectUri: REDIRECT_URI });
      const back = await callback(t, 'gitlab', { code, state: authorizeUrl.searchParams.get('state') ?? '' });
      expectDashboard(back.headers.location, created.id, 'ok');
      expect(fake.tokenExchangeCount).toBe(exchanges + 1);
      expect((await repositories(t, created.id)).body.total).toBe(250);

      // Dropping internalUrl puts the public URL under the guard, which refuses it.
      const dropped = await t.api.patch(`/v1/git-providers/${created.id}/gitlab`).set(owner.auth).send({ internalUrl: null });
      expectProblem(dropped, 400, 'VALIDATION_FAILED');
      expect(dropped.body.errors[0].path).toBe('body.gitlabUrl');
      const refused = await t.api
        .post('/v1/git-providers/gitlab')
        .set(owner.auth)
        .send({ name: unique('gitlab'), gitlabUrl: 'https://gitlab.internal', applicationId: 'x', secret: 'y' });
      expectProblem(refused, 400, 'VALIDATION_FAILED');
    });
  });

  describe('create → authorise → test-connection → repositories → branches', () => {
    let providerId: string;

    it('authorises through the fake GitLab and becomes ready', async () => {
      const created = await create(fake);
      providerId = created.id;
      const pending = await summary(t, owner.auth, providerId);
      expect(pending).toMatchObject({
        status: 'pending_authorization',
        gitlab: { gitlabUrl: fake.url, redirectUri: REDIRECT_URI, hasSecret: true, hasTokens: false },
      });
      const url = new URL(created.authorizeUrl);
      expect(`${url.origin}${url.pathname}`).toBe(`${fake.url}/oauth/authorize`);
      expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
      expectProblem(await repositories(t, providerId), 422, 'PROVIDER_NOT_READY');

      const exchanges = fake.tokenExchangeCount;
      await authorize(t, 'gitlab', created.authorizeUrl, providerId);
      expect(fake.tokenExchangeCount).toBe(exchanges + 1);
      const ready = await summary(t, owner.auth, providerId);
      expect(ready).toMatchObject({ status: 'ready', gitlab: { hasTokens: true } });
      expect(Date.parse(ready.gitlab?.tokenExpiresAt ?? '')).toBeGreaterThan(Date.now() + 3_600_000);
    });

    it('test-connection counts every page (250 projects across groups, subgroups and a user namespace)', async () => {
      const res = await t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(owner.auth);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ ok: true, repositoryCount: 250, message: 'Found 250 repositories' });
    });

    it('lists repositories with search, page, perPage and total', async () => {
      const all = await repositories(t, providerId);
      expect(all.status).toBe(200);
      const items = all.body.items as { fullName: string; owner: string; name: string }[];
      expect(all.body.total).toBe(250);
      expect(new Set(items.map((r) => r.fullName)).size).toBe(250);
      expect(items.map((r) => r.fullName)).toEqual(
        expect.arrayContaining(['acme/platform/svc-00001', 'user1/repo-00002', 'acme/app-00003']),
      );
      expect(items.find((r) => r.fullName === 'acme/platform/svc-00001')).toMatchObject({ name: 'svc-00001', owner: 'acme/platform' });

      const searched = await t.api
        .get(`/v1/git-providers/${providerId}/repositories`)
        .query({ search: 'platform/svc-001' })
        .set(owner.auth);
      const expected = items.filter((r) => r.fullName.includes('platform/svc-001')).map((r) => r.fullName);
      expect(expected.length).toBeGreaterThan(0);
      expect(searched.body.total).toBe(expected.length);
      expect((searched.body.items as { fullName: string }[]).map((r) => r.fullName).sort()).toEqual(expected.sort());

      const page = await t.api.get(`/v1/git-providers/${providerId}/repositories`).query({ page: 3, perPage: 40 }).set(owner.auth);
      expect(page.body.total).toBe(250);
      expect((page.body.items as { fullName: string }[]).map((r) => r.fullName)).toEqual(items.slice(80, 120).map((r) => r.fullName));
    });

    it('lists 120 branches of a subgroup project by its path; an unknown repository is 404', async () => {
      const res = await t.api
        .get(`/v1/git-providers/${providerId}/branches`)
        .query({ repository: 'acme/platform/svc-00001' })
        .set(owner.auth);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.total).toBe(120);
      const names = (res.body.items as { name: string; commitSha: string }[]).map((b) => b.name);
      expect(new Set(names).size).toBe(120);
      expect(names).toEqual(expect.arrayContaining(['main', 'feature/branch-001', 'feature/branch-119']));
      expectProblem(
        await t.api.get(`/v1/git-providers/${providerId}/branches`).query({ repository: 'acme/platform/nope' }).set(owner.auth),
        404,
        'NOT_FOUND',
      );
    });

    it('groupName narrows the listing to the group and its subgroups', async () => {
      const created = await create(fake, { groupName: 'acme/platform' });
      await authorize(t, 'gitlab', created.authorizeUrl, created.id);
      const res = await repositories(t, created.id);
      expect(res.status).toBe(200);
      const names = (res.body.items as { fullName: string }[]).map((r) => r.fullName);
      expect(names.length).toBe(84);
      expect(names.every((n) => n.startsWith('acme/platform/'))).toBe(true);
    });

    it('maps a forge 429 to 429 FORGE_RATE_LIMITED with Retry-After', async () => {
      fake.failNext(429, 1, { 'retry-after': '17' });
      const res = await repositories(t, providerId);
      const problem = expectProblem(res, 429, 'FORGE_RATE_LIMITED');
      expect(res.headers['retry-after']).toBe('17');
      expect(problem.detail).toContain('GitLab');
    });

    it('maps a persistent 5xx to 502 FORGE_ERROR naming GitLab, and malformed JSON to 502', async () => {
      const mark = fake.requests.length;
      fake.failNext(503, 3);
      const res = await repositories(t, providerId);
      const problem = expectProblem(res, 502, 'FORGE_ERROR');
      expect(problem.detail).toContain('GitLab');
      expect(problem.detail).toContain('503');
      expect(fake.requests.slice(mark).filter((r) => r.status === 503)).toHaveLength(3);

      fake.answerNextRaw('<html>502 Bad Gateway</html>');
      const malformed = await t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(owner.auth);
      expect(expectProblem(malformed, 502, 'FORGE_ERROR').detail).toContain('GitLab');

      expect((await repositories(t, providerId)).status).toBe(200);
      expect((await summary(t, owner.auth, providerId)).status).toBe('ready');
    });

    it('a member who cannot see the provider gets 404 from every forge read, until it is shared', async () => {
      const calls = () => [
        t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(member.auth),
        t.api.get(`/v1/git-providers/${providerId}/repositories`).set(member.auth),
        t.api.get(`/v1/git-providers/${providerId}/branches`).query({ repository: 'acme/platform/svc-00001' }).set(member.auth),
        t.api.get(`/v1/git-providers/${providerId}/authorize-url`).set(member.auth),
      ];
      for (const res of await Promise.all(calls())) expectProblem(res, 404, 'NOT_FOUND');
      expect(
        (await t.api.put(`/v1/git-providers/${providerId}/sharing`).set(owner.auth).send({ sharedWithOrganization: true })).status,
      ).toBe(200);
      const [test, repos] = await Promise.all(calls().slice(0, 2));
      expect(test?.status).toBe(200);
      expect(repos?.body.total).toBe(250);
      expect(
        (await t.api.put(`/v1/git-providers/${providerId}/sharing`).set(owner.auth).send({ sharedWithOrganization: false })).status,
      ).toBe(200);
    });

    it('connecting a service source checks the subgroup repository and branch on GitLab', async () => {
      const put = (serviceId: string, repository: string, branch: string) =>
        t.api.put(`/v1/services/compose/${serviceId}/source`).set(owner.auth).send({ providerId, repository, branch });
      expectProblem(await put(unique('svc'), 'acme/platform/missing', 'main'), 422, 'PROVIDER_NOT_READY');
      expectProblem(await put(unique('svc'), 'acme/platform/svc-00001', 'feature/nope'), 422, 'PROVIDER_NOT_READY');
      expect(fake.hooks('acme/platform/svc-00001')).toHaveLength(0);
      const ok = await put(unique('svc'), 'acme/platform/svc-00001', 'feature/branch-007');
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body).toMatchObject({
        sourceType: 'git',
        providerType: 'gitlab',
        repository: 'acme/platform/svc-00001',
        branch: 'feature/branch-007',
        organizationId,
        webhook: { registered: true },
      });
      expect(fake.hooks('acme/platform/svc-00001')).toHaveLength(1);
    });
  });

  describe('OAuth state: forged, expired, reused, wrong forge → 400 INVALID_STATE and no token request', () => {
    it('refuses every bad state before asking GitLab for tokens, and stores nothing', async () => {
      const created = await create(fake);
      const { code, state } = await approveOnForge(created.authorizeUrl, 'gitlab');
      const exchanges = fake.tokenExchangeCount;
      const claims = { purpose: 'gitlab' as const, providerId: created.id, userId: owner.userId, organizationId };

      expectProblem(await callback(t, 'gitlab', { code, state: tamper(state) }), 400, 'INVALID_STATE');
      expectProblem(await callback(t, 'gitlab', { code, state: 'not-a-state' }), 400, 'INVALID_STATE');
      expectProblem(await callback(t, 'gitlab', { code, state: stateIssuedAgo(claims, 11 * 60_000) }), 400, 'INVALID_STATE');
      expectProblem(await callback(t, 'gitea', { code, state }), 400, 'INVALID_STATE');
      expectProblem(await t.api.get('/v1/callbacks/gitlab').query({ code }).redirects(0), 400, 'INVALID_STATE');
      expectProblem(await t.api.get('/v1/callbacks/gitlab').query({ error: 'access_denied' }).redirects(0), 400, 'INVALID_STATE');
      expectProblem(
        await t.api
          .get('/v1/callbacks/gitlab')
          .query({ error: 'access_denied', state: tamper(state) })
          .redirects(0),
        400,
        'INVALID_STATE',
      );
      expect(fake.tokenExchangeCount).toBe(exchanges);
      expect(await summary(t, owner.auth, created.id)).toMatchObject({ status: 'pending_authorization', gitlab: { hasTokens: false } });

      // A state still inside its 10 minutes works once (the wrong-forge attempt did not burn it)…
      const fresh = stateIssuedAgo(claims, 9 * 60_000);
      const ok = await callback(t, 'gitlab', { code, state: fresh });
      expect(ok.status, JSON.stringify(ok.body)).toBe(302);
      expectDashboard(ok.headers.location, created.id, 'ok');
      expect(fake.tokenExchangeCount).toBe(exchanges + 1);
      expect(await summary(t, owner.auth, created.id)).toMatchObject({ status: 'ready', gitlab: { hasTokens: true } });

      // …and never twice, even with a brand-new code.
      const second = fake.issueCode(created.clientId, { redirectUri: REDIRECT_URI });
      expectProblem(await callback(t, 'gitlab', { code: second, state: fresh }), 400, 'INVALID_STATE');
      const original = await callback(t, 'gitlab', { code: second, state });
      expect(original.status).toBe(302);
      expectProblem(
        await callback(t, 'gitlab', { code: fake.issueCode(created.clientId, { redirectUri: REDIRECT_URI }), state }),
        400,
        'INVALID_STATE',
      );
      expect(fake.tokenExchangeCount).toBe(exchanges + 2);
    });
  });

  describe('OAuth callback outcomes other than success', () => {
    it('a denial (error=access_denied) burns the state and sends the browser back with status=error', async () => {
      const created = await create(fake);
      const state = new URL(created.authorizeUrl).searchParams.get('state') ?? '';
      const exchanges = fake.tokenExchangeCount;
      const denied = await t.api
        .get('/v1/callbacks/gitlab')
        .query({ error: 'access_denied', error_description: 'The resource owner denied the request.', state })
        .redirects(0);
      expect(denied.status).toBe(302);
      expectDashboard(denied.headers.location, created.id, 'error');
      expectProblem(
        await callback(t, 'gitlab', { code: fake.issueCode(created.clientId, { redirectUri: REDIRECT_URI }), state }),
        400,
        'INVALID_STATE',
      );
      expect(fake.tokenExchangeCount).toBe(exchanges);
      expect((await summary(t, owner.auth, created.id)).status).toBe('pending_authorization');
    });

    it('a code GitLab refuses sends the browser back with status=error and stores nothing', async () => {
      const created = await create(fake);
      const state = new URL(created.authorizeUrl).searchParams.get('state') ?? '';
      const back = await callback(t, 'gitlab', { code: 'code-gitlab-never-issued', state });
      expect(back.status).toBe(302);
      expectDashboard(back.headers.location, created.id, 'error');
      expect(await summary(t, owner.auth, created.id)).toMatchObject({ status: 'pending_authorization', gitlab: { hasTokens: false } });
    });

    it('the same callback delivered twice at once exchanges the code once', async () => {
      const created = await create(fake);
      const query = await approveOnForge(created.authorizeUrl, 'gitlab');
      const exchanges = fake.tokenExchangeCount;
      const answers = await Promise.all([callback(t, 'gitlab', query), callback(t, 'gitlab', query)]);
      expect(answers.map((a) => a.status).sort()).toEqual([302, 400]);
      expect(fake.tokenExchangeCount).toBe(exchanges + 1);
      expect((await summary(t, owner.auth, created.id)).status).toBe('ready');
    });
  });

  describe('token refresh', () => {
    const tokens = new FakeGitLab({ accessTokenTtlSeconds: 60 });
    let second: TestApp | undefined;

    beforeAll(async () => {
      await tokens.start();
      tokens.setProjects(12);
    });
    afterAll(async () => {
      await second?.close();
      await tokens.stop();
    });

    /** Authorised with a 60-second token, then dead on the forge (expired there): the first call meets a 401. */
    const expiredProvider = async (): Promise<string> => {
      tokens.options.accessTokenTtlSeconds = 60;
      const created = await create(tokens);
      await authorize(t, 'gitlab', created.authorizeUrl, created.id);
      const s = await summary(t, owner.auth, created.id);
      expect(Date.parse(s.gitlab?.tokenExpiresAt ?? '')).toBeLessThan(Date.now() + 120_000);
      tokens.options.accessTokenTtlSeconds = 7200;
      tokens.expireAccessTokens();
      return created.id;
    };

    it('20 concurrent calls with an expired token: all succeed after exactly one refresh', async () => {
      const id = await expiredProvider();
      const before = tokens.refreshCount;
      const answers = await Promise.all(Array.from({ length: 20 }, () => repositories(t, id)));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(answers.every((a) => a.body.total === 12)).toBe(true);
      expect(tokens.refreshCount - before).toBe(1);
      expect(tokens.invalidGrantCount).toBe(0);
      const s = await summary(t, owner.auth, id);
      expect(Date.parse(s.gitlab?.tokenExpiresAt ?? '')).toBeGreaterThan(Date.now() + 3_600_000);
      expect((await repositories(t, id)).status).toBe(200);
      expect(tokens.refreshCount - before).toBe(1);
    });

    it('two app instances on the same database sharing 20 calls: exactly one refresh', async () => {
      second = await startTestApp();
      const other = second;
      const id = await expiredProvider();
      const before = tokens.refreshCount;
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => repositories(i % 2 === 0 ? t : other, id)));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(tokens.refreshCount - before).toBe(1);
      expect(tokens.invalidGrantCount).toBe(0);
      expect((await summary(t, owner.auth, id)).status).toBe('ready');
    });

    it('a refresh GitLab answers with 500 is not retried (single-use refresh token), keeps the provider ready, and the next call refreshes', async () => {
      // A 1-second token, past its expiry when the call comes: forgelink refreshes before calling the API, so the
      // forced 500 hits the token request (the early-refresh margin is a fraction of the lifetime: a 60-second token
      // is no longer refreshed up front).
      tokens.options.accessTokenTtlSeconds = 1;
      const created = await create(tokens);
      await authorize(t, 'gitlab', created.authorizeUrl, created.id);
      tokens.options.accessTokenTtlSeconds = 7200;
      const id = created.id;
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const before = tokens.refreshCount;
      const mark = tokens.requests.length;
      tokens.failNext(500, 1);
      const res = await repositories(t, id);
      expect(expectProblem(res, 502, 'FORGE_ERROR').detail).toContain('GitLab');
      expect(tokens.requests.slice(mark).filter((r) => r.path === '/oauth/token')).toHaveLength(1);
      expect((await summary(t, owner.auth, id)).status).toBe('ready');
      expect((await repositories(t, id)).status).toBe(200);
      expect(tokens.refreshCount).toBe(before + 1);
    });

    it('a token answer without expires_in is never refreshed on its own, only once GitLab rejects it', async () => {
      tokens.options.omitExpiresIn = true;
      const created = await create(tokens);
      try {
        await authorize(t, 'gitlab', created.authorizeUrl, created.id);
      } finally {
        tokens.options.omitExpiresIn = false;
      }
      const s = await summary(t, owner.auth, created.id);
      expect(s).toMatchObject({ status: 'ready', gitlab: { hasTokens: true } });
      expect(s.gitlab?.tokenExpiresAt).toBeUndefined();
      const before = tokens.refreshCount;
      for (let i = 0; i < 4; i++) expect((await repositories(t, created.id)).status).toBe(200);
      expect(tokens.refreshCount).toBe(before);

      tokens.expireAccessTokens();
      expect((await repositories(t, created.id)).status).toBe(200);
      expect(tokens.refreshCount).toBe(before + 1);
    });

    it('a revoked grant answers 422 PROVIDER_NOT_READY, flags needs_reauthorization, and a new authorisation fixes it', async () => {
      const revoked = new FakeGitLab();
      await revoked.start();
      try {
        revoked.setProjects(5);
        const created = await create(revoked);
        await authorize(t, 'gitlab', created.authorizeUrl, created.id);
        expect((await repositories(t, created.id)).status).toBe(200);

        revoked.revokeGrant();
        const res = await repositories(t, created.id);
        const problem = expectProblem(res, 422, 'PROVIDER_NOT_READY');
        expect(problem.detail).toMatch(/authori[sz]e/i);
        // The very first answer already says where to start again.
        expect(problem.detail).toContain('/authorize-url');
        expect(await summary(t, owner.auth, created.id)).toMatchObject({ status: 'needs_reauthorization' });
        expectProblem(await t.api.post(`/v1/git-providers/${created.id}/test-connection`).set(owner.auth), 422, 'PROVIDER_NOT_READY');

        const again = await t.api.get(`/v1/git-providers/${created.id}/authorize-url`).set(owner.auth);
        expect(again.status).toBe(200);
        await authorize(t, 'gitlab', (again.body as { authorizeUrl: string }).authorizeUrl, created.id);
        expect(await summary(t, owner.auth, created.id)).toMatchObject({ status: 'ready', gitlab: { hasTokens: true } });
        const back = await repositories(t, created.id);
        expect(back.status).toBe(200);
        expect(back.body.total).toBe(5);
      } finally {
        await revoked.stop();
      }
    });
  });

  it('never wrote a token or client secret to the logs', () => {
    const logs = t.logs();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toMatch(/gloat-[0-9a-f]{8}|glrt-[0-9a-f]{8}|secret-gitlab-app-/);
  });
});
