import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBitbucketDatacenter } from '../../fakes/bitbucket-datacenter-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { signBitbucketDatacenter } from '../../support/webhook-signing.js';
import { fixtureBytes } from '../../unit/webhooks/fixtures.js';
import { deliveries, deliver, deploymentEvents, newDeliveryId } from '../webhooks/support.js';
import { type Auth, expectProblem, PUBLIC_URL, unique } from './support.js';

const TOKEN = 'BBDC-Njg2MzQ1Njc4OTAxOkFkbWluVG9rZW4';
const READ_TOKEN = 'BBDC-OTk5OTk5OTk5OTk5OlJlYWRPbmx5';
/** repo-refs-changed.json: DEV/deployment-automation (id 1684), branch renovate-all moved to this commit. */
const PUSHED = '76797d54bca87db6d1e3e82ee40622c7908aa514';

interface DcSummary {
  id: string;
  type: string;
  status: string;
  version: number;
  bitbucketDatacenter?: { serverUrl: string; internalUrl?: string; username?: string; hasToken: boolean };
}

describe('e2e Bitbucket Data Center: token provider, pickers, hooks, pushes', () => {
  // Mounted under a context path, as many installs are.
  const fake = new FakeBitbucketDatacenter({ contextPath: '/bitbucket' });
  let t: TestApp;
  let owner: { auth: Auth };
  let member: { auth: Auth };
  let stranger: { auth: Auth };
  let providerId: string;

  const create = async (body: Record<string, unknown>, auth = owner.auth) =>
    t.api
      .post('/v1/git-providers/bitbucket-datacenter')
      .set(auth)
      .send({ name: unique('bbdc'), serverUrl: fake.serverUrl, token: TOKEN, ...body });
  const read = async (id: string, auth = owner.auth): Promise<DcSummary> => {
    const res = await t.api.get(`/v1/git-providers/${id}`).set(auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as DcSummary;
  };

  beforeAll(async () => {
    await fake.start();
    fake.addToken(TOKEN, 'REPO_ADMIN');
    fake.addToken(READ_TOKEN, 'REPO_READ');
    fake.maxLimit = 1000;
    fake.setRepositories([
      { slug: 'deployment-automation', project: 'DEV', id: 1684, defaultBranch: 'main' },
      { slug: 'dotfiles', project: '~JDOE', id: 1700 },
      ...Array.from({ length: 1_028 }, (_, i) => ({ slug: `svc-${String(i + 1).padStart(4, '0')}`, project: 'OPS' })),
    ]);
    fake.setBranches('DEV/deployment-automation', [
      { name: 'main' },
      { name: 'renovate-all', commitSha: 'e0e15221b987fd8296141c0faa6a79f7c86ca4ce' },
      ...Array.from({ length: 40 }, (_, i) => ({ name: `feature/f-${i + 1}` })),
    ]);
    t = await startTestApp();
    const org = await seedOrganization(t.app, 'Bitbucket Data Center e2e');
    owner = org.owner;
    member = org.member;
    stranger = (await seedOrganization(t.app, 'Elsewhere')).owner;
    const res = await create({ username: 'deploy-bot' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    providerId = (res.body as { id: string }).id;
  });

  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });

  it('is ready at once (no OAuth), its summary has the bitbucketDatacenter block and never the token', async () => {
    const s = await read(providerId);
    expect(s).toMatchObject({
      type: 'bitbucket-datacenter',
      status: 'ready',
      bitbucketDatacenter: { serverUrl: fake.serverUrl, username: 'deploy-bot', hasToken: true },
    });
    expect(s.bitbucketDatacenter).not.toHaveProperty('internalUrl');
    expect(JSON.stringify(s)).not.toContain(TOKEN);
    const list = await t.api.get('/v1/git-providers').query({ type: 'bitbucket-datacenter' }).set(owner.auth);
    expect((list.body.items as { id: string }[]).map((p) => p.id)).toContain(providerId);
  });

  it('test-connection counts every page: "Found 1030 repositories"', async () => {
    fake.resetStats();
    const res = await t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(owner.auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ ok: true, repositoryCount: 1030, message: 'Found 1030 repositories' });
    expect(fake.requests.map((r) => [r.path, r.query.start])).toEqual([
      ['/repos', '0'],
      ['/repos', '1000'],
    ]);
    expect(fake.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('serves the repository and branch pickers; an unknown repository is 404', async () => {
    const all = await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(owner.auth);
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(all.body.total).toBe(1030);
    const items = all.body.items as { id: string; fullName: string; owner: string; name: string }[];
    expect(items.find((r) => r.fullName === 'DEV/deployment-automation')).toMatchObject({
      id: '1684',
      owner: 'DEV',
      name: 'deployment-automation',
    });
    expect(items.find((r) => r.fullName === '~JDOE/dotfiles')).toMatchObject({ id: '1700' });
    const searched = await t.api
      .get(`/v1/git-providers/${providerId}/repositories`)
      .query({ search: 'svc-00', perPage: 5, page: 2 })
      .set(owner.auth);
    expect(searched.body.total).toBe(99);
    expect(searched.body.items).toHaveLength(5);

    const branches = await t.api
      .get(`/v1/git-providers/${providerId}/branches`)
      .query({ repository: 'DEV/deployment-automation' })
      .set(owner.auth);
    expect(branches.status, JSON.stringify(branches.body)).toBe(200);
    expect(branches.body.total).toBe(42);
    expect(branches.body.items).toContainEqual({ name: 'renovate-all', commitSha: 'e0e15221b987fd8296141c0faa6a79f7c86ca4ce' });
    expectProblem(
      await t.api.get(`/v1/git-providers/${providerId}/branches`).query({ repository: 'DEV/missing' }).set(owner.auth),
      404,
      'NOT_FOUND',
    );
  });

  it('refuses bad input with 400 before any forge request: no token, a non-https or unlisted server, a path-climbing repository', async () => {
    fake.resetStats();
    expectProblem(await create({ token: undefined }), 400, 'VALIDATION_FAILED');
    expectProblem(await create({ serverUrl: 'http://bitbucket.example.com' }), 400, 'VALIDATION_FAILED');
    expectProblem(await create({ serverUrl: 'https://127.0.0.2:8443/bitbucket' }), 400, 'VALIDATION_FAILED');
    expectProblem(await create({ internalUrl: 'http://10.1.2.3:7990' }), 400, 'VALIDATION_FAILED');
    expectProblem(
      await t.api.get(`/v1/git-providers/${providerId}/branches`).query({ repository: 'DEV/..' }).set(owner.auth),
      400,
      'VALIDATION_FAILED',
    );
    expect(fake.requests).toHaveLength(0);
  });

  it('a wrong token is 422 PROVIDER_NOT_READY and needs_reauthorization until PATCH token fixes it', async () => {
    const res = await create({ token: 'BBDC-revoked' });
    const id = (res.body as { id: string }).id;
    const problem = expectProblem(await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth), 422, 'PROVIDER_NOT_READY');
    expect(problem.detail).toContain('Bitbucket Data Center');
    expect((await read(id)).status).toBe('needs_reauthorization');
    const patched = await t.api.patch(`/v1/git-providers/${id}/bitbucket-datacenter`).set(owner.auth).send({ token: TOKEN });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect((await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth)).status).toBe(200);
    expect((await read(id)).status).toBe('ready');
  });

  it('credentials never follow a new address: a serverUrl or internalUrl change without the token drops it', async () => {
    const id = ((await create({})).body as { id: string }).id;
    const moved = await t.api
      .patch(`/v1/git-providers/${id}/bitbucket-datacenter`)
      .set(owner.auth)
      .send({ serverUrl: `${fake.url}/other-context` });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({
      status: 'pending_authorization',
      bitbucketDatacenter: { serverUrl: `${fake.url}/other-context`, hasToken: false },
    });
    fake.resetStats();
    expectProblem(await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner.auth), 422, 'PROVIDER_NOT_READY');
    expect(fake.requests).toHaveLength(0);

    const back = await t.api
      .patch(`/v1/git-providers/${id}/bitbucket-datacenter`)
      .set(owner.auth)
      .send({ serverUrl: fake.serverUrl, internalUrl: fake.serverUrl, token: TOKEN });
    expect(back.body).toMatchObject({ status: 'ready', bitbucketDatacenter: { internalUrl: fake.serverUrl, hasToken: true } });
    const dropped = await t.api.patch(`/v1/git-providers/${id}/bitbucket-datacenter`).set(owner.auth).send({ internalUrl: null });
    expect(dropped.body).toMatchObject({ status: 'pending_authorization', bitbucketDatacenter: { hasToken: false } });
    expect(dropped.body.bitbucketDatacenter).not.toHaveProperty('internalUrl');
    // a change of name alone keeps the token
    await t.api.patch(`/v1/git-providers/${id}/bitbucket-datacenter`).set(owner.auth).send({ token: TOKEN });
    const renamed = await t.api
      .patch(`/v1/git-providers/${id}/bitbucket-datacenter`)
      .set(owner.auth)
      .send({ name: unique('renamed') });
    expect(renamed.body).toMatchObject({ status: 'ready', bitbucketDatacenter: { hasToken: true } });
  });

  it('another organisation gets 404 for the provider, its pickers, PATCH and DELETE, and no forge request is made', async () => {
    fake.resetStats();
    expectProblem(await t.api.get(`/v1/git-providers/${providerId}`).set(stranger.auth), 404, 'NOT_FOUND');
    expectProblem(await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(stranger.auth), 404, 'NOT_FOUND');
    expectProblem(await t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(stranger.auth), 404, 'NOT_FOUND');
    expectProblem(
      await t.api.patch(`/v1/git-providers/${providerId}/bitbucket-datacenter`).set(stranger.auth).send({ token: 'BBDC-mine-now' }),
      404,
      'NOT_FOUND',
    );
    expectProblem(await t.api.delete(`/v1/git-providers/${providerId}`).set(stranger.auth), 404, 'NOT_FOUND');
    // a member of the same organisation does not see an unshared provider either, and may not create one
    expectProblem(await t.api.get(`/v1/git-providers/${providerId}`).set(member.auth), 404, 'NOT_FOUND');
    expectProblem(await create({}, member.auth), 403, 'UNAUTHORIZED');
    expect(fake.requests).toHaveLength(0);
    expect((await read(providerId)).bitbucketDatacenter?.hasToken).toBe(true);
  });

  it('connect → hook with a secret; a signed real push → deployment.requested with the pushed sha; duplicate; disconnect → hook removed', async () => {
    const service = unique('svc');
    const hookUrl = `${PUBLIC_URL}/v1/webhooks/${providerId}`;
    const connected = await t.api
      .put(`/v1/services/application/${service}/source`)
      .set(owner.auth)
      .send({ providerId, repository: 'DEV/deployment-automation', branch: 'renovate-all' });
    expect(connected.status, JSON.stringify(connected.body)).toBe(200);
    expect(connected.body).toMatchObject({
      providerType: 'bitbucket-datacenter',
      repository: 'DEV/deployment-automation',
      repositoryId: '1684',
      branch: 'renovate-all',
      webhook: { registered: true, url: hookUrl },
    });
    const hooks = fake.hooksOf('DEV/deployment-automation').filter((h) => h.url === hookUrl);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ active: true, events: expect.arrayContaining(['repo:refs_changed', 'pr:opened']) });
    const secret = hooks[0]?.secret ?? '';
    expect(secret.length).toBeGreaterThanOrEqual(32);

    const body = fixtureBytes('bitbucket-datacenter', 'repo-refs-changed.json');
    const delivery = newDeliveryId();
    const wrong = await deliver(t, providerId, body, signBitbucketDatacenter(body, 'not-the-secret', { delivery: newDeliveryId() }));
    expectProblem(wrong, 401, 'INVALID_SIGNATURE');

    const res = await deliver(t, providerId, body, signBitbucketDatacenter(body, secret, { delivery }));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.deployments).toBe(1);
    const [event] = await deploymentEvents(t, owner.auth, (e) => (e.data as { deliveryId?: string }).deliveryId === delivery);
    expect(event?.data).toMatchObject({
      serviceType: 'application',
      serviceId: service,
      providerId,
      providerType: 'bitbucket-datacenter',
      repository: 'DEV/deployment-automation',
      repositoryId: '1684',
      ref: { type: 'branch', name: 'renovate-all' },
      commit: { sha: PUSHED, message: 'chore(deps): update all', author: 'Renovate Bot' },
      trigger: 'push',
      deliveryId: delivery,
    });

    // The same X-Request-Id again (a byte-different body: not a replay of the same bytes) is a duplicate.
    const again = Buffer.concat([body, Buffer.from('\n')]);
    const duplicate = await deliver(t, providerId, again, signBitbucketDatacenter(again, secret, { delivery }));
    expect(duplicate.status, JSON.stringify(duplicate.body)).toBe(200);
    expect(duplicate.body).toMatchObject({ duplicate: true });

    const ping = await deliver(
      t,
      providerId,
      '{"test": true}',
      signBitbucketDatacenter('{"test": true}', secret, { event: 'diagnostics:ping' }),
    );
    expect(ping.status, JSON.stringify(ping.body)).toBe(200);
    expect(ping.body).toMatchObject({ deployments: 0, reason: 'ping' });
    const seen = await deliveries(t, owner.auth, providerId);
    expect(seen.filter((d) => d.deliveryId === delivery).map((d) => [d.event, d.outcome, d.deployments])).toEqual(
      expect.arrayContaining([
        ['repo:refs_changed', 'deployed', 1],
        ['repo:refs_changed', 'duplicate', 0],
      ]),
    );

    const disconnected = await t.api.delete(`/v1/services/application/${service}/source`).set(owner.auth);
    expect(disconnected.status, JSON.stringify(disconnected.body)).toBe(200);
    expect(fake.hooksOf('DEV/deployment-automation').filter((h) => h.url === hookUrl)).toEqual([]);
    const late = await deliver(t, providerId, body, signBitbucketDatacenter(body, secret, { delivery: newDeliveryId() }));
    expectProblem(late, 401, 'INVALID_SIGNATURE');
  });

  it('a mirror push changing 2,000 refs is screened in batches: 202, the one matching branch deploys its sha', async () => {
    const service = unique('svc');
    const connected = await t.api
      .put(`/v1/services/application/${service}/source`)
      .set(owner.auth)
      .send({ providerId, repository: 'DEV/deployment-automation', branch: 'renovate-all' });
    expect(connected.status, JSON.stringify(connected.body)).toBe(200);
    const secret = fake.hooksOf('DEV/deployment-automation').find((h) => h.url === `${PUBLIC_URL}/v1/webhooks/${providerId}`)?.secret ?? '';
    // The real payload, with its one change followed by 1,999 more (other branches), the matching one last.
    const payload = JSON.parse(fixtureBytes('bitbucket-datacenter', 'repo-refs-changed.json').toString('utf8')) as {
      changes: { ref: { id: string; displayId: string; type: string }; refId: string; fromHash: string; toHash: string; type: string }[];
    };
    const [change] = payload.changes;
    if (!change) throw new Error('the fixture has no change');
    const others = Array.from({ length: 1_999 }, (_, i) => ({
      ...change,
      ref: { ...change.ref, id: `refs/heads/mirror-${i}`, displayId: `mirror-${i}` },
      refId: `refs/heads/mirror-${i}`,
      toHash: i.toString(16).padStart(40, 'a'),
    }));
    payload.changes = [...others, change];
    const body = Buffer.from(JSON.stringify(payload));
    const delivery = newDeliveryId();
    const res = await deliver(t, providerId, body, signBitbucketDatacenter(body, secret, { delivery }));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.deployments).toBe(1);
    const events = await deploymentEvents(t, owner.auth, (e) => (e.data as { deliveryId?: string }).deliveryId === delivery);
    expect(events.map((e) => (e.data as { commit: { sha: string } }).commit.sha)).toEqual([PUSHED]);
    await t.api.delete(`/v1/services/application/${service}/source`).set(owner.auth);
  });

  it('a token without repository admin connects the source but cannot register the hook; the provider stays ready', async () => {
    const id = ((await create({ token: READ_TOKEN })).body as { id: string }).id;
    const res = await t.api
      .put(`/v1/services/application/${unique('svc')}/source`)
      .set(owner.auth)
      .send({ providerId: id, repository: 'DEV/deployment-automation', branch: 'main' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.webhook).toMatchObject({ registered: false });
    expect(JSON.stringify(res.body.webhook)).toContain('not permitted');
    expect((await read(id)).status).toBe('ready');
  });

  it('deleting the provider removes the hooks it registered', async () => {
    const id = ((await create({})).body as { id: string }).id;
    const hookUrl = `${PUBLIC_URL}/v1/webhooks/${id}`;
    await t.api
      .put(`/v1/services/application/${unique('svc')}/source`)
      .set(owner.auth)
      .send({ providerId: id, repository: '~JDOE/dotfiles', branch: 'main' })
      .expect(200);
    expect(fake.hooksOf('~JDOE/dotfiles').filter((h) => h.url === hookUrl)).toHaveLength(1);
    expect((await t.api.delete(`/v1/git-providers/${id}`).set(owner.auth)).status).toBe(204);
    const deadline = Date.now() + 10_000;
    while (fake.hooksOf('~JDOE/dotfiles').some((h) => h.url === hookUrl) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(fake.hooksOf('~JDOE/dotfiles').filter((h) => h.url === hookUrl)).toEqual([]);
  });

  it('never wrote a token or a hook secret to the logs', () => {
    const logs = t.logs();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(TOKEN);
    expect(logs).not.toContain(READ_TOKEN);
    for (const hook of fake.hooksOf('DEV/deployment-automation')) if (hook.secret) expect(logs).not.toContain(hook.secret);
  });
});
