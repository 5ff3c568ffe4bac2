import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { FakeGitHub } from '../../fakes/github-server.js';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { FakeGitea } from '../../fakes/gitea-server.js';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { signBitbucket, signGitHub, signGitLab, signGitea } from '../../support/webhook-signing.js';
import { clone, fixtureJson, octokitExamples } from '../../unit/webhooks/fixtures.js';
import {
  type Auth,
  Db,
  bitbucketProvider,
  connect,
  deliver,
  deliveries,
  deploymentEvents,
  githubProvider,
  gitlabProvider,
  giteaProvider,
  json,
  newDeliveryId,
  serviceId,
} from './support.js';

type Json = Record<string, unknown>;

const webhookUrl = (providerId: string): string => `http://forgelink.test/v1/webhooks/${providerId}`;

/** GitLab's Push Hook fixture as GitLab sends it for `path` (project id `id`) on `branch`. */
function gitlabPush(id: number, path: string, branch: string): Buffer {
  const payload = clone(fixtureJson('gitlab', 'push-event.json'));
  payload.ref = `refs/heads/${branch}`;
  payload.project_id = id;
  const project = payload.project as Json;
  project.id = id;
  project.path_with_namespace = path;
  project.name = path.split('/').pop();
  project.web_url = `https://gitlab.example.com/${path}`;
  return json(payload);
}

/** Gitea's push fixture for repository `id` named `fullName`. */
function giteaPush(id: number, fullName: string, branch = 'master'): Buffer {
  const payload = clone(fixtureJson('gitea', 'push-event.json'));
  payload.ref = `refs/heads/${branch}`;
  const repository = payload.repository as Json;
  const [owner, name] = fullName.split('/');
  repository.id = id;
  repository.full_name = fullName;
  repository.name = name;
  (repository.owner as Json).login = owner;
  (repository.owner as Json).username = owner;
  return json(payload);
}

/** Bitbucket's repo:push fixture for the repository `uuid`, named `fullName`. */
function bitbucketPush(uuid: string, fullName: string): Buffer {
  const payload = clone(fixtureJson('bitbucket', 'repo-push.json'));
  const repository = payload.repository as Json;
  repository.uuid = uuid;
  repository.full_name = fullName;
  repository.name = fullName.split('/').pop();
  return json(payload);
}

/** GitHub's push example (octokit), a branch push of repository `id` named `fullName`. */
function githubPush(id: number, fullName: string, branch = 'master'): Json {
  const example = octokitExamples('push').find((e) => e.ref === 'refs/heads/master' && !e.deleted);
  if (!example) throw new Error('no branch push in @octokit/webhooks-examples');
  const payload = clone(example);
  payload.ref = `refs/heads/${branch}`;
  const repository = payload.repository as Json;
  const [owner, name] = fullName.split('/');
  repository.id = id;
  repository.full_name = fullName;
  repository.name = name;
  (repository.owner as Json).login = owner;
  return payload;
}

describe('repository identity: renames, transfers and spellings on every forge', () => {
  let t: TestApp;
  let db: Db;
  let sql: pg.Pool;
  let org: Awaited<ReturnType<typeof seedOrganization>>;
  let auth: Auth;
  const github = new FakeGitHub();
  const gitlab = new FakeGitLab();
  const gitea = new FakeGitea();
  const bitbucket = new FakeBitbucket();

  beforeAll(async () => {
    await Promise.all([github.start(), gitlab.start(), gitea.start(), bitbucket.start()]);
    t = await startTestApp({ bitbucketApiUrl: bitbucket.apiUrl });
    db = new Db();
    sql = new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 });
    org = await seedOrganization(t.app, 'Identity');
    auth = org.owner.auth;
  });

  afterAll(async () => {
    await t?.close();
    await db?.close();
    await sql?.end();
    await Promise.all([github.stop(), gitlab.stop(), gitea.stop(), bitbucket.stop()]);
  });

  const source = async (id: string): Promise<Json> => {
    const res = await t.api.get(`/v1/services/application/${id}/source`).set(auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as Json;
  };

  const eventOf = async (delivery: string): Promise<Json> => {
    const [event] = await deploymentEvents(t, auth, (e) => e.data.deliveryId === delivery);
    expect(event, `deployment.requested for ${delivery}`).toBeDefined();
    return event?.data as Json;
  };

  it('GitLab: project 103 renamed keeps deploying with its hook token; the source follows the new path; disconnect removes the hook', async () => {
    gitlab.addProject({ path: 'grp/sub/deep-project', id: 103, defaultBranch: 'main' });
    const { providerId } = await gitlabProvider(t, auth, gitlab);
    const id = serviceId('gl-rename');
    const connected = await connect(t, auth, id, { providerId, repository: 'grp/sub/deep-project', branch: 'main' });
    expect(connected).toMatchObject({
      repository: 'grp/sub/deep-project',
      repositoryId: '103',
      owner: 'grp/sub',
      webhook: { registered: true },
    });
    const token = gitlab.hooks('grp/sub/deep-project').find((h) => h.url === webhookUrl(providerId))?.token ?? '';
    expect(token).not.toBe('');

    gitlab.renameProject('grp/sub/deep-project', 'grp/sub/deep-project-renamed');
    const delivery = newDeliveryId();
    const body = gitlabPush(103, 'grp/sub/deep-project-renamed', 'main');
    const res = await deliver(t, providerId, body, signGitLab(body, token, { delivery }));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toEqual({ deliveryId: delivery, deployments: 1 });
    expect(await eventOf(delivery)).toMatchObject({ serviceId: id, repository: 'grp/sub/deep-project-renamed', repositoryId: '103' });
    expect((await deliveries(t, auth, providerId)).find((d) => d.deliveryId === delivery)).toMatchObject({
      outcome: 'deployed',
      deployments: 1,
    });

    expect(await source(id)).toMatchObject({
      repository: 'grp/sub/deep-project-renamed',
      repositoryId: '103',
      owner: 'grp/sub',
      webhook: { registered: true },
    });
    expect(await db.hookRows(providerId)).toEqual(['grp/sub/deep-project-renamed']);

    // The hook is removed where it now lives (the stored name followed the forge).
    const gone = await t.api.delete(`/v1/services/application/${id}/source`).set(auth);
    expect(gone.status).toBe(200);
    expect(gitlab.hooks('grp/sub/deep-project-renamed').filter((h) => h.url === webhookUrl(providerId))).toEqual([]);
    expect(await db.hookRows(providerId)).toEqual([]);
  });

  it('Gitea: repository 7001 transferred from example/example to neworg/example keeps deploying; the old name now names nothing', async () => {
    gitea.setRepositories([
      { id: 7001, owner: 'example', name: 'example', defaultBranch: 'master' },
      { id: 7002, owner: 'example', name: 'other', defaultBranch: 'master' },
    ]);
    gitea.setBranches('example/example', [{ name: 'master' }]);
    gitea.setBranches('example/other', [{ name: 'master' }]);
    const { providerId } = await giteaProvider(t, auth, gitea);
    const id = serviceId('gt-transfer');
    expect(await connect(t, auth, id, { providerId, repository: 'example/example', branch: 'master' })).toMatchObject({
      repositoryId: '7001',
    });
    const secret = gitea.hooksOf('example/example').find((h) => h.url === webhookUrl(providerId))?.secret ?? '';
    expect(secret).not.toBe('');

    gitea.transferRepository('example/example', 'neworg/example');
    const delivery = newDeliveryId();
    const body = giteaPush(7001, 'neworg/example');
    const res = await deliver(t, providerId, body, signGitea(body, secret, { delivery, flavour: 'forgejo' }));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(await eventOf(delivery)).toMatchObject({ repository: 'neworg/example', repositoryId: '7001' });
    expect(await source(id)).toMatchObject({ repository: 'neworg/example', owner: 'neworg', repositoryId: '7001' });

    // A hook secret vouches for its repository (id 7001) only: a push of another repository that now carries the
    // old name, signed with that secret, is refused and records nothing.
    const impostor = newDeliveryId();
    const other = giteaPush(7002, 'example/example');
    const refused = await deliver(t, providerId, other, signGitea(other, secret, { delivery: impostor }));
    expect(refused.status).toBe(401);
    expect(await db.deliveryRows(providerId, impostor)).toEqual([]);
    expect(await db.eventsFor(impostor)).toBe(0);
  });

  it('Bitbucket: a renamed repository (same uuid, new full_name) keeps deploying and the source follows', async () => {
    const uuid = '{0c1e0a3e-7d3b-4f0e-9d55-5f3f3e1c1a01}';
    bitbucket.setRepositories('team_name', [{ slug: 'old_name', uuid, mainbranch: 'name-of-branch' }]);
    const { providerId } = await bitbucketProvider(t, auth, bitbucket, 'team_name');
    const id = serviceId('bb-rename');
    expect(await connect(t, auth, id, { providerId, repository: 'team_name/old_name', branch: 'name-of-branch' })).toMatchObject({
      repositoryId: uuid,
    });
    const secret = bitbucket.hooks('team_name/old_name').find((h) => h.url === webhookUrl(providerId))?.secret ?? '';
    expect(secret).not.toBe('');

    bitbucket.renameRepository('team_name/old_name', 'team_name/new_name');
    const delivery = newDeliveryId();
    // Bitbucket spells the uuid in upper case in some payloads; it is the same repository.
    const body = bitbucketPush(uuid.toUpperCase(), 'team_name/new_name');
    const res = await deliver(t, providerId, body, signBitbucket(body, secret, { delivery }));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(await eventOf(delivery)).toMatchObject({ repository: 'team_name/new_name', repositoryId: uuid });
    expect(await source(id)).toMatchObject({ repository: 'team_name/new_name', repositoryId: uuid });
    expect(await db.hookRows(providerId)).toEqual(['team_name/new_name']);
  });

  it('GitHub: a renamed repository keeps deploying through the App hook, matched by repository id whatever the case of the name', async () => {
    const { providerId, webhookSecret, installationId } = await githubProvider(t, auth, github, [
      { owner: 'octo-org', name: 'Shop', branches: ['master'], id: 5150 },
    ]);
    const id = serviceId('gh-rename');
    // Connected with another spelling: the forge's own is stored.
    expect(await connect(t, auth, id, { providerId, repository: 'OCTO-ORG/shop', branch: 'master' })).toMatchObject({
      repository: 'octo-org/Shop',
      repositoryId: '5150',
    });

    github.renameRepository(installationId, 'octo-org/Shop', 'octo-org/storefront');
    const delivery = newDeliveryId();
    const body = json(githubPush(5150, 'octo-org/storefront'));
    const res = await deliver(t, providerId, body, signGitHub(body, webhookSecret, { delivery }));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(await eventOf(delivery)).toMatchObject({ repository: 'octo-org/storefront', repositoryId: '5150' });
    expect(await source(id)).toMatchObject({ repository: 'octo-org/storefront', owner: 'octo-org', repositoryId: '5150' });

    // Another repository that took the old name is not this source's.
    const other = newDeliveryId();
    const impostor = json(githubPush(6160, 'octo-org/Shop'));
    const ignored = await deliver(t, providerId, impostor, signGitHub(impostor, webhookSecret, { delivery: other }));
    expect(ignored.status).toBe(200);
    expect(ignored.body).toMatchObject({ deployments: 0, reason: 'no_matching_source' });
  });

  it('Gitea: two services spelled Acme/Web-App and acme/web-app share one hook; disconnecting either keeps it for the other', async () => {
    gitea.setRepositories([{ id: 8101, owner: 'Acme', name: 'Web-App', defaultBranch: 'main' }]);
    gitea.setBranches('Acme/Web-App', [{ name: 'main' }]);
    const { providerId } = await giteaProvider(t, auth, gitea);
    const first = serviceId('gt-case-a');
    const second = serviceId('gt-case-b');
    expect(await connect(t, auth, first, { providerId, repository: 'Acme/Web-App', branch: 'main' })).toMatchObject({
      repository: 'Acme/Web-App',
      repositoryId: '8101',
      webhook: { registered: true },
    });
    expect(await connect(t, auth, second, { providerId, repository: 'acme/web-app', branch: 'main' })).toMatchObject({
      repository: 'Acme/Web-App',
      repositoryId: '8101',
      webhook: { registered: true },
    });
    const mine = () => gitea.hooksOf('Acme/Web-App').filter((h) => h.url === webhookUrl(providerId));
    expect(mine()).toHaveLength(1);
    expect(await db.hookRows(providerId)).toEqual(['Acme/Web-App']);

    expect((await t.api.delete(`/v1/services/application/${second}/source`).set(auth)).status).toBe(200);
    expect(mine()).toHaveLength(1);
    expect(await source(first)).toMatchObject({ webhook: { registered: true } });
    // The first source still deploys with the hook's secret.
    const body = giteaPush(8101, 'Acme/Web-App', 'main');
    const res = await deliver(t, providerId, body, signGitea(body, mine()[0]?.secret ?? ''));
    expect(res.status, JSON.stringify(res.body)).toBe(202);

    expect((await t.api.delete(`/v1/services/application/${first}/source`).set(auth)).status).toBe(200);
    expect(mine()).toEqual([]);
    expect(await db.hookRows(providerId)).toEqual([]);
  });

  it('GitLab: a project transferred to another group, connected as a case variant, still deploys a tag push; the hook token follows it', async () => {
    gitlab.addProject({ path: 'Team-A/Service', id: 2201, defaultBranch: 'main' });
    const { providerId } = await gitlabProvider(t, auth, gitlab);
    const id = serviceId('gl-transfer');
    expect(await connect(t, auth, id, { providerId, repository: 'team-a/service', triggerType: 'tag' })).toMatchObject({
      repository: 'Team-A/Service',
      repositoryId: '2201',
    });
    const token = gitlab.hooks('Team-A/Service').find((h) => h.url === webhookUrl(providerId))?.token ?? '';

    gitlab.renameProject('Team-A/Service', 'platform/core/service');
    const payload = clone(fixtureJson('gitlab', 'tag-event.json'));
    payload.project_id = 2201;
    Object.assign(payload.project as Json, { id: 2201, path_with_namespace: 'platform/core/service' });
    const body = json(payload);
    const delivery = newDeliveryId();
    const res = await deliver(t, providerId, body, signGitLab(body, token, { delivery, event: 'Tag Push Hook' }));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(await eventOf(delivery)).toMatchObject({ repository: 'platform/core/service', repositoryId: '2201', ref: { type: 'tag' } });
    expect(await source(id)).toMatchObject({ repository: 'platform/core/service', owner: 'platform/core' });
  });

  it("GitHub: a repository transferred to another organisation of the installation keeps deploying; Bitbucket: a case variant connects to the forge's spelling", async () => {
    const { providerId, webhookSecret, installationId } = await githubProvider(t, auth, github, [
      { owner: 'old-org', name: 'billing', branches: ['master'], id: 9090 },
    ]);
    const id = serviceId('gh-transfer');
    await connect(t, auth, id, { providerId, repository: 'old-org/billing', branch: 'master' });
    github.renameRepository(installationId, 'old-org/billing', 'new-org/billing');
    const delivery = newDeliveryId();
    const body = json(githubPush(9090, 'new-org/billing'));
    expect((await deliver(t, providerId, body, signGitHub(body, webhookSecret, { delivery }))).status).toBe(202);
    expect(await source(id)).toMatchObject({ repository: 'new-org/billing', owner: 'new-org', repositoryId: '9090' });

    const uuid = '{7b9c3e1a-0f43-4d8e-b7a2-6a1c2d3e4f50}';
    bitbucket.setRepositories('CaseWs', [{ slug: 'mixed-case', uuid, mainbranch: 'main' }]);
    const bb = await bitbucketProvider(t, auth, bitbucket, 'CaseWs');
    expect(
      await connect(t, auth, serviceId('bb-case'), { providerId: bb.providerId, repository: 'CaseWs/MIXED-CASE', branch: 'main' }),
    ).toMatchObject({ repository: 'CaseWs/mixed-case', repositoryId: uuid });
  });

  it('sources and hooks stored before ids were recorded match by name (any case) and take the id from their first delivery', async () => {
    gitlab.addProject({ path: 'Legacy/App', id: 4711, defaultBranch: 'main' });
    const { providerId } = await gitlabProvider(t, auth, gitlab);
    const id = serviceId('gl-legacy');
    await connect(t, auth, id, { providerId, repository: 'Legacy/App', branch: 'main' });
    const token = gitlab.hooks('Legacy/App').find((h) => h.url === webhookUrl(providerId))?.token ?? '';
    // As the rows of a database migrated from before repository ids: no id, and a name spelled differently.
    await sql.query(`update service_source set repository_id = null, repository = 'legacy/app' where provider_id = $1`, [providerId]);
    await sql.query(`update repository_hook set repository_id = null, repository = 'legacy/app' where provider_id = $1`, [providerId]);
    expect(await source(id)).toMatchObject({ repository: 'legacy/app', repositoryId: null });

    const delivery = newDeliveryId();
    const body = gitlabPush(4711, 'Legacy/App', 'main');
    const res = await deliver(t, providerId, body, signGitLab(body, token, { delivery }));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(await eventOf(delivery)).toMatchObject({ repository: 'Legacy/App', repositoryId: '4711' });
    expect(await source(id)).toMatchObject({ repository: 'Legacy/App', repositoryId: '4711' });
    const { rows } = await sql.query<{ repository: string; repository_id: string }>(
      'select repository, repository_id from repository_hook where provider_id = $1',
      [providerId],
    );
    expect(rows).toEqual([{ repository: 'Legacy/App', repository_id: '4711' }]);

    // From now on the id holds: the project renamed still deploys.
    gitlab.renameProject('Legacy/App', 'Legacy/App-2');
    const after = newDeliveryId();
    const renamed = gitlabPush(4711, 'Legacy/App-2', 'main');
    expect((await deliver(t, providerId, renamed, signGitLab(renamed, token, { delivery: after }))).status).toBe(202);
    expect(await source(id)).toMatchObject({ repository: 'Legacy/App-2', repositoryId: '4711' });
  });
});

describe('GitHub form-encoded deliveries (application/x-www-form-urlencoded, the App default)', () => {
  let t: TestApp;
  let db: Db;
  let auth: Auth;
  const github = new FakeGitHub();

  beforeAll(async () => {
    await github.start();
    t = await startTestApp();
    db = new Db();
    auth = (await seedOrganization(t.app, 'Form')).owner.auth;
  });

  afterAll(async () => {
    await t?.close();
    await db?.close();
    await github.stop();
  });

  const formHeaders = (body: string, secret: string, delivery: string) => ({
    ...signGitHub(body, secret, { delivery }),
    'content-type': 'application/x-www-form-urlencoded',
  });

  it('verifies the signature over the form bytes, then reads the payload field: 202 and the event, as for JSON', async () => {
    const { providerId, webhookSecret } = await githubProvider(t, auth, github, [
      { owner: 'Codertocat', name: 'Hello-World', branches: ['master'], id: 186853002 },
    ]);
    const id = serviceId('gh-form');
    await connect(t, auth, id, { providerId, repository: 'Codertocat/Hello-World', branch: 'master' });
    const payload = githubPush(186853002, 'Codertocat/Hello-World');
    const form = `payload=${encodeURIComponent(JSON.stringify(payload))}`;

    const delivery = newDeliveryId();
    const res = await t.api
      .post(`/v1/webhooks/${providerId}`)
      .set(formHeaders(form, webhookSecret, delivery))
      .send(form);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toEqual({ deliveryId: delivery, deployments: 1 });
    const [event] = await deploymentEvents(t, auth, (e) => e.data.deliveryId === delivery);
    expect(event?.data).toMatchObject({
      serviceId: id,
      repository: 'Codertocat/Hello-World',
      repositoryId: '186853002',
      commit: { sha: payload.after },
    });

    // The same form again is a duplicate; a form signed over its JSON (not the bytes sent) is refused.
    const again = await t.api
      .post(`/v1/webhooks/${providerId}`)
      .set(formHeaders(form, webhookSecret, delivery))
      .send(form);
    expect(again.body).toMatchObject({ duplicate: true, deployments: 0 });
    const forged = newDeliveryId();
    const wrong = await t.api
      .post(`/v1/webhooks/${providerId}`)
      .set({ ...formHeaders(JSON.stringify(payload), webhookSecret, forged), 'content-type': 'application/x-www-form-urlencoded' })
      .send(form);
    expect(wrong.status).toBe(401);
    expect(await db.deliveryRows(providerId, forged)).toEqual([]);
  });

  it('a signed form without a payload field, or with a payload that is not JSON, is 400 and records nothing', async () => {
    const { providerId, webhookSecret } = await githubProvider(t, auth, github, [{ owner: 'acme', name: 'api', branches: ['main'] }]);
    for (const form of ['other=1', `payload=${encodeURIComponent('{not json')}`]) {
      const delivery = newDeliveryId();
      const res = await t.api
        .post(`/v1/webhooks/${providerId}`)
        .set(formHeaders(form, webhookSecret, delivery))
        .send(form);
      expect(res.status, form).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await db.deliveryRows(providerId, delivery)).toEqual([]);
    }
  });
});
