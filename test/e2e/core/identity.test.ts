import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { expectProblem } from './support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;

describe('identity API (real app, real PostgreSQL)', () => {
  let t: TestApp;
  let org: Org;

  beforeAll(async () => {
    t = await startTestApp();
    org = await seedOrganization(t.app, 'Identity');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('/healthz and /readyz answer without a key', async () => {
    expect((await t.api.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await t.api.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
  });

  it('GET /v1/me answers who the key belongs to, for every role', async () => {
    for (const who of [org.owner, org.admin, org.member]) {
      const res = await t.api.get('/v1/me').set(who.auth);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ userId: who.userId, organizationId: org.organizationId, role: who.role });
    }
  });

  it('POST /v1/members by an owner → 201 with a key that works (shown once, stored hashed)', async () => {
    const res = await t.api.post('/v1/members').set(org.owner.auth).send({ userId: 'new-admin', role: 'admin' });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({ userId: 'new-admin', role: 'admin', apiKey: expect.any(String) });
    const key = res.body.apiKey as string;
    expect(key.length).toBeGreaterThanOrEqual(32);
    const me = await t.api.get('/v1/me').set('Authorization', `Bearer ${key}`);
    expect(me.body).toEqual({ userId: 'new-admin', organizationId: org.organizationId, role: 'admin' });

    // An admin adds a member too; the new member's key has member rights only.
    const added = await t.api.post('/v1/members').set('Authorization', `Bearer ${key}`).send({ userId: 'new-member', role: 'member' });
    expect(added.status, added.text).toBe(201);
    const memberAuth = { Authorization: `Bearer ${added.body.apiKey as string}` };
    expect((await t.api.get('/v1/me').set(memberAuth)).body.role).toBe('member');
    expectProblem(
      await t.api
        .post('/v1/git-providers/gitea')
        .set(memberAuth)
        .send({ name: 'x', giteaUrl: 'http://127.0.0.1:9', clientId: 'c', clientSecret: 's' }),
      403,
      'UNAUTHORIZED',
    );
  });

  it('POST /v1/members by a member → 403, a duplicate → 409, a bad body → 400', async () => {
    expectProblem(await t.api.post('/v1/members').set(org.member.auth).send({ userId: 'sneaky', role: 'owner' }), 403, 'UNAUTHORIZED');
    expectProblem(await t.api.post('/v1/members').set(org.member.auth).send({ userId: 'sneaky2', role: 'member' }), 403, 'UNAUTHORIZED');
    expectProblem(await t.api.post('/v1/members').set(org.owner.auth).send({ userId: org.member.userId, role: 'admin' }), 409, 'CONFLICT');
    // The 409 did not change the existing member's role.
    expect((await t.api.get('/v1/me').set(org.member.auth)).body.role).toBe('member');
    expectProblem(await t.api.post('/v1/members').set(org.owner.auth).send({ userId: 'x', role: 'superuser' }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.api.post('/v1/members').set(org.owner.auth).send({ role: 'member' }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.api.post('/v1/members').send({ userId: 'x', role: 'member' }), 401, 'UNAUTHENTICATED');
    // The same user id may belong to another organisation.
    const other = await seedOrganization(t.app, 'Identity other');
    expect((await t.api.post('/v1/members').set(other.owner.auth).send({ userId: org.member.userId, role: 'member' })).status).toBe(201);
  });

  it('rotating a key makes the old one 401 and the new one work', async () => {
    const own = await seedOrganization(t.app, 'Rotation');
    expect((await t.api.get('/v1/me').set(own.admin.auth)).status).toBe(200);
    const rotated = await t.app.identity.rotateKey({ organizationId: own.organizationId, userId: own.admin.userId });
    if (!rotated.ok) throw new Error(rotated.error.detail);
    expect(rotated.value.apiKey).not.toBe(own.admin.apiKey);
    expectProblem(await t.api.get('/v1/me').set(own.admin.auth), 401, 'UNAUTHENTICATED');
    expectProblem(await t.api.get('/v1/git-providers').set(own.admin.auth), 401, 'UNAUTHENTICATED');
    const me = await t.api.get('/v1/me').set('Authorization', `Bearer ${rotated.value.apiKey}`);
    expect(me.body).toEqual({ userId: own.admin.userId, organizationId: own.organizationId, role: 'admin' });
    // Other members' keys are untouched.
    expect((await t.api.get('/v1/me').set(own.owner.auth)).status).toBe(200);
    const unknown = await t.app.identity.rotateKey({ organizationId: own.organizationId, userId: 'nobody' });
    expect(unknown.ok ? 'ok' : unknown.error.code).toBe('NOT_FOUND');
  });
});

describe('public paths', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answer 404 for other methods and unknown callbacks, without asking for an API key', async () => {
    for (const res of [
      await t.api.get('/v1/webhooks/01a20000-0000-7000-8000-000000000000'),
      await t.api.put('/v1/webhooks/01a20000-0000-7000-8000-000000000000').send({}),
      await t.api.post('/v1/callbacks/gitlab'),
      await t.api.get('/v1/callbacks/bitbucket'),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
  });
});
