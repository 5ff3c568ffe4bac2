import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { signBitbucket } from '../../support/webhook-signing.js';
import { bitbucketBody, bodyFor, expectProblem, feedUntil, KINDS, type ProviderKind } from './support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;

/** Another organisation never learns that A's ids exist: 404, never 403, and nothing changes. */
describe('tenant isolation (real app, real PostgreSQL, fake Bitbucket)', () => {
  const fake = new FakeBitbucket();
  let t: TestApp;
  let a: Org;
  let b: Org;
  const providers = {} as Record<ProviderKind, string>;
  let bProvider: string;
  const appService = `iso-app-${randomUUID()}`;
  const composeService = `iso-compose-${randomUUID()}`;

  beforeAll(async () => {
    await fake.start();
    fake.addApiToken('a@example.com', 'token-of-a');
    fake.addApiToken('b@example.com', 'token-of-b');
    fake.setRepositories('acme', [{ slug: 'api' }]);
    fake.setRepositories('bravo', [{ slug: 'api' }]);
    t = await startTestApp({ bitbucketApiUrl: fake.apiUrl });
    a = await seedOrganization(t.app, 'Tenant A');
    b = await seedOrganization(t.app, 'Tenant B');
    for (const kind of KINDS) {
      const extra = kind === 'bitbucket' ? { email: 'a@example.com', apiToken: 'token-of-a', workspace: 'acme' } : {};
      const res = await t.api.post(`/v1/git-providers/${kind}`).set(a.owner.auth).send(bodyFor[kind](extra));
      expect(res.status, res.text).toBe(201);
      providers[kind] = res.body.id as string;
    }
    // Shared in A, so even A's plain members see it: sharing must not leak across organisations.
    expect(
      (await t.api.put(`/v1/git-providers/${providers.bitbucket}/sharing`).set(a.owner.auth).send({ sharedWithOrganization: true })).status,
    ).toBe(200);
    for (const [type, id] of [
      ['application', appService],
      ['compose', composeService],
    ] as const) {
      const res = await t.api
        .put(`/v1/services/${type}/${id}/source`)
        .set(a.owner.auth)
        .send({ providerId: providers.bitbucket, repository: 'acme/api', branch: 'main' });
      expect(res.status, res.text).toBe(200);
    }
    const own = await t.api
      .post('/v1/git-providers/bitbucket')
      .set(b.owner.auth)
      .send(bitbucketBody({ email: 'b@example.com', apiToken: 'token-of-b', workspace: 'bravo' }));
    expect(own.status, own.text).toBe(201);
    bProvider = own.body.id as string;
  });
  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });

  it('every provider route with an id of organisation A answers 404 to every role of organisation B', async () => {
    const forgeCallsBefore = fake.requests.length;
    for (const who of [b.owner, b.member]) {
      for (const kind of KINDS) {
        const id = providers[kind];
        const calls = [
          t.api.get(`/v1/git-providers/${id}`),
          t.api.delete(`/v1/git-providers/${id}`),
          t.api.put(`/v1/git-providers/${id}/sharing`).send({ sharedWithOrganization: false }),
          t.api.get(`/v1/git-providers/${id}/authorize-url`),
          t.api.post(`/v1/git-providers/${id}/test-connection`),
          t.api.get(`/v1/git-providers/${id}/repositories`),
          t.api.get(`/v1/git-providers/${id}/branches`).query({ repository: 'acme/api' }),
          t.api.get('/v1/webhook-deliveries').query({ providerId: id }),
          ...KINDS.map((path) => t.api.patch(`/v1/git-providers/${id}/${path}`).send({ name: 'taken over' })),
        ];
        for (const [i, call] of calls.entries()) {
          const res = await call.set(who.auth);
          expectProblem(res, 404, 'NOT_FOUND');
          expect(res.text, `${kind} call #${i}`).not.toContain(a.organizationId);
        }
      }
    }
    // Nothing reached the forge with A's credentials, and A's providers are unchanged.
    expect(fake.requests.slice(forgeCallsBefore)).toEqual([]);
    for (const kind of KINDS) {
      const res = await t.api.get(`/v1/git-providers/${providers[kind]}`).set(a.owner.auth);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ version: kind === 'bitbucket' ? 2 : 1, name: expect.not.stringContaining('taken over') });
    }
  });

  it("service ids are scoped per organisation: B never sees A's source, and B's use of the same id is B's own", async () => {
    for (const [type, id] of [
      ['application', appService],
      ['compose', composeService],
    ] as const) {
      for (const who of [b.owner, b.member]) {
        expectProblem(await t.api.get(`/v1/services/${type}/${id}/source`).set(who.auth), 404, 'NOT_FOUND');
        expectProblem(await t.api.delete(`/v1/services/${type}/${id}/source`).set(who.auth), 404, 'NOT_FOUND');
        expectProblem(await t.api.put(`/v1/services/${type}/${id}/status`).set(who.auth).send({ status: 'error' }), 404, 'NOT_FOUND');
        // With A's provider (invisible to B): the provider is what is not found, never the service.
        const withA = await t.api
          .put(`/v1/services/${type}/${id}/source`)
          .set(who.auth)
          .send({ providerId: providers.bitbucket, repository: 'acme/api', branch: 'main' });
        expectProblem(withA, 404, 'NOT_FOUND');
        expect(withA.body.detail).not.toMatch(/service/i);
      }
      // With B's own, ready provider the same id is simply B's service: same answer as for an id nobody uses.
      const mine = await t.api
        .put(`/v1/services/${type}/${id}/source`)
        .set(b.owner.auth)
        .send({ providerId: bProvider, repository: 'bravo/api', branch: 'main' });
      const fresh = await t.api
        .put(`/v1/services/${type}/unused-${randomUUID()}/source`)
        .set(b.owner.auth)
        .send({ providerId: bProvider, repository: 'bravo/api', branch: 'main' });
      expect(mine.status, mine.text).toBe(200);
      expect(fresh.status, fresh.text).toBe(200);
      expect(mine.body).toMatchObject({
        organizationId: b.organizationId,
        providerId: bProvider,
        repository: 'bravo/api',
        version: fresh.body.version,
      });
      expect(JSON.stringify(mine.body)).not.toContain(a.organizationId);

      // A's source is untouched, and A can keep changing it.
      const still = await t.api.get(`/v1/services/${type}/${id}/source`).set(a.member.auth);
      expect(still.status).toBe(200);
      expect(still.body).toMatchObject({
        organizationId: a.organizationId,
        sourceType: 'git',
        providerId: providers.bitbucket,
        repository: 'acme/api',
        status: 'idle',
      });
      const status = await t.api.put(`/v1/services/${type}/${id}/status`).set(a.owner.auth).send({ status: 'running' });
      expect(status.status, status.text).toBe(200);
      expect((await t.api.get(`/v1/services/${type}/${id}/source`).set(b.owner.auth)).body).toMatchObject({
        organizationId: b.organizationId,
        status: 'idle',
      });
      // B disconnecting its own service leaves A's connected.
      expect((await t.api.delete(`/v1/services/${type}/${id}/source`).set(b.owner.auth)).status).toBe(200);
      expect((await t.api.get(`/v1/services/${type}/${id}/source`).set(a.owner.auth)).body).toMatchObject({
        sourceType: 'git',
        status: 'running',
      });
    }
  });

  it("B's lists, deliveries and event feed never contain A's items", async () => {
    const list = await t.api.get('/v1/git-providers').set(b.owner.auth);
    expect(list.status).toBe(200);
    expect((list.body.items as { id: string }[]).map((p) => p.id)).toEqual([bProvider]);
    for (const kind of KINDS) {
      const filtered = await t.api.get('/v1/git-providers').query({ type: kind }).set(b.member.auth);
      expect(filtered.body.items).toEqual([]);
    }
    // A delivery A's provider received (an event it ignores) is listed for A only.
    const secret = fake.hooks('acme/api')[0]?.secret;
    expect(secret).toBeTruthy();
    const payload = '{}';
    const delivered = await t.api
      .post(`/v1/webhooks/${providers.bitbucket}`)
      .set(signBitbucket(payload, secret ?? '', { event: 'repo:fork' }))
      .send(payload);
    expect(delivered.status, delivered.text).toBe(200);
    const aDeliveries = await t.api.get('/v1/webhook-deliveries').query({ providerId: providers.bitbucket }).set(a.owner.auth);
    expect((aDeliveries.body.items as { deliveryId: string }[]).map((d) => d.deliveryId)).toEqual([delivered.body.deliveryId]);
    const deliveries = await t.api.get('/v1/webhook-deliveries').set(b.owner.auth);
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.items).toEqual([]);

    // A's events exist in the feed (A sees them) …
    const aEvents = await feedUntil(t, a.owner.auth, (all) => all.filter((e) => e.type === 'service-source.connected').length >= 2);
    expect(aEvents.filter((e) => e.type === 'git-provider.created')).toHaveLength(4);
    // … and B's feed holds only B's.
    const bEvents = await feedUntil(t, b.owner.auth, (all) => all.some((e) => e.aggregateId === bProvider));
    expect(bEvents.filter((e) => e.type.startsWith('git-provider.')).map((e) => e.aggregateId)).toEqual([bProvider]);
    expect(bEvents.every((e) => e.organizationId === b.organizationId)).toBe(true);
    // B's own use of the same service ids shows up as B's events, naming B's provider only.
    for (const e of bEvents.filter((e) => e.type.startsWith('service-source.')))
      expect(e.data.providerId === bProvider || e.data.providerId === null).toBe(true);
    const text = JSON.stringify(bEvents);
    for (const id of [...Object.values(providers), a.organizationId]) expect(text).not.toContain(id);
  });
});
