import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { signGitHub } from '../../support/webhook-signing.js';
import { clone, fixtureJson } from '../../unit/webhooks/fixtures.js';
import { type Auth, deliver, deliveries, json, newDeliveryId } from './support.js';

// An App installed (or removed) on GitHub's own pages reaches forgelink only through the App's webhook.
// (githubUrl points at a closed loopback port: these tests make no call to GitHub.)
describe('GitHub App installation events', () => {
  let t: TestApp;
  let auth: Auth;
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

  beforeAll(async () => {
    t = await startTestApp();
    auth = (await seedOrganization(t.app, 'Installations')).owner.auth;
  });
  afterAll(async () => {
    await t?.close();
  });

  const createProvider = async (appId: number, webhookSecret: string): Promise<string> => {
    const res = await t.api
      .post('/v1/git-providers/github')
      .set(auth)
      .send({ name: `gh-${randomBytes(3).toString('hex')}`, githubUrl: 'http://127.0.0.1:9', appId, privateKey, webhookSecret });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.status).toBe('pending_installation');
    return res.body.id as string;
  };
  const installationEvent = (action: 'created' | 'deleted', installationId: number, appId: number): Buffer => {
    const payload = clone(fixtureJson('github', 'installation.json'));
    payload.action = action;
    payload.installation = { ...(payload.installation as object), id: installationId, app_id: appId };
    return json(payload);
  };
  const summary = async (id: string): Promise<Record<string, unknown> & { github: Record<string, unknown> }> =>
    (await t.api.get(`/v1/git-providers/${id}`).set(auth)).body as Record<string, unknown> & { github: Record<string, unknown> };

  it("records the installation of the provider's app, and its removal sends the provider back to pending_installation", async () => {
    const appId = 70_000 + Math.floor(Math.random() * 10_000);
    const secret = 'whs-installation';
    const id = await createProvider(appId, secret);

    const created = installationEvent('created', 5_550_001, appId);
    const delivery = newDeliveryId();
    const res = await deliver(t, id, created, signGitHub(created, secret, { event: 'installation', delivery }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deliveryId: delivery, deployments: 0, reason: 'installation_recorded' });
    expect(await summary(id)).toMatchObject({ status: 'ready', github: { appId, installationId: 5_550_001 } });

    const other = installationEvent('created', 5_550_002, appId);
    const second = await deliver(t, id, other, signGitHub(other, secret, { event: 'installation' }));
    expect(second.body.reason).toBe('installation_ignored: the provider already uses installation 5550001');
    expect((await summary(id)).github.installationId).toBe(5_550_001);

    const removed = installationEvent('deleted', 5_550_001, appId);
    const gone = await deliver(t, id, removed, signGitHub(removed, secret, { event: 'installation' }));
    expect(gone.body.reason).toBe('installation_removed');
    const after = await summary(id);
    expect(after.status).toBe('pending_installation');
    expect(after.github).not.toHaveProperty('installationId');
    expect((await deliveries(t, auth, id)).find((d) => d.deliveryId === delivery)).toMatchObject({
      outcome: 'ignored',
      reason: 'installation_recorded',
      event: 'installation',
    });

    // The feed shows a commit once no older transaction is still running (docs/api.md): other test files' open
    // transactions can hold it back for a moment, so read until both events are there.
    const updates = async (): Promise<number> => {
      const events = await t.api.get('/v1/events').query({ type: 'git-provider.updated', limit: 500 }).set(auth);
      return (events.body.items as { aggregateId: string }[]).filter((e) => e.aggregateId === id).length;
    };
    const deadline = Date.now() + 10_000;
    let seen = await updates();
    while (seen < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await updates();
    }
    expect(seen).toBe(2);
  });

  it('ignores an installation of another app, and refuses one signed with another secret', async () => {
    const appId = 80_000 + Math.floor(Math.random() * 10_000);
    const id = await createProvider(appId, 'whs-right');
    const foreign = installationEvent('created', 6_660_001, appId + 1);
    const ignored = await deliver(t, id, foreign, signGitHub(foreign, 'whs-right', { event: 'installation' }));
    expect(ignored.body.reason).toBe(`installation_ignored: app ${appId + 1} is not this provider's app`);
    const forged = installationEvent('created', 6_660_002, appId);
    expect((await deliver(t, id, forged, signGitHub(forged, 'whs-wrong', { event: 'installation' }))).status).toBe(401);
    expect(await summary(id)).toMatchObject({ status: 'pending_installation' });
    expect((await summary(id)).github).not.toHaveProperty('installationId');
  });
});
