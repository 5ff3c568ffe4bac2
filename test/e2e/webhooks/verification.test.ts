import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { FakeGitHub } from '../../fakes/github-server.js';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { FakeGitea } from '../../fakes/gitea-server.js';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import {
  anotherDelivery,
  goJsonBody,
  signBitbucket,
  signGitHub,
  signGitLab,
  signGitea,
  type WebhookHeaders,
} from '../../support/webhook-signing.js';
import { fixtureBytes, fixtureJson } from '../../unit/webhooks/fixtures.js';
import {
  type Auth,
  Db,
  FIXTURE_IDS,
  bitbucketProvider,
  connect,
  deliver,
  githubProvider,
  gitlabProvider,
  giteaProvider,
  newDeliveryId,
  serviceId,
} from './support.js';

type Forge = 'github' | 'gitlab' | 'gitea' | 'bitbucket';

interface ForgeUnderTest {
  providerId: string;
  secret: string;
  body: Buffer;
  sign(body: Buffer, secret: string, delivery: string): WebhookHeaders;
  /** The header carrying the signature (GitLab: the token). */
  authHeader: string;
}

/** The same bytes with one digit changed (still valid JSON: digits only occur in strings and numbers). */
function oneByteChanged(body: Buffer): Buffer {
  const copy = Buffer.from(body);
  for (let i = 20; i < copy.length; i++) {
    const byte = copy[i] as number;
    if (byte >= 0x30 && byte <= 0x39) {
      copy[i] = byte === 0x39 ? 0x30 : byte + 1;
      return copy;
    }
  }
  throw new Error('no digit to change');
}

function expectSignatureProblem(res: { status: number; headers: Record<string, string>; body: Record<string, unknown> }): void {
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 401, code: 'INVALID_SIGNATURE' });
  expect(typeof res.body.type).toBe('string');
  expect(typeof res.body.title).toBe('string');
  expect(typeof res.body.detail).toBe('string');
}

describe('webhook verification through POST /v1/webhooks/{providerId}', () => {
  let t: TestApp;
  let db: Db;
  let auth: Auth;
  const github = new FakeGitHub();
  const gitlab = new FakeGitLab();
  const gitea = new FakeGitea();
  const bitbucket = new FakeBitbucket();
  const forges = {} as Record<Forge, ForgeUnderTest>;
  let bare: { gitea: string; gitlab: string; bitbucket: string };

  beforeAll(async () => {
    await Promise.all([github.start(), gitlab.start(), gitea.start(), bitbucket.start()]);
    t = await startTestApp({ bitbucketApiUrl: bitbucket.apiUrl });
    db = new Db();
    auth = (await seedOrganization(t.app, 'Verification')).owner.auth;

    const gh = await githubProvider(t, auth, github, [
      { owner: 'binkkatal', name: 'sample_app', branches: ['master'], id: FIXTURE_IDS.githubSampleApp },
    ]);
    await connect(t, auth, serviceId('v-gh'), { providerId: gh.providerId, repository: 'binkkatal/sample_app', branch: 'master' });
    forges.github = {
      providerId: gh.providerId,
      secret: gh.webhookSecret,
      body: fixtureBytes('github', 'push.json'),
      authHeader: 'x-hub-signature-256',
      sign: (body, secret, delivery) => signGitHub(body, secret, { delivery }),
    };

    gitlab.addProject({ path: 'mike/diaspora', defaultBranch: 'master', id: FIXTURE_IDS.gitlabDiaspora });
    const gl = await gitlabProvider(t, auth, gitlab);
    await connect(t, auth, serviceId('v-gl'), { providerId: gl.providerId, repository: 'mike/diaspora', branch: 'master' });
    forges.gitlab = {
      providerId: gl.providerId,
      secret: gitlab.hooks('mike/diaspora')[0]?.token ?? '',
      body: fixtureBytes('gitlab', 'push-event.json'),
      authHeader: 'x-gitlab-token',
      sign: (body, secret, delivery) => signGitLab(body, secret, { delivery }),
    };

    gitea.setRepositories([{ owner: 'example', name: 'example', defaultBranch: 'master' }]);
    gitea.setBranches('example/example', [{ name: 'master' }]);
    const gt = await giteaProvider(t, auth, gitea);
    await connect(t, auth, serviceId('v-gt'), { providerId: gt.providerId, repository: 'example/example', branch: 'master' });
    forges.gitea = {
      providerId: gt.providerId,
      secret: gitea.hooksOf('example/example')[0]?.secret ?? '',
      body: fixtureBytes('gitea', 'push-event.json'),
      authHeader: 'x-gitea-signature',
      sign: (body, secret, delivery) => signGitea(body, secret, { delivery }),
    };

    bitbucket.setRepositories('team_name', [{ slug: 'repo_name', uuid: FIXTURE_IDS.bitbucketRepoName }]);
    bitbucket.setBranches('team_name/repo_name', [{ name: 'name-of-branch' }]);
    const bb = await bitbucketProvider(t, auth, bitbucket, 'team_name');
    await connect(t, auth, serviceId('v-bb'), { providerId: bb.providerId, repository: 'team_name/repo_name', branch: 'name-of-branch' });
    forges.bitbucket = {
      providerId: bb.providerId,
      secret: bitbucket.hooks('team_name/repo_name')[0]?.secret ?? '',
      body: fixtureBytes('bitbucket', 'repo-push.json'),
      authHeader: 'x-hub-signature',
      sign: (body, secret, delivery) => signBitbucket(body, secret, { delivery }),
    };
    for (const forge of Object.values(forges)) expect(forge.secret.length).toBeGreaterThan(10);

    // Providers without any registered hook: no secret is configured for them.
    bare = {
      gitea: (await giteaProvider(t, auth, gitea)).providerId,
      gitlab: (await gitlabProvider(t, auth, gitlab)).providerId,
      bitbucket: (await bitbucketProvider(t, auth, bitbucket, 'team_name')).providerId,
    };
  });

  afterAll(async () => {
    await t?.close();
    await db?.close();
    await Promise.all([github.stop(), gitlab.stop(), gitea.stop(), bitbucket.stop()]);
  });

  async function expectNothingStored(providerId: string, delivery: string): Promise<void> {
    expect(await db.deliveryRows(providerId, delivery)).toEqual([]);
    expect(await db.eventsFor(delivery)).toBe(0);
  }

  describe.each(['github', 'gitlab', 'gitea', 'bitbucket'] as const)('%s', (name) => {
    const f = (): ForgeUnderTest => forges[name];

    it('a correctly signed real payload is accepted (202) and stored', async () => {
      const delivery = newDeliveryId();
      const res = await deliver(t, f().providerId, f().body, f().sign(f().body, f().secret, delivery));
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toEqual({ deliveryId: delivery, deployments: 1 });
      expect(await db.deliveryRows(f().providerId, delivery)).toEqual([{ outcome: 'deployed', reason: null }]);
      expect(await db.eventsFor(delivery)).toBe(1);
    });

    it('a wrong secret is 401 INVALID_SIGNATURE and stores nothing', async () => {
      const delivery = newDeliveryId();
      const res = await deliver(t, f().providerId, f().body, f().sign(f().body, `${f().secret}x`, delivery));
      expectSignatureProblem(res);
      await expectNothingStored(f().providerId, delivery);
    });

    it('a missing signature header is 401, not 500, and stores nothing', async () => {
      const delivery = newDeliveryId();
      const headers = f().sign(f().body, f().secret, delivery);
      delete headers[f().authHeader];
      const res = await deliver(t, f().providerId, f().body, headers);
      expectSignatureProblem(res);
      await expectNothingStored(f().providerId, delivery);
    });

    it('an empty signature header is 401 and stores nothing', async () => {
      const delivery = newDeliveryId();
      const headers = { ...f().sign(f().body, f().secret, delivery), [f().authHeader]: '' };
      const res = await deliver(t, f().providerId, f().body, headers);
      expectSignatureProblem(res);
      await expectNothingStored(f().providerId, delivery);
    });

    it('malformed JSON with a valid signature is 400', async () => {
      const body = Buffer.from('{"ref": "refs/heads/master", "after": ', 'utf8');
      const delivery = newDeliveryId();
      const res = await deliver(t, f().providerId, body, f().sign(body, f().secret, delivery));
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      expect(await db.eventsFor(delivery)).toBe(0);
    });
  });

  describe.each(['github', 'gitea', 'bitbucket'] as const)('%s signs the body', (name) => {
    it('a body changed by one byte after signing is 401 and stores nothing', async () => {
      const f = forges[name];
      const delivery = newDeliveryId();
      const headers = f.sign(f.body, f.secret, delivery);
      const res = await deliver(t, f.providerId, oneByteChanged(f.body), headers);
      expectSignatureProblem(res);
      await expectNothingStored(f.providerId, delivery);
    });
  });

  it('GitLab sends a token, not a signature: a changed body with the right token is accepted', async () => {
    const f = forges.gitlab;
    const delivery = newDeliveryId();
    const res = await deliver(t, f.providerId, oneByteChanged(f.body), signGitLab(f.body, f.secret, { delivery }));
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    expect(res.body.deliveryId).toBe(delivery);
    expect(await db.deliveryRows(f.providerId, delivery)).toHaveLength(1);
  });

  it('GitHub: only X-Hub-Signature-256 counts, the legacy SHA-1 header alone is 401', async () => {
    const f = forges.github;
    const delivery = newDeliveryId();
    const headers = f.sign(f.body, f.secret, delivery);
    const signature = headers['x-hub-signature-256'] as string;
    delete headers['x-hub-signature-256'];
    headers['x-hub-signature'] = signature;
    expectSignatureProblem(await deliver(t, f.providerId, f.body, headers));
    await expectNothingStored(f.providerId, delivery);
  });

  it('signed, but with a delivery id, event name or repository id no forge sends (over 255 characters): 400, nothing stored, the batch around it unharmed', async () => {
    const f = forges.github;
    const longId = 'd'.repeat(3_000);
    const payload = JSON.parse(f.body.toString('utf8')) as { repository: Record<string, unknown> };
    const longRepository = Buffer.from(JSON.stringify({ ...payload, repository: { ...payload.repository, id: '9'.repeat(8_000) } }));
    const normal = Array.from({ length: 10 }, () => ({ body: anotherDelivery(f.body), delivery: newDeliveryId() }));
    const repositoryDelivery = newDeliveryId();
    const eventDelivery = newDeliveryId();
    const [idBody, eventBody] = [anotherDelivery(f.body), anotherDelivery(f.body)];
    const answers = await Promise.all([
      deliver(t, f.providerId, idBody, f.sign(idBody, f.secret, longId)),
      deliver(t, f.providerId, longRepository, f.sign(longRepository, f.secret, repositoryDelivery)),
      deliver(t, f.providerId, eventBody, {
        ...f.sign(eventBody, f.secret, eventDelivery),
        'x-github-event': `push${'x'.repeat(300)}`,
      }),
      ...normal.map(({ body, delivery }) => deliver(t, f.providerId, body, f.sign(body, f.secret, delivery))),
    ]);
    const [byId, byRepository, byEvent] = answers;
    expect(byId?.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', errors: [{ path: 'headers.delivery-id' }] });
    expect(byRepository?.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', errors: [{ path: 'body.repository.id' }] });
    expect(byEvent?.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', errors: [{ path: 'headers.event' }] });
    await expectNothingStored(f.providerId, longId);
    await expectNothingStored(f.providerId, repositoryDelivery);
    await expectNothingStored(f.providerId, eventDelivery);
    for (const answer of answers.slice(3)) expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  });

  it('GitHub: after the webhook secret is changed (PATCH), the old secret is 401 and the new one verifies', async () => {
    const gh = await githubProvider(t, auth, github, [
      { owner: 'binkkatal', name: 'sample_app', branches: ['master'], id: FIXTURE_IDS.githubSampleApp },
    ]);
    const body = anotherDelivery(forges.github.body);
    expect((await deliver(t, gh.providerId, body, signGitHub(body, gh.webhookSecret))).status).toBe(200);
    const rotated = 'rotated-webhook-secret-0123456789';
    const patched = await t.api.patch(`/v1/git-providers/${gh.providerId}/github`).set(auth).send({ webhookSecret: rotated });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    // The first delivery after the change, with the old secret and a body that is not JSON: refused as unsigned (401),
    // not read (400) with the secrets this instance held from the delivery before.
    const broken = Buffer.from('{"ref": ', 'utf8');
    expectSignatureProblem(await deliver(t, gh.providerId, broken, signGitHub(broken, gh.webhookSecret)));
    expect((await deliver(t, gh.providerId, broken, signGitHub(broken, rotated))).status).toBe(400);
    const delivery = newDeliveryId();
    expectSignatureProblem(await deliver(t, gh.providerId, body, signGitHub(body, gh.webhookSecret, { delivery })));
    await expectNothingStored(gh.providerId, delivery);
    const next = anotherDelivery(body);
    const res = await deliver(t, gh.providerId, next, signGitHub(next, rotated));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deployments: 0, reason: 'no_matching_source' });
  });

  it('another instance that verified with the old secret (and keeps secrets in memory) refuses it as soon as the change commits', async () => {
    const other = await startTestApp({ bitbucketApiUrl: bitbucket.apiUrl });
    try {
      const gh = await githubProvider(t, auth, github, [{ owner: 'binkkatal', name: 'sample_app', branches: ['master'] }]);
      const body = forges.github.body;
      expect((await deliver(other, gh.providerId, body, signGitHub(body, gh.webhookSecret))).status).toBe(200);
      const rotated = 'rotated-on-the-first-instance-0123456789';
      expect((await t.api.patch(`/v1/git-providers/${gh.providerId}/github`).set(auth).send({ webhookSecret: rotated })).status).toBe(200);
      const delivery = newDeliveryId();
      expectSignatureProblem(await deliver(other, gh.providerId, body, signGitHub(body, gh.webhookSecret, { delivery })));
      await expectNothingStored(gh.providerId, delivery);
      expect((await deliver(other, gh.providerId, body, signGitHub(body, rotated))).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('Gitea: the HMAC is over the raw bytes (Go-escaped JSON verifies; re-serialising would not)', async () => {
    const f = forges.gitea;
    const payload = fixtureJson('gitea', 'push-event.json');
    (payload.head_commit as Record<string, unknown>).message = 'merge <feature> & fix';
    const body = goJsonBody(payload);
    expect(body.toString('utf8')).toContain('\\u003cfeature\\u003e \\u0026 fix');
    const delivery = newDeliveryId();
    const res = await deliver(t, f.providerId, body, signGitea(body, f.secret, { delivery }));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
  });

  it('Forgejo: X-Forgejo-Signature alone verifies', async () => {
    const f = forges.gitea;
    const delivery = newDeliveryId();
    const body = anotherDelivery(f.body);
    const headers = signGitea(body, f.secret, { delivery, flavour: 'forgejo' });
    delete headers['x-gitea-signature'];
    const res = await deliver(t, f.providerId, body, headers);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
  });

  describe('no secret configured (a provider without registered hooks) never fails open', () => {
    it.each([
      ['gitea', (b: Buffer, s: string, d: string) => signGitea(b, s, { delivery: d }), 'push-event.json'],
      ['gitlab', (b: Buffer, s: string, d: string) => signGitLab(b, s, { delivery: d }), 'push-event.json'],
      ['bitbucket', (b: Buffer, s: string, d: string) => signBitbucket(b, s, { delivery: d }), 'repo-push.json'],
    ] as const)('%s: any signature, even with an empty secret, is 401 and stores nothing', async (name, sign, file) => {
      const providerId = bare[name];
      expect(await db.hookRows(providerId)).toEqual([]);
      const body = fixtureBytes(name, file);
      for (const secret of ['', 'guess', forges[name].secret]) {
        const delivery = newDeliveryId();
        const headers = sign(body, secret, delivery);
        if (name === 'gitlab' && secret === '') headers['x-gitlab-token'] = '';
        expectSignatureProblem(await deliver(t, providerId, body, headers));
        await expectNothingStored(providerId, delivery);
      }
    });
  });

  it('an unknown provider id is 404 NOT_FOUND (a UUID or not)', async () => {
    const body = forges.github.body;
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const res = await deliver(t, id, body, signGitHub(body, forges.github.secret));
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    }
  });

  it('bodies above the 1 MiB API limit are fine for webhooks; over 25 MiB is 413 PAYLOAD_TOO_LARGE', async () => {
    const f = forges.github;
    const big = fixtureJson('github', 'push.json');
    big.padding = 'x'.repeat(2 * 1024 * 1024);
    const bigBody = Buffer.from(JSON.stringify(big), 'utf8');
    const ok = await deliver(t, f.providerId, bigBody, signGitHub(bigBody, f.secret));
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);

    const huge = Buffer.alloc(25 * 1024 * 1024 + 1, 0x20);
    huge[0] = 0x7b; // '{'
    const delivery = newDeliveryId();
    const started = Date.now();
    const res = await deliver(t, f.providerId, huge, signGitHub(huge, f.secret, { delivery }));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(Date.now() - started).toBeLessThan(10_000);
    await expectNothingStored(f.providerId, delivery);
  });
});
