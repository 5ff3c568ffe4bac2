import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { FakeGitHub } from '../../fakes/github-server.js';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { FakeGitea } from '../../fakes/gitea-server.js';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { anotherDelivery, signBitbucket, signGitHub, signGitLab, signGitea } from '../../support/webhook-signing.js';
import { clone, fixtureBytes, fixtureJson, octokitExamples } from '../../unit/webhooks/fixtures.js';
import {
  type Auth,
  Db,
  type EventEnvelope,
  FIXTURE_IDS,
  type SourceInput,
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The envelope shape of the contract, and the `deployment.requested` data naming this push. */
function expectDeployment(
  event: EventEnvelope | undefined,
  expected: {
    organizationId: string;
    serviceId: string;
    providerId: string;
    providerType: string;
    repository: string;
    ref: { type: string; name: string };
    sha: string;
    deliveryId: string;
  },
): void {
  expect(event).toBeDefined();
  const e = event as EventEnvelope;
  expect(Object.keys(e).sort()).toEqual(['aggregateId', 'data', 'id', 'occurredAt', 'organizationId', 'type']);
  expect(e.id).toMatch(UUID);
  expect(e.type).toBe('deployment.requested');
  expect(e.occurredAt).toMatch(ISO);
  expect(e.organizationId).toBe(expected.organizationId);
  expect(e.aggregateId).toBe(expected.serviceId);
  expect(e.data).toMatchObject({
    serviceType: 'application',
    serviceId: expected.serviceId,
    providerId: expected.providerId,
    providerType: expected.providerType,
    repository: expected.repository,
    ref: expected.ref,
    commit: { sha: expected.sha },
    trigger: expected.ref.type === 'tag' ? 'tag' : 'push',
    deliveryId: expected.deliveryId,
  });
  const commit = e.data.commit as { message: unknown; author: unknown };
  expect(typeof commit.message).toBe('string');
  expect(typeof commit.author).toBe('string');
}

const byDelivery = (deliveryId: string) => (e: EventEnvelope) => e.data.deliveryId === deliveryId;

describe('webhooks → deployment.requested, end to end per forge', () => {
  let t: TestApp;
  let db: Db;
  const github = new FakeGitHub();
  const gitlab = new FakeGitLab();
  const gitea = new FakeGitea();
  const bitbucket = new FakeBitbucket();

  beforeAll(async () => {
    await Promise.all([github.start(), gitlab.start(), gitea.start(), bitbucket.start()]);
    t = await startTestApp({ bitbucketApiUrl: bitbucket.apiUrl });
    db = new Db();
  });

  afterAll(async () => {
    await t?.close();
    await db?.close();
    await Promise.all([github.stop(), gitlab.stop(), gitea.stop(), bitbucket.stop()]);
  });

  describe('GitHub (App hook)', () => {
    let org: { organizationId: string; auth: Auth };
    let providerId: string;
    let secret: string;
    const main = serviceId('gh-main');
    const tagged = serviceId('gh-tag');
    const watched = serviceId('gh-watch');

    beforeAll(async () => {
      const o = await seedOrganization(t.app, 'GitHub e2e');
      org = { organizationId: o.organizationId, auth: o.admin.auth };
      ({ providerId, webhookSecret: secret } = await githubProvider(t, org.auth, github, [
        { owner: 'binkkatal', name: 'sample_app', branches: ['master', 'develop'], id: FIXTURE_IDS.githubSampleApp },
        { owner: 'Codertocat', name: 'Hello-World', branches: ['master'], id: FIXTURE_IDS.githubHelloWorld },
      ]));
      const source = await connect(t, org.auth, main, { providerId, repository: 'binkkatal/sample_app', branch: 'master' });
      expect(source.webhook).toMatchObject({
        registered: true,
        url: `http://forgelink.test/v1/webhooks/${providerId}`,
        managedBy: 'github-app',
      });
      await connect(t, org.auth, tagged, { providerId, repository: 'Codertocat/Hello-World', triggerType: 'tag' });
      await connect(t, org.auth, watched, { providerId, repository: 'binkkatal/sample_app', branch: 'develop', watchPaths: ['docs/**'] });
    });

    it('deploys the pushed commit once; the same delivery again is a duplicate and emits nothing', async () => {
      const body = fixtureBytes('github', 'push.json');
      const payload = fixtureJson('github', 'push.json');
      const delivery = newDeliveryId();
      const first = await deliver(t, providerId, body, signGitHub(body, secret, { delivery }));
      expect(first.status, JSON.stringify(first.body)).toBe(202);
      expect(first.body).toEqual({ deliveryId: delivery, deployments: 1 });

      const [event, ...more] = await deploymentEvents(t, org.auth, byDelivery(delivery));
      expect(more).toEqual([]);
      expectDeployment(event, {
        organizationId: org.organizationId,
        serviceId: main,
        providerId,
        providerType: 'github',
        repository: 'binkkatal/sample_app',
        ref: { type: 'branch', name: 'master' },
        sha: payload.after as string,
        deliveryId: delivery,
      });
      expect((event?.data.commit as Json).message).toBe('test a push event');

      const again = await deliver(t, providerId, body, signGitHub(body, secret, { delivery }));
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ deliveryId: delivery, duplicate: true });
      expect(await db.eventsFor(delivery)).toBe(1);
      expect(await deploymentEvents(t, org.auth, byDelivery(delivery))).toHaveLength(1);
      const outcomes = (await deliveries(t, org.auth, providerId))
        .filter((d) => d.deliveryId === delivery)
        .map((d) => d.outcome)
        .sort();
      expect(outcomes).toEqual(['deployed', 'duplicate']);
    });

    it('an annotated tag deploys the tagged commit (head_commit.id), not the tag object, to the tag source', async () => {
      const payload = clone(octokitExamples('push')[0] as Json);
      expect(payload.ref).toBe('refs/tags/simple-tag');
      const commitSha = (payload.head_commit as Json).id as string;
      payload.after = 'a1b2c3d4e5f60718293a4b5c6d7e8f9011223344'; // the annotated tag object
      const body = json(payload);
      const delivery = newDeliveryId();
      const res = await deliver(t, providerId, body, signGitHub(body, secret, { delivery }));
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toEqual({ deliveryId: delivery, deployments: 1 });
      const [event] = await deploymentEvents(t, org.auth, byDelivery(delivery));
      expectDeployment(event, {
        organizationId: org.organizationId,
        serviceId: tagged,
        providerId,
        providerType: 'github',
        repository: 'Codertocat/Hello-World',
        ref: { type: 'tag', name: 'simple-tag' },
        sha: commitSha,
        deliveryId: delivery,
      });
    });

    it('skip markers, other branches, deletions and unmatched watch paths answer 200 with deployments 0 and the reason', async () => {
      const base = fixtureJson('github', 'push.json');
      const skip = clone(base);
      (skip.head_commit as Json).message = 'test a push event [skip ci]';
      const otherBranch = clone(base);
      otherBranch.ref = 'refs/heads/feature/x';
      const branchDeleted = clone(base);
      Object.assign(branchDeleted, { after: '0'.repeat(40), deleted: true, head_commit: null, commits: [] });
      const tagDeleted = octokitExamples('push')[1] as Json;
      const watch = clone(base);
      watch.ref = 'refs/heads/develop';

      const cases: [string, Json, string][] = [
        ['skip', skip, 'skip_marker: [skip ci]'],
        ['other branch', otherBranch, 'no_matching_source'],
        ['branch deletion', branchDeleted, 'branch_deleted'],
        ['tag deletion', tagDeleted, 'tag_deleted'],
        ['watch paths', watch, 'watch_paths_not_matched'],
      ];
      const sent: { delivery: string; reason: string }[] = [];
      for (const [label, payload, reason] of cases) {
        const body = json(payload);
        const delivery = newDeliveryId();
        const res = await deliver(t, providerId, body, signGitHub(body, secret, { delivery }));
        expect(res.status, label).toBe(200);
        expect(res.body, label).toEqual({ deliveryId: delivery, deployments: 0, reason });
        expect(await db.eventsFor(delivery), label).toBe(0);
        sent.push({ delivery, reason });
      }
      const listed = await deliveries(t, org.auth, providerId);
      for (const { delivery, reason } of sent) {
        expect(listed.find((d) => d.deliveryId === delivery)).toMatchObject({
          providerId,
          event: 'push',
          outcome: 'ignored',
          reason,
          deployments: 0,
        });
      }
    });

    it('a source with autoDeploy false is recorded as auto_deploy_disabled', async () => {
      const manual = serviceId('gh-manual');
      await connect(t, org.auth, manual, { providerId, repository: 'Codertocat/Hello-World', branch: 'master', autoDeploy: false });
      const payload = octokitExamples('push')[4] as Json;
      expect(payload.ref).toBe('refs/heads/master');
      const body = json(payload);
      const delivery = newDeliveryId();
      const res = await deliver(t, providerId, body, signGitHub(body, secret, { delivery }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ deliveryId: delivery, deployments: 0, reason: 'auto_deploy_disabled' });
      expect(await db.eventsFor(delivery)).toBe(0);
    });

    it('a ping is recorded and answered 200 without deployments', async () => {
      const body = fixtureBytes('github', 'ping.json');
      const delivery = newDeliveryId();
      const res = await deliver(t, providerId, body, signGitHub(body, secret, { delivery, event: 'ping' }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ deliveryId: delivery, deployments: 0, reason: 'ping' });
    });
  });

  describe('GitLab (project hook registered by forgelink, OAuth tokens)', () => {
    let org: { organizationId: string; auth: Auth };
    let providerId: string;
    let token: string;
    let tagToken: string;
    const main = serviceId('gl-main');
    const tagged = serviceId('gl-tag');
    const watched = serviceId('gl-watch');

    beforeAll(async () => {
      const o = await seedOrganization(t.app, 'GitLab e2e');
      org = { organizationId: o.organizationId, auth: o.owner.auth };
      gitlab.addProject({ path: 'mike/diaspora', defaultBranch: 'master', id: FIXTURE_IDS.gitlabDiaspora });
      gitlab.setBranches('mike/diaspora', ['master', 'develop']);
      gitlab.addProject({ path: 'jsmith/example', defaultBranch: 'master', id: FIXTURE_IDS.gitlabExample });
      ({ providerId } = await gitlabProvider(t, org.auth, gitlab));
      const source = await connect(t, org.auth, main, { providerId, repository: 'mike/diaspora', branch: 'master' });
      expect(source.webhook).toMatchObject({ registered: true, url: `http://forgelink.test/v1/webhooks/${providerId}` });
      await connect(t, org.auth, watched, { providerId, repository: 'mike/diaspora', branch: 'develop', watchPaths: ['docs/**'] });
      await connect(t, org.auth, tagged, { providerId, repository: 'jsmith/example', triggerType: 'tag' });
      const hooks = gitlab.hooks('mike/diaspora');
      expect(hooks).toHaveLength(1);
      expect(hooks[0]).toMatchObject({ url: `http://forgelink.test/v1/webhooks/${providerId}`, push_events: true, tag_push_events: true });
      token = hooks[0]?.token ?? '';
      tagToken = gitlab.hooks('jsmith/example')[0]?.token ?? '';
      expect(token).not.toBe('');
      expect(tagToken).not.toBe(token);
    });

    it('deploys checkout_sha once per Idempotency-Key', async () => {
      const body = fixtureBytes('gitlab', 'push-event.json');
      const payload = fixtureJson('gitlab', 'push-event.json');
      const delivery = newDeliveryId();
      const res = await deliver(t, providerId, body, signGitLab(body, token, { delivery }));
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toEqual({ deliveryId: delivery, deployments: 1 });
      const [event] = await deploymentEvents(t, org.auth, byDelivery(delivery));
      expectDeployment(event, {
        organizationId: org.organizationId,
        serviceId: main,
        providerId,
        providerType: 'gitlab',
        repository: 'mike/diaspora',
        ref: { type: 'branch', name: 'master' },
        sha: payload.checkout_sha as string,
        deliveryId: delivery,
      });
      expect((event?.data.commit as Json).message).toBe('fixed readme');

      const again = await deliver(t, providerId, body, signGitLab(body, token, { delivery }));
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ deliveryId: delivery, duplicate: true });
      expect(await db.eventsFor(delivery)).toBe(1);
    });

    it('older GitLab without Idempotency-Key dedupes by X-Gitlab-Webhook-UUID', async () => {
      const body = anotherDelivery(fixtureBytes('gitlab', 'push-event.json'));
      const delivery = newDeliveryId();
      const first = await deliver(t, providerId, body, signGitLab(body, token, { delivery, idempotencyKey: null }));
      expect(first.status).toBe(202);
      const again = await deliver(t, providerId, body, signGitLab(body, token, { delivery, idempotencyKey: null }));
      expect(again.body).toMatchObject({ deliveryId: delivery, duplicate: true });
      expect(await db.eventsFor(delivery)).toBe(1);
    });

    it('an annotated tag push deploys checkout_sha (the tagged commit) to the tag source', async () => {
      const payload = clone(fixtureJson('gitlab', 'tag-event.json'));
      const commitSha = payload.checkout_sha as string;
      payload.after = 'f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed'; // the tag object
      const body = json(payload);
      const delivery = newDeliveryId();
      const res = await deliver(t, providerId, body, signGitLab(body, tagToken, { delivery, event: 'Tag Push Hook' }));
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const [event] = await deploymentEvents(t, org.auth, byDelivery(delivery));
      expectDeployment(event, {
        organizationId: org.organizationId,
        serviceId: tagged,
        providerId,
        providerType: 'gitlab',
        repository: 'jsmith/example',
        ref: { type: 'tag', name: 'v1.0.0' },
        sha: commitSha,
        deliveryId: delivery,
      });
    });

    it('watch paths use the compare API when the payload is truncated (20-commit cap)', async () => {
      const payload = clone(fixtureJson('gitlab', 'push-event.json'));
      expect((payload.commits as unknown[]).length).toBeLessThan(payload.total_commits_count as number);
      payload.ref = 'refs/heads/develop';
      gitlab.setCompare('mike/diaspora', payload.before as string, payload.after as string, { files: ['app/models/user.rb'] });
      const body = json(payload);
      const skipped = newDeliveryId();
      const res = await deliver(t, providerId, body, signGitLab(body, token, { delivery: skipped }));
      expect(res.body).toEqual({ deliveryId: skipped, deployments: 0, reason: 'watch_paths_not_matched' });
      expect(gitlab.apiRequests().some((r) => r.template === 'GET /projects/{id}/repository/compare')).toBe(true);

      gitlab.setCompare('mike/diaspora', payload.before as string, payload.after as string, {
        files: ['app/models/user.rb', 'docs/setup.md'],
      });
      const deployed = newDeliveryId();
      const next = anotherDelivery(body);
      const again = await deliver(t, providerId, next, signGitLab(next, token, { delivery: deployed }));
      expect(again.status).toBe(202);
      const [event] = await deploymentEvents(t, org.auth, byDelivery(deployed));
      expect(event?.aggregateId).toBe(watched);
    });

    it('a compare slower than the answer budget counts as unknown files: the push deploys and the answer stays under a second', async () => {
      const payload = clone(fixtureJson('gitlab', 'push-event.json'));
      payload.ref = 'refs/heads/develop';
      gitlab.setCompare('mike/diaspora', payload.before as string, payload.after as string, { files: ['app/models/user.rb'] });
      const body = anotherDelivery(json(payload));
      const delivery = newDeliveryId();
      gitlab.options.latencyMs = 2_000;
      try {
        const started = Date.now();
        const res = await deliver(t, providerId, body, signGitLab(body, token, { delivery }));
        expect(Date.now() - started).toBeLessThan(1_500);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
      } finally {
        gitlab.options.latencyMs = 0;
      }
      const [event] = await deploymentEvents(t, org.auth, byDelivery(delivery));
      expect(event?.aggregateId).toBe(watched);
    });

    it('deletions and skip markers are recorded as ignored with their reason', async () => {
      const deletion = clone(fixtureJson('gitlab', 'push-event.json'));
      Object.assign(deletion, { after: '0'.repeat(40), checkout_sha: null, commits: [], total_commits_count: 0 });
      const skip = clone(fixtureJson('gitlab', 'push-event.json'));
      const commits = skip.commits as Json[];
      (commits[commits.length - 1] as Json).message = 'fixed readme [skip deploy]';
      const sent: [string, string][] = [];
      for (const [payload, reason] of [
        [deletion, 'branch_deleted'],
        [skip, 'skip_marker: [skip deploy]'],
      ] as const) {
        const body = json(payload);
        const delivery = newDeliveryId();
        const res = await deliver(t, providerId, body, signGitLab(body, token, { delivery }));
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ deliveryId: delivery, deployments: 0, reason });
        sent.push([delivery, reason]);
      }
      const listed = await deliveries(t, org.auth, providerId);
      for (const [delivery, reason] of sent)
        expect(listed.find((d) => d.deliveryId === delivery)).toMatchObject({ outcome: 'ignored', reason, event: 'Push Hook' });
    });
  });

  describe('Gitea (repository hook with an HMAC secret)', () => {
    let org: { organizationId: string; auth: Auth };
    let providerId: string;
    let secret: string;
    const main = serviceId('gt-main');

    beforeAll(async () => {
      const o = await seedOrganization(t.app, 'Gitea e2e');
      org = { organizationId: o.organizationId, auth: o.owner.auth };
      gitea.setRepositories([{ owner: 'example', name: 'example', defaultBranch: 'master', id: FIXTURE_IDS.giteaExample }]);
      gitea.setBranches('example/example', [{ name: 'master' }]);
      ({ providerId } = await giteaProvider(t, org.auth, gitea));
      const source = await connect(t, org.auth, main, { providerId, repository: 'example/example', branch: 'master' });
      expect(source.webhook).toMatchObject({ registered: true });
      const hooks = gitea.hooksOf('example/example');
      expect(hooks).toHaveLength(1);
      expect(hooks[0]?.url).toBe(`http://forgelink.test/v1/webhooks/${providerId}`);
      secret = hooks[0]?.secret ?? '';
      expect(secret).not.toBe('');
    });

    it('deploys `after` once per X-Gitea-Delivery (Forgejo headers too)', async () => {
      const body = fixtureBytes('gitea', 'push-event.json');
      const payload = fixtureJson('gitea', 'push-event.json');
      const delivery = newDeliveryId();
      const res = await deliver(t, providerId, body, signGitea(body, secret, { delivery, flavour: 'forgejo' }));
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toEqual({ deliveryId: delivery, deployments: 1 });
      const [event] = await deploymentEvents(t, org.auth, byDelivery(delivery));
      expectDeployment(event, {
        organizationId: org.organizationId,
        serviceId: main,
        providerId,
        providerType: 'gitea',
        repository: 'example/example',
        ref: { type: 'branch', name: 'master' },
        sha: payload.after as string,
        deliveryId: delivery,
      });
      const again = await deliver(t, providerId, body, signGitea(body, secret, { delivery }));
      expect(again.body).toMatchObject({ deliveryId: delivery, duplicate: true });
      expect(await db.eventsFor(delivery)).toBe(1);
      const listed = await deliveries(t, org.auth, providerId);
      expect(
        listed
          .filter((d) => d.deliveryId === delivery)
          .map((d) => d.outcome)
          .sort(),
      ).toEqual(['deployed', 'duplicate']);
    });

    it('create/delete events are authentic but deploy nothing', async () => {
      const body = fixtureBytes('gitea', 'delete-event.json');
      const delivery = newDeliveryId();
      const res = await deliver(t, providerId, body, signGitea(body, secret, { delivery, event: 'delete' }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ deliveryId: delivery, deployments: 0, reason: 'unsupported_event: delete' });
    });
  });

  describe('Bitbucket Cloud (repository hook, several changes per push, diffstat for watch paths)', () => {
    let org: { organizationId: string; auth: Auth };
    let providerId: string;
    let secret: string;
    const onBranch = serviceId('bb-branch');
    const onMain = serviceId('bb-main');
    const onTag = serviceId('bb-tag');
    const watchedSrc = serviceId('bb-src');
    const watchedDocs = serviceId('bb-docs');

    beforeAll(async () => {
      const o = await seedOrganization(t.app, 'Bitbucket e2e');
      org = { organizationId: o.organizationId, auth: o.owner.auth };
      bitbucket.setRepositories('team_name', [{ slug: 'repo_name', uuid: FIXTURE_IDS.bitbucketRepoName }]);
      bitbucket.setBranches('team_name/repo_name', [{ name: 'main' }, { name: 'name-of-branch' }, { name: 'release' }]);
      ({ providerId } = await bitbucketProvider(t, org.auth, bitbucket, 'team_name'));
      const inputs: [string, Partial<SourceInput>][] = [
        [onBranch, { branch: 'name-of-branch' }],
        [onMain, { branch: 'main' }],
        [onTag, { triggerType: 'tag' }],
        [watchedSrc, { branch: 'release', watchPaths: ['src/**'] }],
        [watchedDocs, { branch: 'release', watchPaths: ['docs/**'] }],
      ];
      for (const [id, input] of inputs) {
        await connect(t, org.auth, id, { providerId, repository: 'team_name/repo_name', ...input });
      }
      const hooks = bitbucket.hooks('team_name/repo_name');
      expect(hooks).toHaveLength(1);
      expect(hooks[0]).toMatchObject({ url: `http://forgelink.test/v1/webhooks/${providerId}`, active: true });
      expect(hooks[0]?.events).toContain('repo:push');
      secret = hooks[0]?.secret ?? '';
      expect(secret).not.toBe('');
    });

    it('the real repo:push deploys new.target.hash once per X-Request-UUID', async () => {
      const body = fixtureBytes('bitbucket', 'repo-push.json');
      const payload = fixtureJson('bitbucket', 'repo-push.json');
      const change = ((payload.push as Json).changes as Json[])[0] as Json;
      const delivery = newDeliveryId();
      const res = await deliver(t, providerId, body, signBitbucket(body, secret, { delivery }));
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toEqual({ deliveryId: delivery, deployments: 1 });
      const [event] = await deploymentEvents(t, org.auth, byDelivery(delivery));
      expectDeployment(event, {
        organizationId: org.organizationId,
        serviceId: onBranch,
        providerId,
        providerType: 'bitbucket',
        repository: 'team_name/repo_name',
        ref: { type: 'branch', name: 'name-of-branch' },
        sha: ((change.new as Json).target as Json).hash as string,
        deliveryId: delivery,
      });
      const retry = await deliver(t, providerId, body, signBitbucket(body, secret, { delivery, attempt: 2 }));
      expect(retry.body).toMatchObject({ deliveryId: delivery, duplicate: true });
      expect(await db.eventsFor(delivery)).toBe(1);
    });

    it('a push with several changes deploys every matching change, not only changes[0]', async () => {
      const payload = clone(fixtureJson('bitbucket', 'repo-push.json'));
      const changes = (payload.push as Json).changes as Json[];
      const first = changes[0] as Json;
      const withName = (type: string, name: string, hash: string): Json => {
        const c = clone(first);
        const next = c.new as Json;
        Object.assign(next, { type, name });
        (next.target as Json).hash = hash;
        if (type === 'tag') c.old = null;
        else Object.assign(c.old as Json, { name });
        return c;
      };
      const mainSha = '1111111111111111111111111111111111111111';
      const tagSha = '2222222222222222222222222222222222222222';
      changes.push(withName('branch', 'main', mainSha), withName('tag', 'v2.0.0', tagSha), withName('branch', 'unwatched', '3'.repeat(40)));
      const body = json(payload);
      const delivery = newDeliveryId();
      const res = await deliver(t, providerId, body, signBitbucket(body, secret, { delivery }));
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toEqual({ deliveryId: delivery, deployments: 3 });
      const events = await deploymentEvents(t, org.auth, byDelivery(delivery), 3);
      const shas = Object.fromEntries(events.map((e) => [e.aggregateId, (e.data.commit as Json).sha]));
      expect(shas).toEqual({ [onBranch]: (first.new as Json as { target: Json }).target.hash, [onMain]: mainSha, [onTag]: tagSha });
      expect(events.find((e) => e.aggregateId === onTag)?.data.ref).toEqual({ type: 'tag', name: 'v2.0.0' });
    });

    it('watch paths on Bitbucket come from the diffstat API (payloads carry no file lists)', async () => {
      const payload = clone(fixtureJson('bitbucket', 'repo-push.json'));
      const change = ((payload.push as Json).changes as Json[])[0] as Json;
      (change.new as Json).name = 'release';
      (change.old as Json).name = 'release';
      const head = ((change.new as Json).target as Json).hash as string;
      const base = ((change.old as Json).target as Json).hash as string;
      bitbucket.setDiffstat('team_name/repo_name', { base, head }, ['src/index.ts', { status: 'added', new: 'src/new.ts' }]);
      bitbucket.clearRequests();
      const body = json(payload);
      const delivery = newDeliveryId();
      const res = await deliver(t, providerId, body, signBitbucket(body, secret, { delivery }));
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toEqual({ deliveryId: delivery, deployments: 1 });
      expect(bitbucket.requests.some((r) => r.path.includes('/diffstat/'))).toBe(true);
      const events = await deploymentEvents(t, org.auth, byDelivery(delivery));
      expect(events.map((e) => e.aggregateId)).toEqual([watchedSrc]);

      bitbucket.setDiffstat('team_name/repo_name', { base, head }, ['README.md']);
      const none = newDeliveryId();
      const next = anotherDelivery(body);
      const skipped = await deliver(t, providerId, next, signBitbucket(next, secret, { delivery: none }));
      expect(skipped.body).toEqual({ deliveryId: none, deployments: 0, reason: 'watch_paths_not_matched' });
      const listed = await deliveries(t, org.auth, providerId);
      expect(listed.find((d) => d.deliveryId === none)).toMatchObject({
        outcome: 'ignored',
        reason: 'watch_paths_not_matched',
        event: 'repo:push',
      });
      expect(listed.find((d) => d.deliveryId === delivery)).toMatchObject({ outcome: 'deployed', deployments: 1 });
    });

    it('a branch deletion (new: null) deploys nothing', async () => {
      const payload = clone(fixtureJson('bitbucket', 'repo-push.json'));
      const change = ((payload.push as Json).changes as Json[])[0] as Json;
      change.new = null;
      change.closed = true;
      const body = json(payload);
      const delivery = newDeliveryId();
      const res = await deliver(t, providerId, body, signBitbucket(body, secret, { delivery }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ deliveryId: delivery, deployments: 0, reason: 'branch_deleted' });
    });
  });
});
