import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { bitbucketBody, expectProblem, feedUntil, gitlabBody, uniqueName } from './support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;

const EMAIL = 'deploy@example.com';
const TOKEN = 'ATATT-sources-e2e-token';
const serviceId = (label: string): string => `${label}-${randomUUID()}`;

/** The contract's answer after a disconnect (and for every later GET). */
const cleared = (org: Org, serviceType: 'application' | 'compose', id: string) => ({
  serviceType,
  serviceId: id,
  organizationId: org.organizationId,
  sourceType: 'none',
  providerId: null,
  providerType: null,
  repository: null,
  repositoryId: null,
  owner: null,
  branch: null,
  triggerType: null,
  watchPaths: null,
  autoDeploy: false,
  buildPath: '/',
  composePath: null,
  previews: { enabled: false, fromForks: false },
  status: serviceType === 'compose' ? 'idle' : expect.any(String),
  webhook: expect.objectContaining({ registered: false, status: 'not_registered' }),
  version: expect.any(Number),
});

describe('service sources (real app, real PostgreSQL, fake Bitbucket)', () => {
  const fake = new FakeBitbucket();
  let t: TestApp;
  let org: Org;
  let providerId: string;

  const createProvider = async (who: Org['owner'], extra: Record<string, unknown> = {}): Promise<string> => {
    const res = await t.api
      .post('/v1/git-providers/bitbucket')
      .set(who.auth)
      .send(bitbucketBody({ email: EMAIL, apiToken: TOKEN, workspace: 'acme', ...extra }));
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  };

  beforeAll(async () => {
    await fake.start();
    fake.addApiToken(EMAIL, TOKEN);
    fake.setRepositories('acme', [{ slug: 'api' }, { slug: 'web' }, { slug: 'stack' }]);
    fake.setBranches('acme/api', [{ name: 'main' }, { name: 'develop' }]);
    fake.setBranches('acme/stack', [{ name: 'main' }]);
    t = await startTestApp({ bitbucketApiUrl: fake.apiUrl });
    org = await seedOrganization(t.app, 'Sources');
    providerId = await createProvider(org.owner);
  });
  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });

  it('lists repositories and branches, tests the connection', async () => {
    const repos = await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(org.member.auth);
    expectProblem(repos, 404, 'NOT_FOUND'); // not shared: a member cannot see it
    const res = await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(org.owner.auth);
    expect(res.status, res.text).toBe(200);
    expect(res.body.total).toBe(3);
    expect((res.body.items as { fullName: string }[]).map((r) => r.fullName).sort()).toEqual(['acme/api', 'acme/stack', 'acme/web']);
    expect(res.body.items[0]).toEqual({
      id: expect.any(String),
      fullName: expect.any(String),
      owner: 'acme',
      name: expect.any(String),
      defaultBranch: 'main',
      private: true,
      htmlUrl: expect.stringMatching(/^https:\/\//),
      cloneUrl: expect.stringMatching(/^https:\/\//),
    });
    const paged = await t.api.get(`/v1/git-providers/${providerId}/repositories`).query({ page: 2, perPage: 2 }).set(org.owner.auth);
    expect(paged.body).toMatchObject({ total: 3, items: [expect.any(Object)] });
    const branches = await t.api.get(`/v1/git-providers/${providerId}/branches`).query({ repository: 'acme/api' }).set(org.owner.auth);
    expect(branches.status, branches.text).toBe(200);
    expect(branches.body.total).toBe(2);
    expect((branches.body.items as { name: string }[]).map((b) => b.name).sort()).toEqual(['develop', 'main']);
    expect(branches.body.items[0]).toMatchObject({ name: expect.any(String), commitSha: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expectProblem(
      await t.api.get(`/v1/git-providers/${providerId}/branches`).query({ repository: 'acme/nope' }).set(org.owner.auth),
      404,
      'NOT_FOUND',
    );
    expectProblem(await t.api.get(`/v1/git-providers/${providerId}/branches`).set(org.owner.auth), 400, 'VALIDATION_FAILED');
    const tested = await t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(org.owner.auth);
    expect(tested.body).toEqual({ ok: true, repositoryCount: 3, message: 'Found 3 repositories' });
    // Bitbucket does not use OAuth.
    expectProblem(await t.api.get(`/v1/git-providers/${providerId}/authorize-url`).set(org.owner.auth), 409, 'CONFLICT');
  });

  it('connects an application: 200 Source, registers one push+tag hook with a secret, and GET returns the same', async () => {
    const id = serviceId('app');
    const res = await t.api
      .put(`/v1/services/application/${id}/source`)
      .set(org.owner.auth)
      .send({ providerId, repository: 'acme/api', branch: 'develop', watchPaths: ['src/**', 'package.json'], buildPath: '/apps/api' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      serviceType: 'application',
      serviceId: id,
      organizationId: org.organizationId,
      sourceType: 'git',
      providerId,
      providerType: 'bitbucket',
      repository: 'acme/api',
      repositoryId: expect.stringMatching(/^\{[0-9a-f-]{36}\}$/),
      owner: 'acme',
      branch: 'develop',
      triggerType: 'push',
      watchPaths: ['src/**', 'package.json'],
      autoDeploy: true,
      buildPath: '/apps/api',
      composePath: null,
      previews: { enabled: false, fromForks: false },
      status: 'idle',
      // Nothing delivered yet: the hook is registered and waits for its first delivery.
      webhook: expect.objectContaining({
        registered: true,
        url: `http://forgelink.test/v1/webhooks/${providerId}`,
        status: 'awaiting_first_delivery',
        registeredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
      version: expect.any(Number),
    });
    const hooks = fake.hooks('acme/api').filter((h) => h.url === `http://forgelink.test/v1/webhooks/${providerId}`);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ active: true, events: expect.arrayContaining(['repo:push']) });
    expect(hooks[0]?.secret).toMatch(/^.{16,}$/);

    const got = await t.api.get(`/v1/services/application/${id}/source`).set(org.admin.auth);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
    // The provider is not shared: a plain member sees neither it nor the sources that use it.
    expectProblem(await t.api.get(`/v1/services/application/${id}/source`).set(org.member.auth), 404, 'NOT_FOUND');
  });

  it('connects a compose with a composePath, then a tag source without a branch; a second source on the same repository reuses the hook', async () => {
    const compose = serviceId('compose');
    const res = await t.api
      .put(`/v1/services/compose/${compose}/source`)
      .set(org.admin.auth)
      .send({ providerId, repository: 'acme/stack', branch: 'main', composePath: 'deploy/compose.yml', autoDeploy: false });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      serviceType: 'compose',
      sourceType: 'git',
      composePath: 'deploy/compose.yml',
      autoDeploy: false,
      status: 'idle',
      repository: 'acme/stack',
    });

    const tag = serviceId('tagged');
    const tagged = await t.api
      .put(`/v1/services/application/${tag}/source`)
      .set(org.owner.auth)
      .send({ providerId, repository: 'acme/stack', triggerType: 'tag' });
    expect(tagged.status, tagged.text).toBe(200);
    expect(tagged.body).toMatchObject({ triggerType: 'tag', branch: null, repository: 'acme/stack' });
    expect(fake.hooks('acme/stack').filter((h) => h.url.endsWith(providerId))).toHaveLength(1);

    // composePath belongs to compose services only.
    expectProblem(
      await t.api
        .put(`/v1/services/application/${serviceId('x')}/source`)
        .set(org.owner.auth)
        .send({ providerId, repository: 'acme/stack', branch: 'main', composePath: 'a.yml' }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('a repository or branch missing on the forge is 422, and nothing is stored', async () => {
    const id = serviceId('missing');
    expectProblem(
      await t.api
        .put(`/v1/services/application/${id}/source`)
        .set(org.owner.auth)
        .send({ providerId, repository: 'acme/nope', branch: 'main' }),
      422,
      'PROVIDER_NOT_READY',
    );
    expectProblem(
      await t.api
        .put(`/v1/services/application/${id}/source`)
        .set(org.owner.auth)
        .send({ providerId, repository: 'acme/api', branch: 'no-such-branch' }),
      422,
      'PROVIDER_NOT_READY',
    );
    expectProblem(await t.api.get(`/v1/services/application/${id}/source`).set(org.owner.auth), 404, 'NOT_FOUND');
    expect(fake.hooks('acme/web')).toHaveLength(0);
  });

  it('a provider that is not ready is 422; one the caller cannot see is 404; bad bodies are 400', async () => {
    const gitlab = await t.api.post('/v1/git-providers/gitlab').set(org.owner.auth).send(gitlabBody());
    expectProblem(
      await t.api
        .put(`/v1/services/application/${serviceId('gl')}/source`)
        .set(org.owner.auth)
        .send({ providerId: gitlab.body.id as string, repository: 'acme/api', branch: 'main' }),
      422,
      'PROVIDER_NOT_READY',
    );

    const hidden = await createProvider(org.admin, { name: uniqueName('Hidden') });
    const id = serviceId('hidden');
    expectProblem(
      await t.api
        .put(`/v1/services/application/${id}/source`)
        .set(org.member.auth)
        .send({ providerId: hidden, repository: 'acme/api', branch: 'main' }),
      404,
      'NOT_FOUND',
    );
    expect((await t.api.put(`/v1/git-providers/${hidden}/sharing`).set(org.admin.auth).send({ sharedWithOrganization: true })).status).toBe(
      200,
    );
    const shared = await t.api
      .put(`/v1/services/application/${id}/source`)
      .set(org.member.auth)
      .send({ providerId: hidden, repository: 'acme/api', branch: 'main' });
    expect(shared.status, shared.text).toBe(200);

    expectProblem(
      await t.api.put(`/v1/services/application/${id}/source`).set(org.owner.auth).send({ providerId, repository: 'acme/api' }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await t.api
        .put(`/v1/services/application/${id}/source`)
        .set(org.owner.auth)
        .send({ providerId: 'nope', repository: 'acme/api', branch: 'main' }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await t.api.put(`/v1/services/widget/${id}/source`).set(org.owner.auth).send({ providerId, repository: 'acme/api', branch: 'main' }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await t.api
        .put(`/v1/services/application/${id}/source`)
        .set(org.owner.auth)
        .set('Content-Type', 'application/json')
        .send('{"providerId":'),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('PUT status reports the deployer status; unknown services are 404, bad statuses 400', async () => {
    const id = serviceId('status');
    expect(
      (
        await t.api
          .put(`/v1/services/compose/${id}/source`)
          .set(org.owner.auth)
          .send({ providerId, repository: 'acme/api', branch: 'main' })
      ).status,
    ).toBe(200);
    const running = await t.api.put(`/v1/services/compose/${id}/status`).set(org.owner.auth).send({ status: 'running' });
    expect(running.status, running.text).toBe(200);
    expect(running.body).toMatchObject({ serviceId: id, status: 'running', sourceType: 'git' });
    expect((await t.api.get(`/v1/services/compose/${id}/source`).set(org.owner.auth)).body.status).toBe('running');
    expectProblem(
      await t.api.put(`/v1/services/compose/${id}/status`).set(org.owner.auth).send({ status: 'exploded' }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await t.api
        .put(`/v1/services/compose/${serviceId('none')}/status`)
        .set(org.owner.auth)
        .send({ status: 'done' }),
      404,
      'NOT_FOUND',
    );

    // Disconnecting a compose puts it back to idle.
    const gone = await t.api.delete(`/v1/services/compose/${id}/source`).set(org.owner.auth);
    expect(gone.status, gone.text).toBe(200);
    expect(gone.body).toEqual(cleared(org, 'compose', id));
  });

  it('DELETE answers the cleared shape, a later GET answers the same 200, the last source of a repository releases its hook', async () => {
    const id = serviceId('disconnect');
    fake.setBranches('acme/web', [{ name: 'main' }]);
    expect(
      (
        await t.api
          .put(`/v1/services/application/${id}/source`)
          .set(org.owner.auth)
          .send({ providerId, repository: 'acme/web', branch: 'main', watchPaths: ['x/**'] })
      ).status,
    ).toBe(200);
    expect(fake.hooks('acme/web')).toHaveLength(1);

    const res = await t.api.delete(`/v1/services/application/${id}/source`).set(org.owner.auth);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(cleared(org, 'application', id));
    const later = await t.api.get(`/v1/services/application/${id}/source`).set(org.owner.auth);
    expect(later.status).toBe(200);
    expect(later.body).toEqual(res.body);
    expect(fake.hooks('acme/web')).toHaveLength(0);
    // Disconnecting again changes nothing; a service never connected is 404.
    const again = await t.api.delete(`/v1/services/application/${id}/source`).set(org.owner.auth);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    expectProblem(await t.api.delete(`/v1/services/application/${serviceId('never')}/source`).set(org.owner.auth), 404, 'NOT_FOUND');
    expectProblem(await t.api.get(`/v1/services/application/${serviceId('never')}/source`).set(org.owner.auth), 404, 'NOT_FOUND');

    const events = await feedUntil(t, org.owner.auth, (all) =>
      all.some((e) => e.type === 'service-source.disconnected' && e.aggregateId === id),
    );
    const mine = events.filter((e) => e.aggregateId === id);
    expect(mine.map((e) => e.type)).toEqual(['service-source.connected', 'service-source.disconnected']);
    for (const e of mine)
      expect(e.data).toEqual({
        serviceType: 'application',
        serviceId: id,
        providerId,
        repository: 'acme/web',
        repositoryId: expect.stringMatching(/^\{[0-9a-f-]{36}\}$/),
        branch: 'main',
      });
  });

  it('removing a provider disconnects every source using it, in one go, and the feed shows it', async () => {
    const own = await seedOrganization(t.app, 'Removal');
    const doomed = await createProvider(own.admin);
    const app = serviceId('rm-app');
    const compose = serviceId('rm-compose');
    expect(
      (
        await t.api
          .put(`/v1/services/application/${app}/source`)
          .set(own.owner.auth)
          .send({ providerId: doomed, repository: 'acme/api', branch: 'main' })
      ).status,
    ).toBe(200);
    expect(
      (
        await t.api
          .put(`/v1/services/compose/${compose}/source`)
          .set(own.owner.auth)
          .send({ providerId: doomed, repository: 'acme/stack', branch: 'main' })
      ).status,
    ).toBe(200);
    expect((await t.api.put(`/v1/services/compose/${compose}/status`).set(own.owner.auth).send({ status: 'running' })).status).toBe(200);
    expect(fake.hooks('acme/stack').some((h) => h.url.endsWith(doomed))).toBe(true);

    expect((await t.api.delete(`/v1/git-providers/${doomed}`).set(own.admin.auth)).status).toBe(204);

    const appSource = await t.api.get(`/v1/services/application/${app}/source`).set(own.owner.auth);
    expect(appSource.status).toBe(200);
    expect(appSource.body).toEqual(cleared(own, 'application', app));
    const composeSource = await t.api.get(`/v1/services/compose/${compose}/source`).set(own.owner.auth);
    expect(composeSource.body).toEqual(cleared(own, 'compose', compose));
    // Its hooks are removed from the forge (best effort; the fake accepts).
    expect(fake.hooks('acme/stack').some((h) => h.url.endsWith(doomed))).toBe(false);
    expect(fake.hooks('acme/api').some((h) => h.url.endsWith(doomed))).toBe(false);
    // The first org's sources on its own provider are untouched.
    expect((await t.api.get(`/v1/git-providers/${providerId}`).set(org.owner.auth)).status).toBe(200);

    const events = await feedUntil(t, own.owner.auth, (all) => all.some((e) => e.type === 'git-provider.removed'));
    const types = events.map((e) => e.type);
    expect(types).toContain('git-provider.removed');
    const disconnected = events.filter((e) => e.type === 'service-source.disconnected');
    expect(disconnected.map((e) => e.aggregateId).sort()).toEqual([app, compose].sort());
    for (const e of disconnected) expect(e.data).toMatchObject({ providerId: doomed });
    // One transaction: the disconnections and the removal are the last three events of the organisation.
    expect(types.slice(-3).sort()).toEqual(['git-provider.removed', 'service-source.disconnected', 'service-source.disconnected']);
    expect(events.find((e) => e.type === 'git-provider.removed')?.data).toEqual({ providerId: doomed, providerType: 'bitbucket' });
  });
});
