import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../../fakes/github-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { signGitHub } from '../../support/webhook-signing.js';
import { fixtureJson } from '../../unit/webhooks/fixtures.js';
import {
  type Auth,
  FIXTURE_IDS,
  connect,
  deliver,
  deploymentEvents,
  deliveries,
  githubProvider,
  json,
  newDeliveryId,
  serviceId,
} from '../webhooks/support.js';

/** Finding 4: a captured delivery replayed under a new delivery id deploys nothing (byte-identical body per provider). */
describe('webhook replay under a new delivery id (real app, real PostgreSQL)', () => {
  const github = new FakeGitHub();
  let t: TestApp;
  let auth: Auth;
  const repositories = [{ owner: 'binkkatal', name: 'sample_app', branches: ['master'], id: FIXTURE_IDS.githubSampleApp }];

  beforeAll(async () => {
    await github.start();
    t = await startTestApp();
    auth = (await seedOrganization(t.app, 'Replay')).admin.auth;
  });
  afterAll(async () => {
    await t?.close();
    await github.stop();
  });

  /** The push fixture with a unique head commit, so each test owns its bytes. */
  const uniquePush = (): Buffer => {
    const payload = fixtureJson('github', 'push.json');
    payload.after = newDeliveryId().replace(/-/g, '').padEnd(40, '0').slice(0, 40);
    return json(payload);
  };

  it('the same signed bytes under three new delivery ids are duplicates: one deployment, not four', async () => {
    const { providerId, webhookSecret } = await githubProvider(t, auth, github, repositories);
    const service = serviceId('replay');
    await connect(t, auth, service, { providerId, repository: 'binkkatal/sample_app', branch: 'master' });
    const body = uniquePush();
    const first = await deliver(t, providerId, body, signGitHub(body, webhookSecret));
    expect(first.status, first.text).toBe(202);
    const replays: string[] = [];
    for (let i = 0; i < 3; i++) {
      const delivery = newDeliveryId();
      replays.push(delivery);
      const again = await deliver(t, providerId, body, signGitHub(body, webhookSecret, { delivery }));
      expect(again.status, again.text).toBe(200);
      expect(again.body).toMatchObject({ deliveryId: delivery, duplicate: true, deployments: 0 });
    }
    const events = await deploymentEvents(t, auth, (e) => e.data.serviceId === service);
    expect(events).toHaveLength(1);
    const listed = (await deliveries(t, auth, providerId)).filter((d) => replays.includes(d.deliveryId));
    expect(listed.map((d) => d.outcome)).toEqual(['duplicate', 'duplicate', 'duplicate']);
  });

  it('concurrent replays under distinct ids: the database lets exactly one through', async () => {
    const { providerId, webhookSecret } = await githubProvider(t, auth, github, repositories);
    const service = serviceId('race');
    await connect(t, auth, service, { providerId, repository: 'binkkatal/sample_app', branch: 'master' });
    const body = uniquePush();
    const answers = await Promise.all(Array.from({ length: 6 }, () => deliver(t, providerId, body, signGitHub(body, webhookSecret))));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 202]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await deploymentEvents(t, auth, (e) => e.data.serviceId === service)).toHaveLength(1);
  });

  it("the same bytes to another provider are that provider's first delivery; a changed byte is a new delivery", async () => {
    const one = await githubProvider(t, auth, github, repositories);
    const two = await githubProvider(t, auth, github, repositories);
    const body = uniquePush();
    for (const p of [one, two]) {
      await connect(t, auth, serviceId('per-provider'), { providerId: p.providerId, repository: 'binkkatal/sample_app', branch: 'master' });
      const res = await deliver(t, p.providerId, body, signGitHub(body, p.webhookSecret));
      expect(res.status, res.text).toBe(202);
    }
    const changed = Buffer.concat([body, Buffer.from(' ')]);
    const res = await deliver(t, one.providerId, changed, signGitHub(changed, one.webhookSecret));
    expect(res.status, res.text).toBe(202);
  });
});
