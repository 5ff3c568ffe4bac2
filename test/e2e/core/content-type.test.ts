import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { githubBody } from './support.js';

// A body express does not parse (text, a form) used to reach the route as `{}`: a PATCH then "succeeded",
// bumped the version and emitted git-provider.updated while changing nothing.
describe('a body that is not JSON (real app, real PostgreSQL)', () => {
  let t: TestApp;
  let org: Awaited<ReturnType<typeof seedOrganization>>;

  beforeAll(async () => {
    t = await startTestApp();
    org = await seedOrganization(t.app, 'ContentType');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is refused with 400 VALIDATION_FAILED on every kind of write, and changes nothing', async () => {
    const created = await t.api.post('/v1/git-providers/github').set(org.owner.auth).send(githubBody());
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    const events = async () => ((await t.api.get('/v1/events?limit=500').set(org.owner.auth)).body.items as unknown[]).length;
    const before = await events();

    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await t.api
        .patch(`/v1/git-providers/${id}/github`)
        .set(org.owner.auth)
        .set('Content-Type', type)
        .send('{"name":"renamed"}');
      expect(res.status, `${type}: ${res.text}`).toBe(400);
      expect(res.type).toBe('application/problem+json');
      expect(res.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ path: 'body', message: expect.stringContaining('application/json') }],
      });
    }
    const members = await t.api
      .post('/v1/members')
      .set(org.owner.auth)
      .set('Content-Type', 'text/plain')
      .send('{"userId":"x","role":"member"}');
    expect(members.status, members.text).toBe(400);

    const after = await t.api.get(`/v1/git-providers/${id}`).set(org.owner.auth);
    expect(after.body).toMatchObject({ name: created.body.name, version: created.body.version });
    await t.app.relay.drain();
    expect(await events()).toBe(before);
  });

  it('still takes JSON with a charset, and a bodiless request on a route without a body', async () => {
    const created = await t.api
      .post('/v1/git-providers/github')
      .set(org.owner.auth)
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(JSON.stringify(githubBody()));
    expect(created.status, created.text).toBe(201);
    const tested = await t.api.delete(`/v1/git-providers/${created.body.id}`).set(org.owner.auth).set('Content-Type', 'text/plain');
    expect(tested.status, tested.text).toBe(204);
  });
});
