import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub, type FakeGitHubApp } from '../../fakes/github-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import {
  type Auth,
  DASHBOARD_URL,
  expectDashboard,
  expectProblem,
  PUBLIC_URL,
  stateIssuedAgo,
  strangerKey,
  summary,
  tamper,
  unique,
} from './support.js';

describe('e2e GitHub: API → real app → fake GitHub (GHES-style /api/v3)', () => {
  const fake = new FakeGitHub();
  let t: TestApp;
  let owner: { userId: string; auth: Auth };
  let organizationId: string;
  let app: FakeGitHubApp;
  const installationId = 31_337;
  let providerId: string;

  beforeAll(async () => {
    await fake.start();
    app = fake.addApp({ appId: 4_100 });
    fake.addInstallation(app.appId, installationId, 'acme');
    fake.setRepositories(installationId, 250);
    fake.setBranches('acme/repo-00001', 120);
    t = await startTestApp();
    const org = await seedOrganization(t.app, 'GitHub e2e');
    owner = org.owner;
    organizationId = org.organizationId;
    const created = await t.api.post('/v1/git-providers/github').set(owner.auth).send({
      name: 'GHES',
      githubUrl: fake.url,
      appId: app.appId,
      installationId,
      privateKey: app.privateKey,
      webhookSecret: app.webhookSecret,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    providerId = (created.body as { id: string }).id;
  });

  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });

  it('creates a ready provider whose summary carries no secret', async () => {
    const s = await summary(t, owner.auth, providerId);
    expect(s).toMatchObject({
      type: 'github',
      status: 'ready',
      github: {
        githubUrl: fake.url,
        appId: app.appId,
        installationId,
        hasPrivateKey: true,
        hasWebhookSecret: true,
        webhookUrl: `${PUBLIC_URL}/v1/webhooks/${providerId}`,
      },
    });
    const text = JSON.stringify(s);
    expect(text).not.toContain(app.webhookSecret);
    expect(text).not.toContain('PRIVATE KEY');
  });

  it('test-connection counts every page of the installation (250 repositories)', async () => {
    const res = await t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(owner.auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ ok: true, repositoryCount: 250, message: 'Found 250 repositories' });
    const listing = fake.requests.filter((r) => r.path === '/installation/repositories');
    expect(listing.length).toBeGreaterThanOrEqual(3);
  });

  it('mints one installation token for many concurrent calls and reuses it afterwards', async () => {
    fake.addInstallation(app.appId, 31_338, 'beta');
    fake.setRepositories(31_338, 120);
    const created = await t.api
      .post('/v1/git-providers/github')
      .set(owner.auth)
      .send({
        name: unique('tokens'),
        githubUrl: fake.url,
        appId: app.appId,
        installationId: 31_338,
        privateKey: app.privateKey,
        webhookSecret: 'whs',
      });
    const id = (created.body as { id: string }).id;
    const before = fake.tokenRequests;
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth)),
    );
    expect(answers.map((a) => a.body.repositoryCount)).toEqual(Array(10).fill(120));
    expect(fake.tokenRequests - before).toBe(1);
    expect((await t.api.get(`/v1/git-providers/${id}/repositories`).set(owner.auth)).body.total).toBe(120);
    expect(fake.tokenRequests - before).toBe(1);
  });

  it('lists repositories: all pages by default, then search, page and perPage with the filtered total', async () => {
    const all = await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth);
    expect(all.status).toBe(200);
    const items = (
      all.body as {
        items: {
          fullName: string;
          id: string | number;
          defaultBranch: string;
          private: boolean;
          owner: string;
          name: string;
          htmlUrl: string;
          cloneUrl: string;
        }[];
        total: number;
      }
    ).items;
    expect(all.body.total).toBe(250);
    expect(items).toHaveLength(250);
    expect(new Set(items.map((r) => r.fullName)).size).toBe(250);
    expect(items[0]).toMatchObject({
      fullName: 'acme/repo-00001',
      owner: 'acme',
      name: 'repo-00001',
      defaultBranch: 'main',
      private: true,
      htmlUrl: `${fake.url}/acme/repo-00001`,
      cloneUrl: `${fake.url}/acme/repo-00001.git`,
    });

    const searched = await t.api.get(`/v1/git-providers/${providerId}/repositories`).query({ search: 'REPO-0012' }).set(owner.auth);
    const expected = items.map((r) => r.fullName).filter((n) => n.includes('repo-0012'));
    expect(expected.length).toBe(10);
    expect(searched.body.total).toBe(expected.length);
    expect((searched.body.items as { fullName: string }[]).map((r) => r.fullName).sort()).toEqual(expected.sort());

    const page3 = await t.api.get(`/v1/git-providers/${providerId}/repositories`).query({ page: 3, perPage: 100 }).set(owner.auth);
    expect(page3.body.total).toBe(250);
    expect((page3.body.items as { fullName: string }[]).map((r) => r.fullName)).toEqual(items.slice(200).map((r) => r.fullName));
    const page2 = await t.api.get(`/v1/git-providers/${providerId}/repositories`).query({ page: 2, perPage: 7 }).set(owner.auth);
    expect((page2.body.items as { fullName: string }[]).map((r) => r.fullName)).toEqual(items.slice(7, 14).map((r) => r.fullName));

    const bad = await t.api.get(`/v1/git-providers/${providerId}/repositories`).query({ page: 0 }).set(owner.auth);
    expectProblem(bad, 400, 'VALIDATION_FAILED');
  });

  it('lists all 120 branches of a repository; an unknown repository is 404', async () => {
    const res = await t.api.get(`/v1/git-providers/${providerId}/branches`).query({ repository: 'acme/repo-00001' }).set(owner.auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const branches = res.body.items as { name: string; commitSha: string }[];
    expect(res.body.total).toBe(120);
    expect(branches).toHaveLength(120);
    expect(new Set(branches.map((b) => b.name)).size).toBe(120);
    expect(branches[0]).toMatchObject({ name: 'main', commitSha: expect.stringMatching(/^[0-9a-f]{40}$/) });
    const paged = await t.api
      .get(`/v1/git-providers/${providerId}/branches`)
      .query({ repository: 'acme/repo-00001', search: 'branch-01', perPage: 5, page: 2 })
      .set(owner.auth);
    expect(paged.body.total).toBe(branches.filter((b) => b.name.includes('branch-01')).length);
    expect(paged.body.items).toHaveLength(5);

    const unknown = await t.api.get(`/v1/git-providers/${providerId}/branches`).query({ repository: 'acme/nope' }).set(owner.auth);
    expectProblem(unknown, 404, 'NOT_FOUND');
  });

  it('maps a forge 429 to 429 FORGE_RATE_LIMITED with Retry-After', async () => {
    fake.failNext(429, 1, { 'retry-after': '42' }, { path: '/installation/repositories' });
    const res = await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth);
    const problem = expectProblem(res, 429, 'FORGE_RATE_LIMITED');
    expect(res.headers['retry-after']).toBe('42');
    expect(problem.detail).toContain('GitHub');
  });

  it("maps GitHub's primary rate limit (403, x-ratelimit-remaining: 0) to 429 with Retry-After until the reset", async () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    fake.failNext(403, 1, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }, { path: '/installation/repositories' });
    const res = await t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(owner.auth);
    expectProblem(res, 429, 'FORGE_RATE_LIMITED');
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(110);
    expect(retryAfter).toBeLessThanOrEqual(121);
    expect((await summary(t, owner.auth, providerId)).status).toBe('ready');
  });

  it('maps a persistent forge 5xx to 502 FORGE_ERROR naming GitHub and the status', async () => {
    // Every attempt forgelink makes (the first and its two retries) meets a 502.
    const mark = fake.requests.length;
    fake.failNext(502, 3, {}, { path: '/installation/repositories' });
    const res = await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth);
    const problem = expectProblem(res, 502, 'FORGE_ERROR');
    expect(problem.detail).toContain('GitHub');
    expect(problem.detail).toContain('502');
    expect(fake.requests.slice(mark).filter((r) => r.status === 502)).toHaveLength(3);
    const ok = await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth);
    expect(ok.status).toBe(200);
    expect((await summary(t, owner.auth, providerId)).status).toBe('ready');
  });

  it('maps malformed forge JSON to 502 FORGE_ERROR', async () => {
    fake.failNext(200, 1, {}, { path: '/installation/repositories', rawBody: '{"total_count": 3, "repositories": [' });
    const res = await t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(owner.auth);
    const problem = expectProblem(res, 502, 'FORGE_ERROR');
    expect(problem.detail).toContain('GitHub');
    expect(problem.detail).toMatch(/not JSON/);
  });

  it('a forge 401 (key GitHub no longer accepts) explains what to do and marks the provider needs_reauthorization', async () => {
    const created = await t.api
      .post('/v1/git-providers/github')
      .set(owner.auth)
      .send({
        name: unique('rotated-key'),
        githubUrl: fake.url,
        appId: app.appId,
        installationId,
        privateKey: strangerKey(),
        webhookSecret: 'whs',
      });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    const res = await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth);
    const problem = expectProblem(res, 422, 'PROVIDER_NOT_READY');
    expect(problem.detail).toContain('GitHub');
    expect(problem.detail).toMatch(/credentials|private key/i);
    expect((await summary(t, owner.auth, id)).status).toBe('needs_reauthorization');

    // Fixing the key makes it work again and the status recovers.
    const patched = await t.api.patch(`/v1/git-providers/${id}/github`).set(owner.auth).send({ privateKey: app.privateKey });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const retry = await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth);
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect((await summary(t, owner.auth, id)).status).toBe('ready');
  });

  it('an installation GitHub does not know (app uninstalled) makes the listing 422 with what to do, not a 404 that reads as "no such provider"', async () => {
    const created = await t.api
      .post('/v1/git-providers/github')
      .set(owner.auth)
      .send({
        name: unique('uninstalled'),
        githubUrl: fake.url,
        appId: app.appId,
        installationId: 999_001,
        privateKey: app.privateKey,
        webhookSecret: 'whs',
      });
    const id = (created.body as { id: string }).id;
    const test = expectProblem(await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth), 422, 'PROVIDER_NOT_READY');
    expect(test.detail).toContain('999001');
    expect(test.detail).toMatch(/install/i);
    expectProblem(await t.api.get(`/v1/git-providers/${id}/repositories`).set(owner.auth), 422, 'PROVIDER_NOT_READY');
    const fixed = await t.api.patch(`/v1/git-providers/${id}/github`).set(owner.auth).send({ installationId });
    expect(fixed.status).toBe(200);
    expect((await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth)).body).toMatchObject({
      ok: true,
      repositoryCount: 250,
    });
    expect((await summary(t, owner.auth, id)).status).toBe('ready');
  });

  it('connecting a service source checks that the repository and branch exist on GitHub', async () => {
    const put = (serviceId: string, repository: string, branch: string) =>
      t.api.put(`/v1/services/application/${serviceId}/source`).set(owner.auth).send({ providerId, repository, branch });
    expectProblem(await put(unique('svc'), 'acme/does-not-exist', 'main'), 422, 'PROVIDER_NOT_READY');
    expectProblem(await put(unique('svc'), 'acme/repo-00001', 'no-such-branch'), 422, 'PROVIDER_NOT_READY');
    const serviceId = unique('svc');
    const ok = await put(serviceId, 'acme/repo-00001', 'branch-0042');
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({
      sourceType: 'git',
      providerId,
      providerType: 'github',
      repository: 'acme/repo-00001',
      branch: 'branch-0042',
      organizationId,
    });
  });

  it('never wrote a private key, webhook secret or installation token to the logs', () => {
    const logs = t.logs();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain('PRIVATE KEY');
    expect(logs).not.toContain(app.webhookSecret);
    expect(logs).not.toMatch(/ghs_[0-9a-f]{8}/);
  });

  describe('manifest flow: create the app on GitHub, then install it', () => {
    it('walks manifest → conversion → installation → ready, with single-use states', async () => {
      const name = unique('manifest');
      const started = await t.api.post('/v1/git-providers/github/manifest').set(owner.auth).send({ name, githubUrl: fake.url });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const {
        providerId: id,
        postUrl,
        manifest,
        state,
      } = started.body as { providerId: string; postUrl: string; manifest: Record<string, unknown>; state: string };
      expect(manifest).toMatchObject({
        hook_attributes: { url: `${PUBLIC_URL}/v1/webhooks/${id}`, active: true },
        redirect_url: `${PUBLIC_URL}/v1/callbacks/github/manifest`,
        setup_url: `${PUBLIC_URL}/v1/callbacks/github/install`,
        default_permissions: { contents: 'read', metadata: 'read', statuses: 'write' },
        public: false,
      });
      expect(manifest.default_events).toEqual(expect.arrayContaining(['push']));
      const post = new URL(postUrl);
      expect(`${post.origin}${post.pathname}`).toBe(`${fake.url}/settings/apps/new`);
      expect(post.searchParams.get('state')).toBe(state);
      const beforeApp = await summary(t, owner.auth, id);
      expect(beforeApp.status).toBe('pending_authorization');
      // appId is an integer whenever present: before the app exists it is absent, not null.
      expect(beforeApp.github).not.toHaveProperty('appId');

      // A forged or expired manifest state converts nothing.
      const created = fake.addApp({ appId: 4_200, slug: 'forgelink-acme' });
      fake.addManifestCode('manifest-code-1', created.appId);
      const conversions = () => fake.requests.filter((r) => r.path.startsWith('/app-manifests/')).length;
      const before = conversions();
      expectProblem(
        await t.api
          .get('/v1/callbacks/github/manifest')
          .query({ code: 'manifest-code-1', state: tamper(state) })
          .redirects(0),
        400,
        'INVALID_STATE',
      );
      const expired = stateIssuedAgo({ purpose: 'github-manifest', providerId: id, userId: owner.userId, organizationId }, 11 * 60_000);
      expectProblem(
        await t.api.get('/v1/callbacks/github/manifest').query({ code: 'manifest-code-1', state: expired }).redirects(0),
        400,
        'INVALID_STATE',
      );
      expect(conversions()).toBe(before);

      // What GitHub does after the user confirms: redirect_url?code&state.
      const back = await t.api.get('/v1/callbacks/github/manifest').query({ code: 'manifest-code-1', state }).redirects(0);
      expect(back.status, JSON.stringify(back.body)).toBe(302);
      expectDashboard(back.headers.location, id, 'ok');
      expect(conversions()).toBe(before + 1);
      const again = await t.api.get('/v1/callbacks/github/manifest').query({ code: 'manifest-code-1', state }).redirects(0);
      expectProblem(again, 400, 'INVALID_STATE');
      expect(conversions()).toBe(before + 1);

      const pending = await summary(t, owner.auth, id);
      expect(pending).toMatchObject({
        status: 'pending_installation',
        github: { appId: created.appId, appSlug: 'forgelink-acme', hasPrivateKey: true, hasWebhookSecret: true },
      });
      expect(JSON.stringify(pending)).not.toContain(created.webhookSecret);
      const installUrl = new URL(pending.github?.installUrl ?? '');
      expect(`${installUrl.origin}${installUrl.pathname}`).toBe(`${created.htmlUrl}/installations/new`);
      const installState = installUrl.searchParams.get('state') ?? '';
      expect(installState).not.toBe('');
      expectProblem(await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth), 422, 'PROVIDER_NOT_READY');

      // The manifest state cannot stand in for the install state, nor can a tampered one.
      expectProblem(
        await t.api.get('/v1/callbacks/github/install').query({ installation_id: 777, setup_action: 'install', state }).redirects(0),
        400,
        'INVALID_STATE',
      );
      expectProblem(
        await t.api
          .get('/v1/callbacks/github/install')
          .query({ installation_id: 777, setup_action: 'install', state: tamper(installState) })
          .redirects(0),
        400,
        'INVALID_STATE',
      );
      expect((await summary(t, owner.auth, id)).github?.installationId).toBeUndefined();

      fake.addInstallation(created.appId, 777, 'acme-two');
      fake.setRepositories(777, 3);
      const installed = await t.api
        .get('/v1/callbacks/github/install')
        .query({ installation_id: 777, setup_action: 'install', state: installState })
        .redirects(0);
      expect(installed.status, JSON.stringify(installed.body)).toBe(302);
      expect(installed.headers.location).toContain(DASHBOARD_URL);
      expectDashboard(installed.headers.location, id, 'ok');
      expect(await summary(t, owner.auth, id)).toMatchObject({ status: 'ready', github: { installationId: 777, appId: created.appId } });
      expectProblem(
        await t.api
          .get('/v1/callbacks/github/install')
          .query({ installation_id: 778, setup_action: 'install', state: installState })
          .redirects(0),
        400,
        'INVALID_STATE',
      );

      const test = await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth);
      expect(test.status, JSON.stringify(test.body)).toBe(200);
      expect(test.body).toEqual({ ok: true, repositoryCount: 3, message: 'Found 3 repositories' });
    });
  });
});

describe('e2e GitHub: Apps set up by hand (installUrl from GET /app) and same-host GHES (internalUrl)', () => {
  const fake = new FakeGitHub();
  let t: TestApp;
  let owner: { userId: string; auth: Auth };

  beforeAll(async () => {
    await fake.start();
    t = await startTestApp();
    owner = (await seedOrganization(t.app, 'GitHub by hand and GHES')).owner;
  });
  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });

  it('learns the slug and page at create, installs through installUrl, and drops them when the app changes to one GitHub does not know', async () => {
    const app = fake.addApp({ appId: 4_700, slug: 'acme-deployer' });
    fake.addInstallation(app.appId, 47_001, 'acme');
    fake.setRepositories(47_001, 3);
    const created = await t.api
      .post('/v1/git-providers/github')
      .set(owner.auth)
      .send({
        name: unique('by-hand'),
        githubUrl: fake.url,
        appId: app.appId,
        privateKey: app.privateKey,
        webhookSecret: app.webhookSecret,
      });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ status: 'pending_installation', github: { appSlug: 'acme-deployer' } });
    const installUrl = new URL(created.body.github.installUrl as string);
    expect(installUrl.pathname).toMatch(/\/acme-deployer\/installations\/new$/);
    expect(fake.requests.some((r) => r.method === 'GET' && r.path === '/app')).toBe(true);

    const install = await t.api
      .get('/v1/callbacks/github/install')
      .query({ installation_id: 47_001, setup_action: 'install', state: installUrl.searchParams.get('state') });
    expect(install.status, JSON.stringify(install.body)).toBe(302);
    expect((await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth)).body).toMatchObject({
      ok: true,
      repositoryCount: 3,
    });

    const moved = await t.api.patch(`/v1/git-providers/${id}/github`).set(owner.auth).send({ appId: 4_799 });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.github).not.toHaveProperty('appSlug');
    expect(moved.body.github).not.toHaveProperty('installUrl');
  });

  it('GHES on the same host: the manifest flow sends the browser to the public URL and converts the code on the internal one', async () => {
    // github.internal is refused by the SSRF guard by name: accepted only because forgelink never calls it.
    const started = await t.api
      .post('/v1/git-providers/github/manifest')
      .set(owner.auth)
      .send({ name: unique('ghes'), githubUrl: 'https://github.internal', internalUrl: fake.url });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const post = new URL(started.body.postUrl as string);
    expect(`${post.origin}${post.pathname}`).toBe('https://github.internal/settings/apps/new');
    const app = fake.addApp({ appId: 4_900, slug: 'ghes-app' });
    fake.addManifestCode('ghes-code', app.appId);
    const back = await t.api.get('/v1/callbacks/github/manifest').query({ code: 'ghes-code', state: started.body.state }).redirects(0);
    expect(back.status, JSON.stringify(back.body)).toBe(302);
    expectDashboard(back.headers.location, started.body.providerId as string, 'ok');
    expect(await summary(t, owner.auth, started.body.providerId as string)).toMatchObject({
      status: 'pending_installation',
      github: { githubUrl: 'https://github.internal', internalUrl: fake.url, appId: 4_900, appSlug: 'ghes-app', hasPrivateKey: true },
    });
    expect(fake.requests.some((r) => r.path === '/app-manifests/ghes-code/conversions')).toBe(true);
  });
});
