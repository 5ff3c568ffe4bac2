import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { FakeGitHub } from '../../fakes/github-server.js';
import { signGitHub } from '../../support/webhook-signing.js';
import { fixtureBytes } from '../../unit/webhooks/fixtures.js';
import { type Auth, FIXTURE_IDS, connect, deliver, githubProvider, newDeliveryId, serviceId } from './support.js';

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
