import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type supertest from 'supertest';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { FakeGitea } from '../../fakes/gitea-server.js';
import { FakeGitHub } from '../../fakes/github-server.js';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { type LocalFakeServer } from '../../fakes/local-server.js';
import { TrapServer } from '../../fakes/trap-server.js';
import { seedOrganization, startTestApp, type TestApp, type TestMember } from '../../support/app.js';
import { authorize, PUBLIC_URL } from '../forges/support.js';
import { privateKeyPem, uniqueName } from '../core/support.js';
import { closeSnapshots, snapshotTenants } from './support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;
type Kind = 'github' | 'gitlab' | 'gitea' | 'bitbucket';
const KINDS: readonly Kind[] = ['github', 'gitlab', 'gitea', 'bitbucket'];

/**
 * Finding 1/9 of the hostile review, as a kind: every state-changing route (and every read that calls a forge)
 * called by someone the rule refuses — another organisation's owner/admin/member, a plain member, a non-creator
 * admin — while every forge and an attacker's host on 127.0.0.1 count connections. A refused call connects
 * nowhere and changes no row.
 */
describe('authorise before acting: refused requests have no side effect (real app, real PostgreSQL, fake forges)', () => {
  const github = new FakeGitHub();
  const gitlab = new FakeGitLab();
  const gitea = new FakeGitea();
  const bitbucket = new FakeBitbucket();
  const trap = new TrapServer();
  const servers: LocalFakeServer[] = [github, gitlab, gitea, bitbucket, trap];
  let t: TestApp;
  let a: Org;
  let b: Org;
  const shared = {} as Record<Kind, string>;
  let hidden: string;
  const service = `svc-${randomUUID()}`;

  beforeAll(async () => {
    for (const server of servers) await server.start();
    t = await startTestApp({ bitbucketApiUrl: bitbucket.apiUrl });
    a = await seedOrganization(t.app, 'Victim');
    b = await seedOrganization(t.app, 'Attacker');

    const app = github.addApp({ appId: 4242 });
    github.addInstallation(4242, 777);
    github.setRepositories(777, [{ name: 'api' }]);
    gitlab.addApplication({ clientId: 'gl-app', clientSecret: 'gl-secret', redirectUri: `${PUBLIC_URL}/v1/callbacks/gitlab` });
    gitlab.setProjects(['acme/api']);
    gitea.addApplication({ clientId: 'gt-app', clientSecret: 'gt-secret', redirectUri: `${PUBLIC_URL}/v1/callbacks/gitea` });
    gitea.setRepositories(3);
    bitbucket.addApiToken('a@example.com', 'bb-token-a');
    bitbucket.setRepositories('acme', [{ slug: 'api' }]);

    const bodies: Record<Kind, Record<string, unknown>> = {
      github: { githubUrl: github.url, appId: 4242, installationId: 777, privateKey: app.privateKey, webhookSecret: 'whsec-a' },
      gitlab: { gitlabUrl: gitlab.url, applicationId: 'gl-app', secret: 'gl-secret' },
      gitea: { giteaUrl: gitea.url, clientId: 'gt-app', clientSecret: 'gt-secret' },
      bitbucket: { username: 'a', email: 'a@example.com', workspace: 'acme', apiToken: 'bb-token-a' },
    };
    for (const kind of KINDS) {
      const res = await t.api
        .post(`/v1/git-providers/${kind}`)
        .set(a.owner.auth)
        .send({ name: uniqueName(kind), ...bodies[kind] });
      expect(res.status, res.text).toBe(201);
      shared[kind] = res.body.id as string;
      if (kind === 'gitlab' || kind === 'gitea') await authorize(t, kind, res.body.authorizeUrl as string, shared[kind]);
      expect(
        (await t.api.put(`/v1/git-providers/${shared[kind]}/sharing`).set(a.owner.auth).send({ sharedWithOrganization: true })).status,
      ).toBe(200);
    }
    const own = await t.api
      .post('/v1/git-providers/github')
      .set(a.owner.auth)
      .send({ name: uniqueName('hidden'), ...bodies.github });
    expect(own.status, own.text).toBe(201);
    hidden = own.body.id as string;
    const connected = await t.api
      .put(`/v1/services/application/${service}/source`)
      .set(a.owner.auth)
      .send({ providerId: shared.bitbucket, repository: 'acme/api', branch: 'main' });
    expect(connected.status, connected.text).toBe(200);
  });

  afterAll(async () => {
    await closeSnapshots();
    await t?.close();
    for (const server of servers) await server.stop();
  });

  /** A PATCH body per provider type that would re-point it at the attacker's host (and hand it a key). */
  const hostilePatch = (kind: Kind): Record<string, unknown> =>
    ({
      github: { githubUrl: trap.url, internalUrl: trap.url, name: 'taken over' },
      gitlab: { gitlabUrl: trap.url, internalUrl: trap.url, name: 'taken over' },
      gitea: { giteaUrl: trap.url, internalUrl: trap.url, name: 'taken over' },
      bitbucket: { workspace: 'attacker', name: 'taken over' },
    })[kind];
  const hostileCreate = (kind: Kind): Record<string, unknown> =>
    ({
      github: { name: uniqueName('evil'), githubUrl: trap.url, appId: 4242, privateKey: privateKeyPem(), webhookSecret: 'x' },
      gitlab: { name: uniqueName('evil'), gitlabUrl: trap.url, applicationId: 'x', secret: 'y' },
      gitea: { name: uniqueName('evil'), giteaUrl: trap.url, clientId: 'x', clientSecret: 'y' },
      bitbucket: { name: uniqueName('evil'), username: 'x', email: 'x@example.com', workspace: 'acme', apiToken: 'y' },
    })[kind];

  type Call = { label: string; send: (who: TestMember) => supertest.Test };
  /** Every route that changes state or calls a forge, aimed at one provider id. */
  const providerCalls = (id: string): Call[] => [
    ...KINDS.map((kind) => ({
      label: `PATCH ${kind}`,
      send: (who: TestMember) => t.api.patch(`/v1/git-providers/${id}/${kind}`).set(who.auth).send(hostilePatch(kind)),
    })),
    {
      label: 'PUT sharing',
      send: (who) => t.api.put(`/v1/git-providers/${id}/sharing`).set(who.auth).send({ sharedWithOrganization: false }),
    },
    { label: 'DELETE', send: (who) => t.api.delete(`/v1/git-providers/${id}`).set(who.auth) },
    { label: 'authorize-url', send: (who) => t.api.get(`/v1/git-providers/${id}/authorize-url`).set(who.auth) },
    { label: 'test-connection', send: (who) => t.api.post(`/v1/git-providers/${id}/test-connection`).set(who.auth) },
    { label: 'repositories', send: (who) => t.api.get(`/v1/git-providers/${id}/repositories`).set(who.auth) },
    { label: 'branches', send: (who) => t.api.get(`/v1/git-providers/${id}/branches`).query({ repository: 'acme/api' }).set(who.auth) },
    {
      label: 'connect source',
      send: (who) =>
        t.api
          .put(`/v1/services/application/${service}/source`)
          .set(who.auth)
          .send({ providerId: id, repository: 'acme/api', branch: 'main' }),
    },
    {
      label: 'connect new service',
      send: (who) =>
        t.api
          .put(`/v1/services/compose/new-${randomUUID()}/source`)
          .set(who.auth)
          .send({ providerId: id, repository: 'acme/api', branch: 'main' }),
    },
  ];

  /** Runs the call and proves it was refused as expected, connected nowhere and wrote nothing. */
  async function expectRefused(call: Call, who: TestMember, status: 403 | 404): Promise<void> {
    const before = await snapshotTenants([a.organizationId, b.organizationId]);
    const connections = servers.map((s) => [s.connections, s.requestCount]);
    const res = await call.send(who);
    expect(res.status, `${call.label} by ${who.userId}: ${res.text}`).toBe(status);
    expect(res.body.code).toBe(status === 404 ? 'NOT_FOUND' : 'UNAUTHORIZED');
    expect(
      servers.map((s) => [s.connections, s.requestCount]),
      `${call.label} by ${who.userId} connected to a forge`,
    ).toEqual(connections);
    expect(await snapshotTenants([a.organizationId, b.organizationId]), `${call.label} by ${who.userId} wrote`).toEqual(before);
  }

  it("another organisation's owner, admin and member: 404 on every route of every provider, nothing sent, nothing written", async () => {
    for (const who of [b.owner, b.admin, b.member]) {
      for (const id of [...Object.values(shared), hidden]) {
        for (const call of providerCalls(id)) {
          // The other organisation's own, empty service answers 404 only through the provider check.
          await expectRefused(call, who, 404);
        }
      }
      await expectRefused(
        { label: 'DELETE source', send: (w) => t.api.delete(`/v1/services/application/${service}/source`).set(w.auth) },
        who,
        404,
      );
      await expectRefused(
        { label: 'PUT status', send: (w) => t.api.put(`/v1/services/application/${service}/status`).set(w.auth).send({ status: 'error' }) },
        who,
        404,
      );
    }
    // ~200 calls, each between two full snapshots of both tenants: minutes on a busy 2-core machine.
  }, 180_000);

  it('a plain member: 404 on a provider they cannot see, 403 on changes to a shared one, 403 on create — nothing sent, nothing written', async () => {
    for (const call of providerCalls(hidden)) await expectRefused(call, a.member, 404);
    for (const kind of KINDS) {
      const id = shared[kind];
      await expectRefused(
        { label: `PATCH ${kind}`, send: (w) => t.api.patch(`/v1/git-providers/${id}/${kind}`).set(w.auth).send(hostilePatch(kind)) },
        a.member,
        403,
      );
      await expectRefused({ label: `DELETE ${kind}`, send: (w) => t.api.delete(`/v1/git-providers/${id}`).set(w.auth) }, a.member, 403);
      await expectRefused(
        {
          label: `sharing ${kind}`,
          send: (w) => t.api.put(`/v1/git-providers/${id}/sharing`).set(w.auth).send({ sharedWithOrganization: false }),
        },
        a.member,
        403,
      );
      await expectRefused(
        { label: `create ${kind}`, send: (w) => t.api.post(`/v1/git-providers/${kind}`).set(w.auth).send(hostileCreate(kind)) },
        a.member,
        403,
      );
    }
    for (const kind of ['gitlab', 'gitea'] as const) {
      await expectRefused(
        { label: `authorize-url ${kind}`, send: (w) => t.api.get(`/v1/git-providers/${shared[kind]}/authorize-url`).set(w.auth) },
        a.member,
        403,
      );
    }
    await expectRefused(
      {
        label: 'manifest',
        send: (w) =>
          t.api
            .post('/v1/git-providers/github/manifest')
            .set(w.auth)
            .send({ name: uniqueName('evil'), githubUrl: trap.url }),
      },
      a.member,
      403,
    );
    await expectRefused(
      {
        label: 'add member',
        send: (w) =>
          t.api
            .post('/v1/members')
            .set(w.auth)
            .send({ userId: `evil-${randomUUID()}`, role: 'owner' }),
      },
      a.member,
      403,
    );
  }, 120_000);

  it('a non-creator admin may not change sharing (creator only): 403, nothing written', async () => {
    for (const id of [...Object.values(shared), hidden]) {
      await expectRefused(
        { label: 'sharing', send: (w) => t.api.put(`/v1/git-providers/${id}/sharing`).set(w.auth).send({ sharedWithOrganization: false }) },
        a.admin,
        403,
      );
    }
    // An admin is no owner: adding an owner is refused before anything is written.
    await expectRefused(
      {
        label: 'add owner',
        send: (w) =>
          t.api
            .post('/v1/members')
            .set(w.auth)
            .send({ userId: `evil-${randomUUID()}`, role: 'owner' }),
      },
      a.admin,
      403,
    );
  });

  it('finding 8: `repository` with ., .., empty or encoded segments is 400 VALIDATION_FAILED for every forge, before any forge call', async () => {
    const hostile = [
      '../orgs',
      '../..',
      '../../user',
      'acme/..',
      './api',
      'acme/.',
      'acme//api',
      'acme/api/',
      '%2e%2e/orgs',
      'acme/api%2F..',
      'acme\\..',
      'acme/api?x=1',
      'acme/api#x',
    ];
    for (const kind of KINDS) {
      for (const repository of hostile) {
        const before = servers.map((s) => s.requestCount);
        const res = await t.api.get(`/v1/git-providers/${shared[kind]}/branches`).query({ repository }).set(a.owner.auth);
        expect(res.status, `${kind} ${repository}: ${res.text}`).toBe(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'query.repository' }] });
        const connect = await t.api
          .put(`/v1/services/application/trav-${randomUUID()}/source`)
          .set(a.owner.auth)
          .send({ providerId: shared[kind], repository, branch: 'main' });
        expect(connect.status, `${kind} connect ${repository}: ${connect.text}`).toBe(400);
        expect(
          servers.map((s) => s.requestCount),
          `${kind} ${repository} reached a forge`,
        ).toEqual(before);
      }
    }
    // The ordinary names still work.
    expect(
      (await t.api.get(`/v1/git-providers/${shared.github}/branches`).query({ repository: 'acme/api' }).set(a.owner.auth)).status,
    ).toBe(200);
    expect(
      (await t.api.get(`/v1/git-providers/${shared.gitlab}/branches`).query({ repository: 'acme/api' }).set(a.owner.auth)).status,
    ).toBe(200);
  });

  it('the attacker host heard nothing at all, and the victim providers still work', async () => {
    expect(trap.connections).toBe(0);
    expect(trap.requestCount).toBe(0);
    expect(trap.requests).toEqual([]);
    for (const kind of KINDS) {
      const res = await t.api.post(`/v1/git-providers/${shared[kind]}/test-connection`).set(a.owner.auth);
      expect(res.status, `${kind}: ${res.text}`).toBe(200);
    }
  });
});
