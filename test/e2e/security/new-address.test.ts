import { createPublicKey, verify } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitea } from '../../fakes/gitea-server.js';
import { FakeGitHub } from '../../fakes/github-server.js';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { TrapServer } from '../../fakes/trap-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { authorize, callback, expectDashboard, PUBLIC_URL, strangerKey } from '../forges/support.js';
import { uniqueName } from '../core/support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;

/** The JWTs in the trap's Authorization headers that the given private key signed. */
function jwtsSignedBy(trap: TrapServer, privateKeyPem: string): string[] {
  const publicKey = createPublicKey(privateKeyPem);
  return trap.requests
    .map((r) => /^bearer\s+([\w-]+)\.([\w-]+)\.([\w-]+)$/i.exec(String(r.headers.authorization ?? '')))
    .filter((m): m is RegExpExecArray => m !== null)
    .filter((m) => verify('RSA-SHA256', Buffer.from(`${m[1]}.${m[2]}`), publicKey, Buffer.from(m[3] ?? '', 'base64url')))
    .map((m) => m[0]);
}

/**
 * Finding 2 of the hostile review, as the contract's rule: "credentials never follow a new address". An admin
 * who is not the creator re-points each forge's every address field at an attacker's host on 127.0.0.1; the host
 * records every header and body it receives, and none ever carries a secret stored for the old address — not at
 * the PATCH (GET /app), not on listings, not on a token exchange or refresh.
 */
describe('credentials never follow a new address (real app, fake forges, an attacker host)', () => {
  const github = new FakeGitHub();
  const gitlab = new FakeGitLab();
  const gitea = new FakeGitea();
  let trap: TrapServer;
  let t: TestApp;
  let org: Org;

  beforeAll(async () => {
    for (const server of [github, gitlab, gitea]) await server.start();
    t = await startTestApp();
    org = await seedOrganization(t.app, 'Re-point');
    gitlab.setProjects(['acme/api']);
    gitea.setRepositories(2);
  });
  beforeEach(async () => {
    trap = new TrapServer();
    await trap.start();
  });
  afterEach(async () => {
    await trap.stop();
  });
  afterAll(async () => {
    await t?.close();
    for (const server of [github, gitlab, gitea]) await server.stop();
  });

  let appIds = 5000;
  async function readyGitHub(): Promise<{ id: string; privateKey: string; clientSecret: string; webhookSecret: string }> {
    const app = github.addApp({ appId: ++appIds });
    github.addInstallation(app.appId, appIds * 10);
    github.setRepositories(appIds * 10, 2);
    const clientSecret = `ghcs-${appIds}-never-elsewhere`;
    const res = await t.api
      .post('/v1/git-providers/github')
      .set(org.owner.auth)
      .send({
        name: uniqueName('gh'),
        githubUrl: github.url,
        appId: app.appId,
        installationId: appIds * 10,
        privateKey: app.privateKey,
        webhookSecret: app.webhookSecret,
        clientId: app.clientId,
        clientSecret,
      });
    expect(res.status, res.text).toBe(201);
    expect(res.body.status).toBe('ready');
    return { id: res.body.id as string, privateKey: app.privateKey, clientSecret, webhookSecret: app.webhookSecret };
  }

  for (const field of ['githubUrl', 'internalUrl'] as const) {
    it(`GitHub ${field} → attacker: the key and client secret are dropped, no JWT reaches the new host, the webhook secret stays`, async () => {
      const provider = await readyGitHub();
      const res = await t.api
        .patch(`/v1/git-providers/${provider.id}/github`)
        .set(org.admin.auth)
        .send({ [field]: trap.url });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({
        status: 'pending_authorization',
        github: { hasPrivateKey: false, hasClientSecret: false, hasWebhookSecret: true },
      });
      expect(res.body.github.installUrl).toBeUndefined();
      for (const path of ['test-connection', 'repositories', 'branches?repository=acme/repo-00001']) {
        const call =
          path === 'test-connection'
            ? t.api.post(`/v1/git-providers/${provider.id}/${path}`)
            : t.api.get(`/v1/git-providers/${provider.id}/${path}`);
        const answer = await call.set(org.admin.auth);
        expect(answer.status, answer.text).toBe(422);
      }
      expect(trap.requests).toEqual([]);
      expect(trap.requestCount).toBe(0);
    });
  }

  it('GitHub: a key supplied again with the new address is the only one the new host sees (GET /app)', async () => {
    const provider = await readyGitHub();
    const fresh = strangerKey();
    const res = await t.api
      .patch(`/v1/git-providers/${provider.id}/github`)
      .set(org.admin.auth)
      .send({ githubUrl: trap.url, privateKey: fresh });
    expect(res.status, res.text).toBe(200);
    expect(res.body.github).toMatchObject({ hasPrivateKey: true, hasClientSecret: false, hasWebhookSecret: true });
    expect(trap.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /api/v3/app']);
    expect(jwtsSignedBy(trap, fresh)).toHaveLength(1);
    expect(jwtsSignedBy(trap, provider.privateKey)).toEqual([]);
    for (const secret of [provider.clientSecret, provider.webhookSecret]) expect(trap.text()).not.toContain(secret);
  });

  it('GitHub: the same address sent again is no move (nothing dropped)', async () => {
    const provider = await readyGitHub();
    const res = await t.api.patch(`/v1/git-providers/${provider.id}/github`).set(org.admin.auth).send({ githubUrl: github.url });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'ready', github: { hasPrivateKey: true, hasClientSecret: true } });
  });

  const oauth = [
    {
      type: 'gitlab' as const,
      urlField: 'gitlabUrl',
      secretField: 'secret',
      fake: () => gitlab,
      create: (url: string, clientId: string, secret: string) => ({ gitlabUrl: url, applicationId: clientId, secret }),
    },
    {
      type: 'gitea' as const,
      urlField: 'giteaUrl',
      secretField: 'clientSecret',
      fake: () => gitea,
      create: (url: string, clientId: string, secret: string) => ({ giteaUrl: url, clientId, clientSecret: secret }),
    },
  ];
  let clients = 0;
  for (const forge of oauth) {
    for (const field of [forge.urlField, 'internalUrl']) {
      it(`${forge.type} ${field} → attacker: tokens and client secret dropped; listings, the next callback and refreshes send nothing there`, async () => {
        const clientId = `${forge.type}-client-${++clients}`;
        const clientSecret = `${forge.type}-secret-${clients}-never-elsewhere`;
        forge.fake().addApplication({ clientId, clientSecret, redirectUri: `${PUBLIC_URL}/v1/callbacks/${forge.type}` });
        const created = await t.api
          .post(`/v1/git-providers/${forge.type}`)
          .set(org.owner.auth)
          .send({ name: uniqueName(forge.type), ...forge.create(forge.fake().url, clientId, clientSecret) });
        expect(created.status, created.text).toBe(201);
        const id = created.body.id as string;
        await authorize(t, forge.type, created.body.authorizeUrl as string, id);
        expect((await t.api.get(`/v1/git-providers/${id}/repositories`).set(org.owner.auth)).status).toBe(200);
        const stored = [clientSecret, ...forge.fake().issuedTokens()];
        expect(stored.length).toBeGreaterThan(2);

        const res = await t.api
          .patch(`/v1/git-providers/${id}/${forge.type}`)
          .set(org.admin.auth)
          .send({ [field]: trap.url });
        expect(res.status, res.text).toBe(200);
        expect(res.body.status).toBe('pending_authorization');
        expect(res.body[forge.type]).toMatchObject({
          hasTokens: false,
          [forge.type === 'gitlab' ? 'hasSecret' : 'hasClientSecret']: false,
        });

        const listing = await t.api.get(`/v1/git-providers/${id}/repositories`).set(org.owner.auth);
        expect(listing.status, listing.text).toBe(422);
        // Authorising again: the callback has no client secret to post, so it posts nothing.
        const again = await t.api.get(`/v1/git-providers/${id}/authorize-url`).set(org.owner.auth);
        expect(again.status, again.text).toBe(200);
        const state = new URL(again.body.authorizeUrl as string).searchParams.get('state') ?? '';
        const back = await callback(t, forge.type, { code: 'code-from-the-attacker', state });
        expectDashboard(back.headers.location, id, 'error');
        expect(trap.requests).toEqual([]);

        // The secret supplied again goes to the new host; nothing stored for the old one ever does.
        const resupplied = await t.api
          .patch(`/v1/git-providers/${id}/${forge.type}`)
          .set(org.admin.auth)
          .send({ [forge.secretField]: 'typed-again-for-the-new-host' });
        expect(resupplied.status, resupplied.text).toBe(200);
        const third = await t.api.get(`/v1/git-providers/${id}/authorize-url`).set(org.owner.auth);
        const state3 = new URL(third.body.authorizeUrl as string).searchParams.get('state') ?? '';
        expectDashboard((await callback(t, forge.type, { code: 'code-2', state: state3 })).headers.location, id, 'error');
        expect(trap.requests.length).toBeGreaterThan(0);
        expect(trap.text()).toContain('typed-again-for-the-new-host');
        for (const secret of stored) expect(trap.text()).not.toContain(secret);
      });
    }
  }
});
