import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { bitbucketBody, expectProblem } from './support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;

/**
 * A source connected to a provider the caller may not see (private to its creator) is as invisible as the provider:
 * a plain member can neither read it (its provider id, repository, hook) nor disconnect it nor report on it.
 */
describe('a source of a provider the caller cannot see (real app, real PostgreSQL, fake Bitbucket)', () => {
  const fake = new FakeBitbucket();
  let t: TestApp;
  let org: Org;
  let providerId: string;
  const service = `vis-${randomUUID()}`;
  const path = `/v1/services/application/${service}`;

  beforeAll(async () => {
    await fake.start();
    fake.addApiToken('a@example.com', 'token-of-a');
    fake.setRepositories('acme', [{ slug: 'api' }]);
    t = await startTestApp({ bitbucketApiUrl: fake.apiUrl });
    org = await seedOrganization(t.app, 'Visibility');
    const created = await t.api
      .post('/v1/git-providers/bitbucket')
      .set(org.admin.auth)
      .send(bitbucketBody({ email: 'a@example.com', apiToken: 'token-of-a', workspace: 'acme' }));
    expect(created.status, created.text).toBe(201);
    providerId = created.body.id as string;
    const connected = await t.api.put(`${path}/source`).set(org.admin.auth).send({ providerId, repository: 'acme/api', branch: 'main' });
    expect(connected.status, connected.text).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });

  it('answers 404 to a member on read, disconnect and status, and changes nothing', async () => {
    const before = (await t.api.get(`${path}/source`).set(org.admin.auth)).body;
    expect(before).toMatchObject({ sourceType: 'git', providerId });
    const forgeCalls = fake.requests.length;

    expectProblem(await t.api.get(`${path}/source`).set(org.member.auth), 404, 'NOT_FOUND');
    expectProblem(await t.api.delete(`${path}/source`).set(org.member.auth), 404, 'NOT_FOUND');
    expectProblem(await t.api.put(`${path}/status`).set(org.member.auth).send({ status: 'running' }), 404, 'NOT_FOUND');
    // The answer is the one for a service that has no source at all.
    const unknown = await t.api.get(`/v1/services/application/never-${randomUUID()}/source`).set(org.member.auth);
    expect((await t.api.get(`${path}/source`).set(org.member.auth)).body).toEqual(unknown.body);
    // The refused requests sent nothing to the forge (the admin's read below checks the hook's health there, legitimately).
    expect(fake.requests.length).toBe(forgeCalls);

    expect((await t.api.get(`${path}/source`).set(org.admin.auth)).body).toEqual(before);
  });

  it('the owner (and the creator) still see it; once the provider is shared, so does the member', async () => {
    expect((await t.api.get(`${path}/source`).set(org.owner.auth)).status).toBe(200);
    expect(
      (await t.api.put(`/v1/git-providers/${providerId}/sharing`).set(org.admin.auth).send({ sharedWithOrganization: true })).status,
    ).toBe(200);
    const seen = await t.api.get(`${path}/source`).set(org.member.auth);
    expect(seen.status, seen.text).toBe(200);
    expect(seen.body.providerId).toBe(providerId);
    const reported = await t.api.put(`${path}/status`).set(org.member.auth).send({ status: 'running' });
    expect(reported.status, reported.text).toBe(200);
  });

  it('a disconnected source belongs to the organisation: every member reads it', async () => {
    expect(
      (await t.api.put(`/v1/git-providers/${providerId}/sharing`).set(org.admin.auth).send({ sharedWithOrganization: false })).status,
    ).toBe(200);
    expect((await t.api.delete(`${path}/source`).set(org.admin.auth)).status).toBe(200);
    const seen = await t.api.get(`${path}/source`).set(org.member.auth);
    expect(seen.status, seen.text).toBe(200);
    expect(seen.body).toMatchObject({ sourceType: 'none', providerId: null });
  });
});
