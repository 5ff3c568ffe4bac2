import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { FakeGitHub } from '../../fakes/github-server.js';
import { type Auth, githubProvider } from '../webhooks/support.js';

/** `githubUrl` is the web address (contract): the API address pasted there is refused, naming the field and what to enter. */
describe('githubUrl: the web address, not the API address', () => {
  let t: TestApp;
  let auth: Auth;
  const github = new FakeGitHub();
  const API_ADDRESSES = [
    'https://ghe.example.com/api/v3',
    'https://ghe.example.com/api/v3/',
    'https://GHE.example.com/API/V3',
    'https://api.github.com',
    'https://api.ghe.example.com',
  ];

  beforeAll(async () => {
    await github.start();
    t = await startTestApp();
    auth = (await seedOrganization(t.app, 'GitHub URL')).owner.auth;
  });

  afterAll(async () => {
    await t?.close();
    await github.stop();
  });

  const expectWebAddressAsked = (res: { status: number; body: Record<string, unknown> }, field = 'githubUrl'): void => {
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    const errors = res.body.errors as { path: string; message: string }[];
    const error = errors.find((e) => e.path.endsWith(field));
    expect(error, JSON.stringify(errors)).toBeDefined();
    expect(error?.message).toMatch(/enter the web address/);
  };

  it('create and manifest refuse an API address (…/api/v3, api.<host>) with 400, before anything is stored', async () => {
    const app = github.addApp({ appId: 77_001 });
    const before = (await t.api.get('/v1/git-providers').set(auth)).body.items.length as number;
    for (const githubUrl of API_ADDRESSES) {
      expectWebAddressAsked(
        await t.api
          .post('/v1/git-providers/github')
          .set(auth)
          .send({ name: `ghe ${githubUrl}`, githubUrl, appId: 77_001, privateKey: app.privateKey, webhookSecret: 'whs' }),
      );
      expectWebAddressAsked(
        await t.api
          .post('/v1/git-providers/github/manifest')
          .set(auth)
          .send({ name: `ghe manifest ${githubUrl}`, githubUrl }),
      );
    }
    expectWebAddressAsked(
      await t.api.post('/v1/git-providers/github').set(auth).send({
        name: 'ghe internal',
        githubUrl: 'https://ghe.example.com',
        internalUrl: 'https://ghe.internal/api/v3',
        appId: 77_001,
        privateKey: app.privateKey,
        webhookSecret: 'whs',
      }),
      'internalUrl',
    );
    expect((await t.api.get('/v1/git-providers').set(auth)).body.items).toHaveLength(before);
  });

  it('PATCH refuses it too and leaves the provider as it was; the web address of a GitHub Enterprise host is accepted', async () => {
    const { providerId } = await githubProvider(t, auth, github, [{ owner: 'acme', name: 'api', branches: ['main'] }]);
    // installUrl carries a fresh signed state on every read: compare everything else.
    const read = async (): Promise<Record<string, unknown>> => {
      const body = (await t.api.get(`/v1/git-providers/${providerId}`).set(auth)).body as { github: Record<string, unknown> };
      const { installUrl: _fresh, ...github } = body.github;
      return { ...body, github };
    };
    const before = await read();
    expectWebAddressAsked(
      await t.api.patch(`/v1/git-providers/${providerId}/github`).set(auth).send({ githubUrl: 'https://ghe.example.com/api/v3' }),
    );
    expect(await read()).toEqual(before);
    // The fake's own address is a web address: forgelink appends /api/v3 to it (and the fake answers there).
    expect((await t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(auth)).status).toBe(200);
  });
});
