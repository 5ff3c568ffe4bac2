import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { FakeGitea } from '../../fakes/gitea-server.js';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { signBitbucket, signGitLab, signGitea } from '../../support/webhook-signing.js';
import { fixtureBytes } from '../../unit/webhooks/fixtures.js';
import {
  type Auth,
  Db,
  FIXTURE_IDS,
  bitbucketProvider,
  connect,
  deliver,
  gitlabProvider,
  giteaProvider,
  newDeliveryId,
  serviceId,
} from './support.js';

const webhookUrl = (providerId: string): string => `http://forgelink.test/v1/webhooks/${providerId}`;

describe('repository hook registration against the fake forges', () => {
  let t: TestApp;
  let db: Db;
  let auth: Auth;
  const gitlab = new FakeGitLab();
  const gitea = new FakeGitea();
  const bitbucket = new FakeBitbucket();

  beforeAll(async () => {
    await Promise.all([gitlab.start(), gitea.start(), bitbucket.start()]);
    t = await startTestApp({ bitbucketApiUrl: bitbucket.apiUrl });
    db = new Db();
    auth = (await seedOrganization(t.app, 'Hooks')).owner.auth;
    gitlab.addProject({ path: 'mike/diaspora', defaultBranch: 'master', id: FIXTURE_IDS.gitlabDiaspora });
    gitlab.addProject({ path: 'acme/platform/api', defaultBranch: 'main', id: 103 });
    gitlab.addProject({ path: 'acme/readonly', defaultBranch: 'main', accessLevel: 30 });
    gitea.setRepositories([
      { owner: 'example', name: 'example', defaultBranch: 'master' },
      { owner: 'example', name: 'other', defaultBranch: 'main' },
      { owner: 'example', name: 'locked', defaultBranch: 'main', admin: false },
    ]);
    gitea.setBranches('example/example', [{ name: 'master' }]);
    gitea.setBranches('example/other', [{ name: 'main' }]);
    gitea.setBranches('example/locked', [{ name: 'main' }]);
    bitbucket.setRepositories('team_name', [{ slug: 'repo_name', uuid: FIXTURE_IDS.bitbucketRepoName }]);
    bitbucket.setBranches('team_name/repo_name', [{ name: 'name-of-branch' }]);
  });

  afterAll(async () => {
    await t?.close();
    await db?.close();
    await Promise.all([gitlab.stop(), gitea.stop(), bitbucket.stop()]);
  });

  const disconnect = async (id: string): Promise<void> => {
    const res = await t.api.delete(`/v1/services/application/${id}/source`).set(auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.webhook).toMatchObject({ registered: false });
  };

  it('GitLab: three services (connected at once) share ONE hook; it goes only when the last source disconnects', async () => {
    const { providerId } = await gitlabProvider(t, auth, gitlab);
    const services = [serviceId('gl-a'), serviceId('gl-b'), serviceId('gl-c')];
    const sources = await Promise.all(
      services.map((id) => connect(t, auth, id, { providerId, repository: 'mike/diaspora', branch: 'master' })),
    );
    for (const source of sources) expect(source.webhook).toMatchObject({ registered: true, url: webhookUrl(providerId) });

    const hooks = gitlab.hooks('mike/diaspora').filter((h) => h.url === webhookUrl(providerId));
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ push_events: true, tag_push_events: true });
    const token = hooks[0]?.token ?? '';
    expect(gitlab.hookLog.filter((e) => e.action === 'create' && e.url === webhookUrl(providerId))).toHaveLength(1);
    expect(await db.hookRows(providerId)).toEqual(['mike/diaspora']);

    // The stored secret is the one GitLab got: a delivery with it verifies.
    const body = fixtureBytes('gitlab', 'push-event.json');
    const ok = await deliver(t, providerId, body, signGitLab(body, token));
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    expect(ok.body.deployments).toBe(3);

    await disconnect(services[0] as string);
    await disconnect(services[1] as string);
    expect(gitlab.hooks('mike/diaspora').filter((h) => h.url === webhookUrl(providerId))).toHaveLength(1);
    await disconnect(services[2] as string);
    expect(gitlab.hooks('mike/diaspora').filter((h) => h.url === webhookUrl(providerId))).toEqual([]);
    expect(await db.hookRows(providerId)).toEqual([]);

    // The removed hook's secret no longer verifies anything.
    const late = newDeliveryId();
    const res = await deliver(t, providerId, body, signGitLab(body, token, { delivery: late }));
    expect(res.status).toBe(401);
    expect(await db.deliveryRows(providerId, late)).toEqual([]);
  });

  it('GitLab: a connect racing the last disconnect of the same repository keeps the hook', async () => {
    const { providerId } = await gitlabProvider(t, auth, gitlab);
    const leaving = serviceId('gl-leave');
    const joining = serviceId('gl-join');
    await connect(t, auth, leaving, { providerId, repository: 'acme/platform/api', branch: 'main' });
    const mine = () => gitlab.hooks('acme/platform/api').filter((h) => h.url === webhookUrl(providerId));
    expect(mine()).toHaveLength(1);

    // Slow forge: the joining connect is still registering (holding the repository's lock) when the last
    // source leaves; the leaver's release must not remove the hook the joiner is about to rely on.
    gitlab.options.latencyMs = 150;
    try {
      const seen = gitlab.requests.length;
      const joined = connect(t, auth, joining, { providerId, repository: 'acme/platform/api', branch: 'main' });
      const deadline = Date.now() + 10_000;
      while (
        !gitlab.requests.slice(seen).some((r) => r.template === 'GET /projects/{id}/repository/branches/{branch}') &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 5));
      }
      const left = t.api
        .delete(`/v1/services/application/${leaving}/source`)
        .set(auth)
        .then((r) => r);
      const [source, disconnected] = await Promise.all([joined, left]);
      expect(disconnected.status).toBe(200);
      expect(source.webhook).toMatchObject({ registered: true });
    } finally {
      gitlab.options.latencyMs = 0;
    }
    expect(mine()).toHaveLength(1);
    expect(await db.hookRows(providerId)).toEqual(['acme/platform/api']);
    const token = mine()[0]?.token ?? '';
    const payload = JSON.parse(fixtureBytes('gitlab', 'push-event.json').toString('utf8')) as Record<string, unknown>;
    payload.ref = 'refs/heads/main';
    (payload.project as Record<string, unknown>).path_with_namespace = 'acme/platform/api';
    payload.project_id = gitlab.projectId('acme/platform/api');
    const body = Buffer.from(JSON.stringify(payload));
    const res = await deliver(t, providerId, body, signGitLab(body, token));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
  });

  it('GitLab: moving a service to another repository releases the old hook once unused', async () => {
    const { providerId } = await gitlabProvider(t, auth, gitlab);
    const id = serviceId('gl-move');
    await connect(t, auth, id, { providerId, repository: 'mike/diaspora', branch: 'master' });
    expect(gitlab.hooks('mike/diaspora').filter((h) => h.url === webhookUrl(providerId))).toHaveLength(1);
    await connect(t, auth, id, { providerId, repository: 'acme/platform/api', branch: 'main' });
    expect(gitlab.hooks('mike/diaspora').filter((h) => h.url === webhookUrl(providerId))).toEqual([]);
    expect(gitlab.hooks('acme/platform/api').filter((h) => h.url === webhookUrl(providerId))).toHaveLength(1);
    expect(await db.hookRows(providerId)).toEqual(['acme/platform/api']);
  });

  it("a delivery signed with another hook's secret (another provider, another repository) is 401", async () => {
    const a = await gitlabProvider(t, auth, gitlab);
    const b = await gitlabProvider(t, auth, gitlab);
    await connect(t, auth, serviceId('gl-sa'), { providerId: a.providerId, repository: 'mike/diaspora', branch: 'master' });
    await connect(t, auth, serviceId('gl-sb'), { providerId: b.providerId, repository: 'mike/diaspora', branch: 'master' });
    const tokenA = gitlab.hooks('mike/diaspora').find((h) => h.url === webhookUrl(a.providerId))?.token ?? '';
    const tokenB = gitlab.hooks('mike/diaspora').find((h) => h.url === webhookUrl(b.providerId))?.token ?? '';
    expect(tokenA).not.toBe('');
    expect(tokenA).not.toBe(tokenB);
    const body = fixtureBytes('gitlab', 'push-event.json');
    const crossed = newDeliveryId();
    const res = await deliver(t, a.providerId, body, signGitLab(body, tokenB, { delivery: crossed }));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_SIGNATURE');
    expect(await db.deliveryRows(a.providerId, crossed)).toEqual([]);
    expect(await db.eventsFor(crossed)).toBe(0);
    expect((await deliver(t, a.providerId, body, signGitLab(body, tokenA))).status).toBe(202);

    // Gitea: two repositories of one provider each get their own secret; each verifies, a made-up one does not.
    const gt = await giteaProvider(t, auth, gitea);
    await connect(t, auth, serviceId('gt-1'), { providerId: gt.providerId, repository: 'example/example', branch: 'master' });
    await connect(t, auth, serviceId('gt-2'), { providerId: gt.providerId, repository: 'example/other', branch: 'main' });
    const s1 = gitea.hooksOf('example/example').find((h) => h.url === webhookUrl(gt.providerId))?.secret ?? '';
    const s2 = gitea.hooksOf('example/other').find((h) => h.url === webhookUrl(gt.providerId))?.secret ?? '';
    expect(s1).not.toBe(s2);
    const giteaBody = fixtureBytes('gitea', 'push-event.json');
    expect((await deliver(t, gt.providerId, giteaBody, signGitea(giteaBody, s1))).status).toBe(202);
    expect((await deliver(t, gt.providerId, giteaBody, signGitea(giteaBody, tokenA))).status).toBe(401);
    // A hook secret vouches for its own repository only: example/example's push signed with example/other's secret.
    const rebound = newDeliveryId();
    const crossRepo = await deliver(t, gt.providerId, giteaBody, signGitea(giteaBody, s2, { delivery: rebound }));
    expect(crossRepo.status).toBe(401);
    expect(crossRepo.body.code).toBe('INVALID_SIGNATURE');
    expect(await db.deliveryRows(gt.providerId, rebound)).toEqual([]);
    expect(await db.eventsFor(rebound)).toBe(0);
  });

  it('deleting the provider removes its hooks from every repository', async () => {
    const gl = await gitlabProvider(t, auth, gitlab);
    await connect(t, auth, serviceId('del-1'), { providerId: gl.providerId, repository: 'mike/diaspora', branch: 'master' });
    await connect(t, auth, serviceId('del-2'), { providerId: gl.providerId, repository: 'acme/platform/api', branch: 'main' });
    const gt = await giteaProvider(t, auth, gitea);
    await connect(t, auth, serviceId('del-3'), { providerId: gt.providerId, repository: 'example/example', branch: 'master' });
    const bb = await bitbucketProvider(t, auth, bitbucket, 'team_name');
    const bbService = serviceId('del-4');
    await connect(t, auth, bbService, { providerId: bb.providerId, repository: 'team_name/repo_name', branch: 'name-of-branch' });
    const bbSecret = bitbucket.hooks('team_name/repo_name').find((h) => h.url === webhookUrl(bb.providerId))?.secret ?? '';
    expect(bbSecret).not.toBe('');

    for (const providerId of [gl.providerId, gt.providerId, bb.providerId]) {
      const res = await t.api.delete(`/v1/git-providers/${providerId}`).set(auth);
      expect(res.status, JSON.stringify(res.body)).toBe(204);
    }
    expect(gitlab.hooks('mike/diaspora').filter((h) => h.url === webhookUrl(gl.providerId))).toEqual([]);
    expect(gitlab.hooks('acme/platform/api').filter((h) => h.url === webhookUrl(gl.providerId))).toEqual([]);
    expect(gitea.hooksOf('example/example').filter((h) => h.url === webhookUrl(gt.providerId))).toEqual([]);
    expect(bitbucket.hooks('team_name/repo_name').filter((h) => h.url === webhookUrl(bb.providerId))).toEqual([]);
    for (const providerId of [gl.providerId, gt.providerId, bb.providerId]) expect(await db.hookRows(providerId)).toEqual([]);
    const source = await t.api.get(`/v1/services/application/${bbService}/source`).set(auth);
    expect(source.body).toMatchObject({ sourceType: 'none', providerId: null, webhook: { registered: false } });
    const body = fixtureBytes('bitbucket', 'repo-push.json');
    expect((await deliver(t, bb.providerId, body, signBitbucket(body, bbSecret))).status).toBe(404);
  });

  it('Bitbucket: three services share one hook; released only with the last source', async () => {
    const { providerId } = await bitbucketProvider(t, auth, bitbucket, 'team_name');
    const services = [serviceId('bb-a'), serviceId('bb-b'), serviceId('bb-c')];
    for (const id of services) await connect(t, auth, id, { providerId, repository: 'team_name/repo_name', branch: 'name-of-branch' });
    const mine = () => bitbucket.hooks('team_name/repo_name').filter((h) => h.url === webhookUrl(providerId));
    expect(mine()).toHaveLength(1);
    expect(mine()[0]?.events).toEqual(expect.arrayContaining(['repo:push']));
    await disconnect(services[0] as string);
    await disconnect(services[2] as string);
    expect(mine()).toHaveLength(1);
    await disconnect(services[1] as string);
    expect(mine()).toEqual([]);
  });

  describe('a forge that refuses the hook: the source is saved with registered: false and a reason', () => {
    it('GitLab developer access (hooks need maintainer)', async () => {
      const { providerId } = await gitlabProvider(t, auth, gitlab);
      const id = serviceId('gl-dev');
      const source = await connect(t, auth, id, { providerId, repository: 'acme/readonly', branch: 'main' });
      expect(source).toMatchObject({ sourceType: 'git', repository: 'acme/readonly', webhook: { registered: false } });
      const webhook = source.webhook as Record<string, unknown>;
      const reason = webhook.error ?? webhook.reason;
      expect(typeof reason).toBe('string');
      expect(String(reason)).toMatch(/admin|maintainer|permission|refused/i);
      expect(gitlab.hooks('acme/readonly')).toEqual([]);
      const stored = await t.api.get(`/v1/services/application/${id}/source`).set(auth);
      expect(stored.body).toMatchObject({ sourceType: 'git', webhook: { registered: false } });
      expect(await db.hookRows(providerId)).toEqual([]);
    });

    it('Gitea without admin rights on the repository', async () => {
      const { providerId } = await giteaProvider(t, auth, gitea);
      const source = await connect(t, auth, serviceId('gt-locked'), { providerId, repository: 'example/locked', branch: 'main' });
      expect(source).toMatchObject({ sourceType: 'git', webhook: { registered: false } });
      const webhook = source.webhook as Record<string, unknown>;
      expect(typeof (webhook.error ?? webhook.reason)).toBe('string');
      expect(gitea.hooksOf('example/locked')).toEqual([]);
      expect(await db.hookRows(providerId)).toEqual([]);
    });

    it('a Bitbucket API token without the webhook scopes', async () => {
      const { providerId } = await bitbucketProvider(t, auth, bitbucket, 'team_name', [
        'read:repository:bitbucket',
        'read:webhook:bitbucket',
      ]);
      const source = await connect(t, auth, serviceId('bb-noscope'), {
        providerId,
        repository: 'team_name/repo_name',
        branch: 'name-of-branch',
      });
      expect(source).toMatchObject({ sourceType: 'git', webhook: { registered: false } });
      expect(bitbucket.hooks('team_name/repo_name').filter((h) => h.url === webhookUrl(providerId))).toEqual([]);
    });
  });
});
