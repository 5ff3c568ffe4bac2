import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { type Auth, expectProblem, strangerKey, summary, unique } from './support.js';

// Every URL here is refused by the guard itself (scheme, IP range or local name): no DNS lookup, no connection.
const REFUSED = [
  'http://10.0.0.5',
  'https://10.0.0.5',
  'https://127.0.0.2:8443',
  'https://localhost.localdomain',
  'http://localhost.localdomain:8080',
  'https://localhost.',
  'https://ip6-localhost',
  'https://[::1]:8443',
  'https://[::ffff:127.0.0.1]',
  'https://[::127.0.0.1]',
  'https://169.254.169.254',
  'https://0.0.0.0',
  'https://192.168.1.10',
  'https://[fd00::1]',
];

describe('e2e SSRF guard on self-hosted forge URLs (create and PATCH)', () => {
  let t: TestApp;
  let admin: Auth;
  const privateKey = strangerKey();

  beforeAll(async () => {
    t = await startTestApp();
    admin = (await seedOrganization(t.app, 'SSRF e2e')).admin.auth;
  });

  afterAll(async () => {
    await t?.close();
  });

  const names = async (): Promise<string[]> => {
    const res = await t.api.get('/v1/git-providers').set(admin);
    expect(res.status).toBe(200);
    return (res.body.items as { name: string }[]).map((p) => p.name);
  };

  const refused = (res: { status: number; body: unknown; headers: Record<string, string> }, field: string): void => {
    const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(problem.errors?.map((e) => e.path)).toContain(`body.${field}`);
  };

  it.each(REFUSED)('refuses %s at create for every forge and creates nothing', async (url) => {
    const name = unique('ssrf');
    refused(
      await t.api.post('/v1/git-providers/gitlab').set(admin).send({ name, gitlabUrl: url, applicationId: 'app', secret: 's' }),
      'gitlabUrl',
    );
    refused(
      await t.api.post('/v1/git-providers/gitea').set(admin).send({ name, giteaUrl: url, clientId: 'c', clientSecret: 's' }),
      'giteaUrl',
    );
    refused(
      await t.api
        .post('/v1/git-providers/github')
        .set(admin)
        .send({ name, githubUrl: url, appId: 1, installationId: 2, privateKey, webhookSecret: 'w' }),
      'githubUrl',
    );
    refused(await t.api.post('/v1/git-providers/github/manifest').set(admin).send({ name, githubUrl: url }), 'githubUrl');
    expect(await names()).not.toContain(name);
  });

  it('refuses a PATCH to a private address and leaves the provider unchanged', async () => {
    const created = await t.api
      .post('/v1/git-providers/gitlab')
      .set(admin)
      .send({ name: unique('gitlab'), gitlabUrl: 'http://127.0.0.1:9', applicationId: 'app', secret: 's' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = (created.body as { id: string }).id;
    const before = await summary(t, admin, id);
    for (const url of ['http://10.0.0.5', 'https://127.0.0.2:8443', 'https://localhost.localdomain']) {
      refused(await t.api.patch(`/v1/git-providers/${id}/gitlab`).set(admin).send({ gitlabUrl: url }), 'gitlabUrl');
    }
    const after = await summary(t, admin, id);
    expect(after.version).toBe(before.version);
    expect(after).toMatchObject({ gitlab: { gitlabUrl: 'http://127.0.0.1:9' } });

    const gitea = await t.api
      .post('/v1/git-providers/gitea')
      .set(admin)
      .send({ name: unique('gitea'), giteaUrl: 'http://localhost:9', clientId: 'c', clientSecret: 's' });
    expect(gitea.status, JSON.stringify(gitea.body)).toBe(201);
    refused(
      await t.api
        .patch(`/v1/git-providers/${(gitea.body as { id: string }).id}/gitea`)
        .set(admin)
        .send({ giteaUrl: 'https://[::1]' }),
      'giteaUrl',
    );
  });
});

describe('e2e default forge URLs (github.com, gitlab.com) need no DNS lookup to be accepted', () => {
  let t: TestApp;
  let admin: Auth;

  beforeAll(async () => {
    t = await startTestApp();
    admin = (await seedOrganization(t.app, 'Defaults e2e')).admin.auth;
  });
  afterAll(async () => {
    await t?.close();
  });

  // Only creations that make no forge call: a hand-made GitHub App would be looked up on api.github.com.
  it('creates GitHub manifest and GitLab providers with their default URLs', async () => {
    const manifest = await t.api
      .post('/v1/git-providers/github/manifest')
      .set(admin)
      .send({ name: unique('gh-manifest') });
    expect(manifest.status, JSON.stringify(manifest.body)).toBe(201);
    expect(manifest.body.postUrl).toMatch(/^https:\/\/github\.com\/settings\/apps\/new\?state=/);
    const gitlab = await t.api
      .post('/v1/git-providers/gitlab')
      .set(admin)
      .send({ name: unique('gl-default'), applicationId: 'app', secret: 'gl-secret' });
    expect(gitlab.status, JSON.stringify(gitlab.body)).toBe(201);
    expect(gitlab.body.authorizeUrl).toMatch(/^https:\/\/gitlab\.com\/oauth\/authorize\?/);
  });
});
