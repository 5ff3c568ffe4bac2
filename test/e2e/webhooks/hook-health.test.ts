import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrapServer } from '../../fakes/trap-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { FakeGitHub } from '../../fakes/github-server.js';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { FakeGitea } from '../../fakes/gitea-server.js';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { signGitHub } from '../../support/webhook-signing.js';
import { fixtureBytes } from '../../unit/webhooks/fixtures.js';
import {
  type Auth,
  FIXTURE_IDS,
  bitbucketProvider,
  connect,
  deliver,
  githubProvider,
  giteaProvider,
  gitlabProvider,
  newDeliveryId,
  serviceId,
} from './support.js';

/** Hook health on the Source: the repository's last delivery, and whether the hook delivered since it was registered. */
describe('hook health: webhook.lastDeliveryAt / lastOutcome / status', () => {
  let t: TestApp;
  const github = new FakeGitHub();
  let auth: Auth;
  let providerId: string;
  let secret: string;

  beforeAll(async () => {
    await github.start();
    t = await startTestApp();
    const org = await seedOrganization(t.app, 'Hook health');
    auth = org.admin.auth;
    ({ providerId, webhookSecret: secret } = await githubProvider(t, auth, github, [
      { owner: 'binkkatal', name: 'sample_app', branches: ['master', 'develop'], id: FIXTURE_IDS.githubSampleApp },
      { owner: 'Codertocat', name: 'Hello-World', branches: ['master'], id: FIXTURE_IDS.githubHelloWorld },
    ]));
  });

  afterAll(async () => {
    await t?.close();
    await github.stop();
  });

  const source = async (id: string) => {
    const res = await t.api.get(`/v1/services/application/${id}/source`).set(auth);
    expect(res.status, res.text).toBe(200);
    return res.body as { webhook: Record<string, unknown> };
  };

  it('says awaiting_first_delivery before any delivery, then shows the repository’s last delivery and its outcome', async () => {
    const main = serviceId('health-main');
    const other = serviceId('health-other');
    const connected = await connect(t, auth, main, { providerId, repository: 'binkkatal/sample_app', branch: 'master' });
    expect(connected.webhook).toMatchObject({ registered: true, managedBy: 'github-app', status: 'awaiting_first_delivery' });
    expect(connected.webhook).not.toHaveProperty('lastDeliveryAt');
    await connect(t, auth, other, { providerId, repository: 'Codertocat/Hello-World', branch: 'master' });

    const before = await source(main);
    expect(before.webhook).toMatchObject({ status: 'awaiting_first_delivery' });
    expect(before.webhook).not.toHaveProperty('lastOutcome');

    const body = fixtureBytes('github', 'push.json'); // binkkatal/sample_app, master
    const res = await deliver(t, providerId, body, signGitHub(body, secret, { delivery: newDeliveryId() }));
    expect(res.status, res.text).toBe(202);

    const after = await source(main);
    expect(after.webhook).toMatchObject({ status: 'delivering', lastOutcome: 'deployed' });
    const at = Date.parse(after.webhook.lastDeliveryAt as string);
    expect(Date.now() - at).toBeLessThan(60_000);
    // Another repository's delivery says nothing about this one.
    expect((await source(other)).webhook).toMatchObject({ status: 'awaiting_first_delivery' });

    // A redelivery is a delivery too: the hook is alive, and the outcome says what happened to it.
    const again = await deliver(t, providerId, body, signGitHub(body, secret, { delivery: newDeliveryId() }));
    expect(again.body).toMatchObject({ duplicate: true });
    expect((await source(main)).webhook).toMatchObject({ status: 'delivering', lastOutcome: 'duplicate' });
  });

  it('counts an ignored event of the repository as a delivery (the hook works even when nothing deploys)', async () => {
    const id = serviceId('health-develop');
    await connect(t, auth, id, { providerId, repository: 'binkkatal/sample_app', branch: 'develop' });
    const payload = JSON.parse(fixtureBytes('github', 'push.json').toString('utf8')) as Record<string, unknown>;
    const body = Buffer.from(JSON.stringify({ ...payload, ref: 'refs/heads/elsewhere' }));
    const res = await deliver(t, providerId, body, signGitHub(body, secret, { delivery: newDeliveryId() }));
    expect(res.status, res.text).toBe(200);
    expect((await source(id)).webhook).toMatchObject({ status: 'delivering', lastOutcome: 'ignored' });
  });

  it('a disconnected source has no hook: not_registered', async () => {
    const id = serviceId('health-gone');
    await connect(t, auth, id, { providerId, repository: 'binkkatal/sample_app', branch: 'master' });
    const gone = await t.api.delete(`/v1/services/application/${id}/source`).set(auth);
    expect(gone.body.webhook).toMatchObject({ registered: false, status: 'not_registered' });
    expect(gone.body.webhook).not.toHaveProperty('lastDeliveryAt');
  });
});

/** Hooks the forge disabled are detected when the source is read (GET asks the forge), reported and not re-enabled. */
describe('hook health: hooks the forge disabled', () => {
  let t: TestApp;
  const gitlab = new FakeGitLab();
  const gitea = new FakeGitea();
  const bitbucket = new FakeBitbucket();
  let auth: Auth;

  beforeAll(async () => {
    await Promise.all([gitlab.start(), gitea.start(), bitbucket.start()]);
    t = await startTestApp({ bitbucketApiUrl: bitbucket.apiUrl });
    auth = (await seedOrganization(t.app, 'Disabled hooks')).owner.auth;
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([gitlab.stop(), gitea.stop(), bitbucket.stop()]);
  });

  const read = async (id: string) => {
    const res = await t.api.get(`/v1/services/application/${id}/source`).set(auth);
    expect(res.status, res.text).toBe(200);
    return res.body.webhook as Record<string, unknown>;
  };

  it('GitLab: alert_status disabled / temporarily_disabled → status disabled with GitLab’s reason; the hook is left as GitLab has it', async () => {
    gitlab.addProject({ path: 'ops/health', defaultBranch: 'main', id: 4101 });
    gitlab.setBranches('ops/health', ['main']);
    const { providerId } = await gitlabProvider(t, auth, gitlab);
    const id = serviceId('gl-health');
    await connect(t, auth, id, { providerId, repository: 'ops/health', branch: 'main' });
    const url = `http://forgelink.test/v1/webhooks/${providerId}`;
    expect(await read(id)).toMatchObject({ registered: true, status: 'awaiting_first_delivery' });

    gitlab.disableHook('ops/health', url);
    const disabled = await read(id);
    expect(disabled).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('alert_status: disabled') });
    expect(disabled['disabledReason']).toContain('Test button');

    const until = new Date(Date.now() + 10 * 60_000);
    gitlab.disableHook('ops/health', url, until);
    expect(await read(id)).toMatchObject({
      status: 'disabled',
      disabledReason: expect.stringContaining(`until ${until.toISOString()} (alert_status: temporarily_disabled)`),
    });
    // Reading reports; it changes nothing on the forge.
    expect(gitlab.hooks('ops/health')[0]).toMatchObject({ alert_status: 'temporarily_disabled' });
  });

  it('Gitea/Forgejo: an inactive hook is reported, PUT …/source switches it back on', async () => {
    gitea.setRepositories([{ owner: 'ops', name: 'health', defaultBranch: 'main', id: 4201 }]);
    gitea.setBranches('ops/health', [{ name: 'main' }]);
    const { providerId } = await giteaProvider(t, auth, gitea);
    const id = serviceId('gt-health');
    await connect(t, auth, id, { providerId, repository: 'ops/health', branch: 'main' });
    const [hook] = gitea.hooksOf('ops/health');
    expect(hook?.active).toBe(true);
    (hook as { active: boolean }).active = false;
    expect(await read(id)).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('active: false') });
    expect(gitea.hooksOf('ops/health')[0]?.active).toBe(false);

    await connect(t, auth, id, { providerId, repository: 'ops/health', branch: 'main' });
    expect(gitea.hooksOf('ops/health')[0]?.active).toBe(true);
    expect(await read(id)).toMatchObject({ status: 'awaiting_first_delivery' });
    expect(await read(id)).not.toHaveProperty('disabledReason');
  });

  it('Bitbucket: a webhook switched off, or deleted, is reported', async () => {
    bitbucket.addApiToken('health@example.com', 'ATATT-health');
    bitbucket.setRepositories('opsws', [{ slug: 'health' }]);
    bitbucket.setBranches('opsws/health', [{ name: 'main' }]);
    const { providerId } = await bitbucketProvider(t, auth, bitbucket, 'opsws');
    const id = serviceId('bb-health');
    await connect(t, auth, id, { providerId, repository: 'opsws/health', branch: 'main' });
    const [hook] = bitbucket.hooks('opsws/health');
    (hook as { active: boolean }).active = false;
    expect(await read(id)).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('switched off on Bitbucket') });
    // Deleted by hand on Bitbucket: reported as well, with the way back.
    (bitbucket.hooks('opsws/health') as unknown[]).length = 0;
    expect(await read(id)).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('no longer exists on the forge') });
  });

  it('a provider whose credentials an address change dropped is not asked: the read sends nothing and changes nothing', async () => {
    gitea.setRepositories([{ owner: 'ops', name: 'moved', defaultBranch: 'main', id: 4202 }]);
    gitea.setBranches('ops/moved', [{ name: 'main' }]);
    const { providerId } = await giteaProvider(t, auth, gitea);
    const id = serviceId('gt-moved');
    await connect(t, auth, id, { providerId, repository: 'ops/moved', branch: 'main' });
    const trap = new TrapServer();
    await trap.start();
    try {
      // Another address: the OAuth tokens are dropped and the provider waits to be authorised again (docs/security.md).
      const moved = await t.api.patch(`/v1/git-providers/${providerId}/gitea`).set(auth).send({ giteaUrl: trap.url });
      expect(moved.status, moved.text).toBe(200);
      expect(moved.body.status).toBe('pending_authorization');
      const giteaRequests = gitea.requests.length;
      const webhook = await read(id);
      expect(webhook['status']).not.toBe('disabled');
      expect(trap.requests).toEqual([]);
      expect(gitea.requests.length).toBe(giteaRequests);
      // A read never writes: the provider keeps its status and version.
      expect((await t.api.get(`/v1/git-providers/${providerId}`).set(auth)).body).toMatchObject({
        status: 'pending_authorization',
        version: moved.body.version,
      });
      // A commit status reported meanwhile waits for the provider instead of going to the new address without a token.
      const sha = 'c'.repeat(40);
      const reported = await t.api.put(`/v1/services/application/${id}/status`).set(auth).send({ status: 'done', commitSha: sha });
      expect(reported.status, reported.text).toBe(200);
      // Worked by this instance (or the background worker): wait for the first attempt, then look at what it did.
      const attempted = async () =>
        (
          (await t.app.orm.em
            .getKnex()
            .raw(`select outcome, last_error, attempts from commit_status where service_id = ? and commit_sha = ?`, [id, sha])) as {
            rows: { outcome: string; last_error: string | null; attempts: number }[];
          }
        ).rows;
      const deadline = Date.now() + 10_000;
      while ((await attempted())[0]?.attempts === 0 && Date.now() < deadline) {
        await t.app.commitStatuses.runOnce();
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(trap.requests).toEqual([]);
      expect(await attempted()).toEqual([
        { outcome: 'pending', last_error: expect.stringContaining('not ready'), attempts: expect.any(Number) },
      ]);
      expect((await attempted())[0]?.attempts).toBeGreaterThanOrEqual(1);
    } finally {
      await trap.stop();
    }
  });

  it('a forge that fails the check leaves the stored status (the read never fails for it)', async () => {
    gitea.setRepositories([{ owner: 'ops', name: 'flaky', defaultBranch: 'main', id: 4202 }]);
    gitea.setBranches('ops/flaky', [{ name: 'main' }]);
    const { providerId } = await giteaProvider(t, auth, gitea);
    const id = serviceId('gt-flaky');
    await connect(t, auth, id, { providerId, repository: 'ops/flaky', branch: 'main' });
    gitea.failNext(500, 10, {}, { path: '/hooks' });
    expect(await read(id)).toMatchObject({ status: 'awaiting_first_delivery' });
  });
});
