import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../../fakes/github-server.js';
import { seedOrganization, startTestApp, type TestApp, type TestMember } from '../../support/app.js';
import { expectDashboard } from '../forges/support.js';
import { uniqueName } from '../core/support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;

/** Finding 3: the install callback stores an installation id only for a user who may change the provider, and only one GitHub vouches for. */
describe('GitHub install callback trusts the forge, not the browser (real app, fake GitHub)', () => {
  const github = new FakeGitHub();
  let t: TestApp;
  let org: Org;

  beforeAll(async () => {
    await github.start();
    t = await startTestApp();
    org = await seedOrganization(t.app, 'Install');
  });
  afterAll(async () => {
    await t?.close();
    await github.stop();
  });

  let appIds = 9100;
  /** A shared GitHub provider waiting for its installation; the app has installation `installationId` on the fake. */
  async function waiting(): Promise<{ id: string; installationId: number }> {
    const app = github.addApp({ appId: ++appIds });
    github.addInstallation(app.appId, appIds * 10);
    const res = await t.api
      .post('/v1/git-providers/github')
      .set(org.owner.auth)
      .send({ name: uniqueName('gh'), githubUrl: github.url, appId: app.appId, privateKey: app.privateKey, webhookSecret: 'whsec' });
    expect(res.status, res.text).toBe(201);
    expect(res.body.status).toBe('pending_installation');
    expect(
      (await t.api.put(`/v1/git-providers/${res.body.id}/sharing`).set(org.owner.auth).send({ sharedWithOrganization: true })).status,
    ).toBe(200);
    return { id: res.body.id as string, installationId: appIds * 10 };
  }

  async function installState(who: TestMember, id: string): Promise<string> {
    const res = await t.api.get(`/v1/git-providers/${id}`).set(who.auth);
    expect(res.status, res.text).toBe(200);
    return new URL(res.body.github.installUrl as string).searchParams.get('state') ?? '';
  }

  const install = (installationId: number, state: string) =>
    t.api.get('/v1/callbacks/github/install').query({ installation_id: installationId, setup_action: 'install', state }).redirects(0);

  async function unchanged(id: string): Promise<void> {
    const res = await t.api.get(`/v1/git-providers/${id}`).set(org.owner.auth);
    expect(res.body).toMatchObject({ status: 'pending_installation', version: 2 });
    expect(res.body.github.installationId).toBeUndefined();
  }

  it("a member's state (the member may read the shared provider, not change it) stores nothing: 302 status=error", async () => {
    const provider = await waiting();
    const before = github.requestCount;
    const back = await install(provider.installationId, await installState(org.member, provider.id));
    expect(back.status).toBe(302);
    expectDashboard(back.headers.location, provider.id, 'error');
    await unchanged(provider.id);
    expect(github.requestCount, 'refused before GitHub is asked').toBe(before);
  });

  it("an id that is not an installation of this App (unknown, or another App's) stores nothing and the status stays", async () => {
    const provider = await waiting();
    const other = github.addApp({ appId: 99_001 + appIds });
    github.addInstallation(other.appId, 424_242 + appIds);
    for (const foreign of [999_999, 424_242 + appIds]) {
      const back = await install(foreign, await installState(org.owner, provider.id));
      expect(back.status).toBe(302);
      expectDashboard(back.headers.location, provider.id, 'error');
      await unchanged(provider.id);
    }
  });

  it("the owner's state with the App's own installation: 302 ok and the provider is ready", async () => {
    const provider = await waiting();
    const back = await install(provider.installationId, await installState(org.admin, provider.id));
    expectDashboard(back.headers.location, provider.id, 'ok');
    const res = await t.api.get(`/v1/git-providers/${provider.id}`).set(org.owner.auth);
    expect(res.body).toMatchObject({ status: 'ready', github: { installationId: provider.installationId } });
  });
});
