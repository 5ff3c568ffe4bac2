import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { FakeGitHub } from '../../fakes/github-server.js';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { FakeGitea } from '../../fakes/gitea-server.js';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { signBitbucket, signGitHub, signGitLab, signGitea, type WebhookHeaders } from '../../support/webhook-signing.js';
import { clone, fixtureBytes, fixtureJson, octokitExamples } from '../../unit/webhooks/fixtures.js';
import {
  type Auth,
  Db,
  type EventEnvelope,
  FIXTURE_IDS,
  bitbucketProvider,
  connect,
  deliver,
  deliveries,
  eventsOfType,
  githubProvider,
  gitlabProvider,
  giteaProvider,
  json,
  newDeliveryId,
  serviceId,
} from './support.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Pull/merge request previews end to end, per forge: real payloads (test/fixtures/webhooks, @octokit/webhooks-examples)
 * signed as the forge signs them, POST /v1/webhooks/{providerId}, and the preview.* events in the feed.
 * Each forge's sources: `on` (target branch, previews on), `forks` (previews on for forks too), `off` (branch
 * `stable`, previews off).
 */
interface ForgeCase {
  readonly label: string;
  readonly providerType: string;
  readonly repository: string;
  readonly repositoryId: string;
  /** The fixture request's target branch. */
  readonly target: string;
  /** What preview.requested carries for the `open` payload. */
  readonly expected: {
    number: number;
    title: string;
    url: string;
    sourceBranch: string;
    author: string;
    sha: string;
    message: string;
    commitAuthor: string;
  };
  setup(t: TestApp, auth: Auth): Promise<{ providerId: string; sign: (body: Buffer, event: string, delivery: string) => WebhookHeaders }>;
  /** Each payload: [event header value, body bytes]. */
  open(): [string, Buffer];
  update(): [string, Buffer];
  close(): [string, Buffer];
  merge(): [string, Buffer];
  fork(): [string, Buffer];
  retarget(branch: string): [string, Buffer];
  unrelated(): [string, Buffer];
}

const github = new FakeGitHub();
const gitlab = new FakeGitLab();
const gitea = new FakeGitea();
const bitbucket = new FakeBitbucket();

const octokit = (action: string): Json => {
  const example = octokitExamples('pull_request').find((e) => e['action'] === action);
  if (!example) throw new Error(`no pull_request ${action} example`);
  return clone(example) as Json;
};

const GITHUB: ForgeCase = {
  label: 'GitHub pull_request (App hook)',
  providerType: 'github',
  repository: 'Codertocat/Hello-World',
  repositoryId: String(FIXTURE_IDS.githubHelloWorld),
  target: 'master',
  expected: {
    number: 2,
    title: 'Update the README with new information.',
    url: 'https://github.com/Codertocat/Hello-World/pull/2',
    sourceBranch: 'changes',
    author: 'Codertocat',
    sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
    message: '',
    commitAuthor: '',
  },
  async setup(t, auth) {
    const { providerId, webhookSecret } = await githubProvider(t, auth, github, [
      { owner: 'Codertocat', name: 'Hello-World', branches: ['master', 'stable'], id: FIXTURE_IDS.githubHelloWorld },
    ]);
    return { providerId, sign: (body, event, delivery) => signGitHub(body, webhookSecret, { event, delivery }) };
  },
  open: () => ['pull_request', json(octokit('opened'))],
  update: () => ['pull_request', json(octokit('synchronize'))],
  close: () => ['pull_request', json(octokit('closed'))],
  merge: () => {
    const payload = octokit('closed');
    payload['pull_request']['merged'] = true;
    return ['pull_request', json(payload)];
  },
  fork: () => {
    const payload = octokit('opened');
    payload['pull_request']['head']['repo']['id'] = 7_777_777;
    return ['pull_request', json(payload)];
  },
  retarget: (branch) => {
    const payload = octokit('opened');
    payload['pull_request']['base']['ref'] = branch;
    return ['pull_request', json(payload)];
  },
  unrelated: () => ['pull_request', json(octokit('labeled'))],
};

let gitlabToken = '';
const mergeRequest = (edit: (payload: Json) => void = () => undefined): Buffer => {
  const payload = clone(fixtureJson('gitlab', 'merge-request-event.json')) as Json;
  edit(payload);
  return json(payload);
};

const GITLAB: ForgeCase = {
  label: 'GitLab Merge Request Hook (project hook)',
  providerType: 'gitlab',
  repository: 'gitlabhq/gitlab-test',
  repositoryId: '1',
  target: 'master',
  expected: {
    number: 1,
    title: 'MS-Viewport',
    url: 'http://example.com/diaspora/merge_requests/1',
    sourceBranch: 'ms-viewport',
    author: 'root',
    sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    message: 'fixed readme',
    commitAuthor: 'GitLab dev user',
  },
  async setup(t, auth) {
    gitlab.addProject({ path: 'gitlabhq/gitlab-test', defaultBranch: 'master', id: 1 });
    gitlab.setBranches('gitlabhq/gitlab-test', ['master', 'stable']);
    const { providerId } = await gitlabProvider(t, auth, gitlab);
    return { providerId, sign: (body, event, delivery) => signGitLab(body, gitlabToken, { event, delivery }) };
  },
  open: () => ['Merge Request Hook', fixtureBytes('gitlab', 'merge-request-event.json')],
  update: () => [
    'Merge Request Hook',
    mergeRequest((p) => {
      p['object_attributes']['action'] = 'update';
      p['object_attributes']['oldrev'] = 'e'.repeat(40);
    }),
  ],
  close: () => ['Merge Request Hook', mergeRequest((p) => (p['object_attributes']['action'] = 'close'))],
  merge: () => ['Merge Request Hook', mergeRequest((p) => (p['object_attributes']['action'] = 'merge'))],
  fork: () => ['Merge Request Hook', mergeRequest((p) => (p['object_attributes']['source_project_id'] = 99))],
  retarget: (branch) => ['Merge Request Hook', mergeRequest((p) => (p['object_attributes']['target_branch'] = branch))],
  unrelated: () => [
    'Merge Request Hook',
    mergeRequest((p) => {
      p['object_attributes']['action'] = 'update'; // a title edit: no oldrev
      p['object_attributes']['title'] = 'Renamed';
    }),
  ],
};

let giteaSecret = '';
/** The fixture is a request from the fork example2/example; `sameRepository` moves its head into example/example. */
const giteaRequest = (edit: (payload: Json) => void, sameRepository = true): Buffer => {
  const payload = clone(fixtureJson('gitea', 'pull-request-event.json')) as Json;
  if (sameRepository) {
    payload['pull_request']['head']['repo_id'] = 1;
    payload['pull_request']['head']['repo']['id'] = 1;
  }
  edit(payload);
  return json(payload);
};

const GITEA: ForgeCase = {
  label: 'Gitea/Forgejo pull_request (repository hook)',
  providerType: 'gitea',
  repository: 'example/example',
  repositoryId: String(FIXTURE_IDS.giteaExample),
  target: 'master',
  expected: {
    number: 2,
    title: 'update',
    url: 'http://localhost:3000/example/example/pulls/2',
    sourceBranch: 'master',
    author: 'example2',
    sha: '48e773f892a831faa47c0a160d1b7f0cd369ae2a',
    message: '',
    commitAuthor: '',
  },
  async setup(t, auth) {
    gitea.setRepositories([{ owner: 'example', name: 'example', defaultBranch: 'master', id: FIXTURE_IDS.giteaExample }]);
    gitea.setBranches('example/example', [{ name: 'master' }, { name: 'stable' }]);
    const { providerId } = await giteaProvider(t, auth, gitea);
    return { providerId, sign: (body, event, delivery) => signGitea(body, giteaSecret, { event, delivery }) };
  },
  open: () => ['pull_request', giteaRequest(() => undefined)],
  update: () => ['pull_request', giteaRequest((p) => (p['action'] = 'synchronized'))],
  close: () => ['pull_request', giteaRequest((p) => (p['action'] = 'closed'))],
  merge: () => [
    'pull_request',
    giteaRequest((p) => {
      p['action'] = 'closed';
      p['pull_request']['merged'] = true;
    }),
  ],
  // The real payload, unchanged: a request from a fork.
  fork: () => ['pull_request', fixtureBytes('gitea', 'pull-request-event.json')],
  retarget: (branch) => ['pull_request', giteaRequest((p) => (p['pull_request']['base']['ref'] = branch))],
  unrelated: () => ['pull_request', fixtureBytes('gitea', 'pull-request-label-event.json')],
};

let bitbucketSecret = '';
const BITBUCKET_HEAD = 'd3022fc0ca3d8f1e7d5e2c6b4a9f0e1d2c3b4a59';
/** Atlassian's documented bodies are one template for every pull request event: `state` is filled in as Bitbucket does. */
const bitbucketRequest = (file: string, edit: (payload: Json) => void): Buffer => {
  const payload = clone(fixtureJson('bitbucket', file)) as Json;
  edit(payload);
  return json(payload);
};

const BITBUCKET: ForgeCase = {
  label: 'Bitbucket Cloud pullrequest:* (repository hook, abbreviated head resolved)',
  providerType: 'bitbucket',
  repository: 'team_name/repo_name',
  repositoryId: FIXTURE_IDS.bitbucketRepoName,
  target: 'master',
  expected: {
    number: 1,
    title: 'Title of pull request',
    url: 'https://api.bitbucket.org/pullrequest_id',
    sourceBranch: 'branch2',
    author: 'emmap1',
    sha: BITBUCKET_HEAD,
    message: 'Add the new checkout\n',
    commitAuthor: 'Emma',
  },
  async setup(t, auth) {
    bitbucket.setRepositories('team_name', [{ slug: 'repo_name', uuid: FIXTURE_IDS.bitbucketRepoName }]);
    bitbucket.setBranches('team_name/repo_name', [{ name: 'master' }, { name: 'stable' }]);
    bitbucket.addCommit('team_name/repo_name', {
      hash: BITBUCKET_HEAD,
      message: 'Add the new checkout\n',
      authorRaw: 'Emma <emma@example.com>',
    });
    const { providerId } = await bitbucketProvider(t, auth, bitbucket, 'team_name');
    return { providerId, sign: (body, event, delivery) => signBitbucket(body, bitbucketSecret, { event, delivery }) };
  },
  open: () => ['pullrequest:created', fixtureBytes('bitbucket', 'pull-request-created.json')],
  update: () => ['pullrequest:updated', bitbucketRequest('pull-request-updated.json', (p) => (p['pullrequest']['state'] = 'OPEN'))],
  close: () => ['pullrequest:rejected', bitbucketRequest('pull-request-declined.json', (p) => (p['pullrequest']['state'] = 'DECLINED'))],
  merge: () => ['pullrequest:fulfilled', fixtureBytes('bitbucket', 'pull-request-merged.json')],
  fork: () => [
    'pullrequest:created',
    bitbucketRequest(
      'pull-request-created.json',
      (p) => (p['pullrequest']['source']['repository']['uuid'] = '{0b5e0f3c-5d1a-4f7e-9a77-1c2d3e4f5a6b}'),
    ),
  ],
  retarget: (branch) => [
    'pullrequest:created',
    bitbucketRequest('pull-request-created.json', (p) => (p['pullrequest']['destination']['branch']['name'] = branch)),
  ],
  unrelated: () => ['pullrequest:approved', fixtureBytes('bitbucket', 'pull-request-approved.json')],
};

describe('pull/merge request previews, end to end per forge', () => {
  let t: TestApp;
  let db: Db;

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

  describe.each([GITHUB, GITLAB, GITEA, BITBUCKET])('$label', (forge) => {
    let auth: Auth;
    let organizationId: string;
    let providerId: string;
    let sign: (body: Buffer, event: string, delivery: string) => WebhookHeaders;
    const on = serviceId(`${forge.providerType}-on`);
    const forks = serviceId(`${forge.providerType}-forks`);
    const off = serviceId(`${forge.providerType}-off`);

    const send = async ([event, body]: [string, Buffer], delivery = newDeliveryId()) => {
      const res = await deliver(t, providerId, body, sign(body, event, delivery));
      return { res, delivery };
    };
    const previews = (type: string, delivery: string, atLeast = 1) =>
      eventsOfType(t, auth, type, (e: EventEnvelope) => e.data['deliveryId'] === delivery, atLeast);

    beforeAll(async () => {
      const o = await seedOrganization(t.app, `Previews ${forge.label}`);
      auth = o.owner.auth;
      organizationId = o.organizationId;
      ({ providerId, sign } = await forge.setup(t, auth));
      const source = await connect(t, auth, on, {
        providerId,
        repository: forge.repository,
        branch: forge.target,
        previews: { enabled: true },
      });
      expect(source['previews']).toEqual({ enabled: true, fromForks: false });
      await connect(t, auth, forks, {
        providerId,
        repository: forge.repository,
        branch: forge.target,
        previews: { enabled: true, fromForks: true },
      });
      await connect(t, auth, off, { providerId, repository: forge.repository, branch: 'stable' });
      // The hooks forgelink registers subscribe to pull/merge request events.
      if (forge.providerType === 'gitlab') {
        const [hook] = gitlab.hooks(forge.repository);
        expect(hook).toMatchObject({ push_events: true, tag_push_events: true, merge_requests_events: true });
        gitlabToken = hook?.token ?? '';
      }
      if (forge.providerType === 'gitea') {
        const [hook] = gitea.hooksOf(forge.repository);
        expect(hook?.events).toEqual(expect.arrayContaining(['push', 'pull_request']));
        giteaSecret = hook?.secret ?? '';
      }
      if (forge.providerType === 'bitbucket') {
        const [hook] = bitbucket.hooks(forge.repository);
        expect(hook?.events).toEqual(
          expect.arrayContaining([
            'repo:push',
            'pullrequest:created',
            'pullrequest:updated',
            'pullrequest:fulfilled',
            'pullrequest:rejected',
          ]),
        );
        bitbucketSecret = hook?.secret ?? '';
      }
    });

    it('opened → preview.requested for each opted-in source of the target branch, with the request and its head commit; a repeat is a duplicate', async () => {
      const { res, delivery } = await send(forge.open());
      expect(res.status, res.text).toBe(202);
      expect(res.body).toEqual({ deliveryId: delivery, deployments: 2 });
      const events = await previews('preview.requested', delivery, 2);
      expect(events.map((e) => e.aggregateId).sort()).toEqual([forks, on].sort());
      const event = events.find((e) => e.aggregateId === on);
      expect(event).toMatchObject({ type: 'preview.requested', organizationId });
      expect(event?.data).toEqual({
        serviceType: 'application',
        serviceId: on,
        providerId,
        providerType: forge.providerType,
        repository: forge.repository,
        repositoryId: forge.repositoryId,
        pullRequest: {
          number: forge.expected.number,
          title: forge.expected.title,
          url: forge.expected.url,
          sourceBranch: forge.expected.sourceBranch,
          targetBranch: forge.target,
          fromFork: false,
          author: forge.expected.author,
        },
        commit: { sha: forge.expected.sha, message: forge.expected.message, author: forge.expected.commitAuthor },
        deliveryId: delivery,
      });

      // The same delivery again (a forge retry or a manual redelivery) emits nothing.
      const again = await send(forge.open(), delivery);
      expect(again.res.status).toBe(200);
      expect(again.res.body).toMatchObject({ duplicate: true, deployments: 0 });
      expect(await db.eventsFor(delivery)).toBe(2);
      const recorded = (await deliveries(t, auth, providerId)).filter((d) => d.deliveryId === delivery).map((d) => d.outcome);
      expect(recorded.sort()).toEqual(['deployed', 'duplicate']);
    });

    it('new commits → preview.requested again; closed → preview.closed (merged false); merged → preview.closed (merged true)', async () => {
      const updated = await send(forge.update());
      expect(updated.res.status, updated.res.text).toBe(202);
      const [requested] = await previews('preview.requested', updated.delivery, 2);
      expect(requested?.data['pullRequest']).toMatchObject({ number: forge.expected.number, targetBranch: forge.target });
      expect((requested?.data['commit'] as { sha: string }).sha).toMatch(/^[0-9a-f]{40}$/);

      const closed = await send(forge.close());
      expect(closed.res.status, closed.res.text).toBe(202);
      const closedEvents = await previews('preview.closed', closed.delivery, 2);
      expect(closedEvents.map((e) => e.aggregateId).sort()).toEqual([forks, on].sort());
      expect(closedEvents.find((e) => e.aggregateId === on)?.data).toEqual({
        serviceType: 'application',
        serviceId: on,
        providerId,
        providerType: forge.providerType,
        repository: forge.repository,
        repositoryId: forge.repositoryId,
        pullRequest: { number: forge.expected.number },
        merged: false,
        deliveryId: closed.delivery,
      });

      const merged = await send(forge.merge());
      expect(merged.res.status, merged.res.text).toBe(202);
      const mergedEvents = await previews('preview.closed', merged.delivery, 2);
      expect(mergedEvents.every((e) => e.data['merged'] === true)).toBe(true);
    });

    it('a request from a fork previews only where fromForks is on', async () => {
      const { res, delivery } = await send(forge.fork());
      expect(res.status, res.text).toBe(202);
      expect(res.body).toEqual({ deliveryId: delivery, deployments: 1 });
      const [event] = await previews('preview.requested', delivery);
      expect(event?.aggregateId).toBe(forks);
      expect(event?.data['pullRequest']).toMatchObject({ fromFork: true });
      expect(await db.eventsFor(delivery)).toBe(1);
    });

    it('a request for another branch, or one whose sources have previews off, emits nothing and says why', async () => {
      const elsewhere = await send(forge.retarget('nowhere'));
      expect(elsewhere.res.status, elsewhere.res.text).toBe(200);
      expect(elsewhere.res.body).toEqual({ deliveryId: elsewhere.delivery, deployments: 0, reason: 'no_matching_source' });
      const stable = await send(forge.retarget('stable'));
      expect(stable.res.status).toBe(200);
      expect(stable.res.body).toEqual({ deliveryId: stable.delivery, deployments: 0, reason: 'previews_disabled' });
      expect(await db.eventsFor(elsewhere.delivery)).toBe(0);
      expect(await db.eventsFor(stable.delivery)).toBe(0);
    });

    it('unrelated request actions are answered 200 and ignored', async () => {
      const { res, delivery } = await send(forge.unrelated());
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ deployments: 0, reason: expect.stringMatching(/^unsupported_event: /) });
      expect(await db.eventsFor(delivery)).toBe(0);
    });

    it('the source shows the request as its repository’s last delivery', async () => {
      const res = await t.api.get(`/v1/services/application/${on}/source`).set(auth);
      expect(res.status, res.text).toBe(200);
      expect(res.body.webhook).toMatchObject({ registered: true, status: 'delivering', lastOutcome: 'ignored' });
    });
  });

  it('Bitbucket: when the abbreviated head cannot be resolved, the delivery says so and emits no preview', async () => {
    const o = await seedOrganization(t.app, 'Previews unresolved');
    bitbucket.setRepositories('ghost_team', [{ slug: 'repo_name', uuid: FIXTURE_IDS.bitbucketRepoName }]);
    bitbucket.setBranches('ghost_team/repo_name', [{ name: 'master' }]);
    const { providerId } = await bitbucketProvider(t, o.owner.auth, bitbucket, 'ghost_team');
    await connect(t, o.owner.auth, serviceId('bb-ghost'), {
      providerId,
      repository: 'ghost_team/repo_name',
      branch: 'master',
      previews: { enabled: true },
    });
    const [hook] = bitbucket.hooks('ghost_team/repo_name');
    // No commit d3022fc0ca3d in this repository: the commit API answers 404.
    const body = bitbucketRequest('pull-request-created.json', (p) => (p['repository']['full_name'] = 'ghost_team/repo_name'));
    const delivery = newDeliveryId();
    const res = await deliver(t, providerId, body, signBitbucket(body, hook?.secret ?? '', { event: 'pullrequest:created', delivery }));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      deliveryId: delivery,
      deployments: 0,
      reason: 'commit_unresolved: the forge knows no commit d3022fc0ca3d in ghost_team/repo_name',
    });
    expect(await db.eventsFor(delivery)).toBe(0);
  });

  it('PUT …/source validates previews and a PUT without it turns previews off', async () => {
    const o = await seedOrganization(t.app, 'Previews validation');
    gitea.setRepositories([{ owner: 'example', name: 'example', defaultBranch: 'master', id: FIXTURE_IDS.giteaExample }]);
    gitea.setBranches('example/example', [{ name: 'master' }, { name: 'stable' }]);
    const { providerId } = await giteaProvider(t, o.owner.auth, gitea);
    const id = serviceId('validate');
    const bad = await t.api
      .put(`/v1/services/application/${id}/source`)
      .set(o.owner.auth)
      .send({ providerId, repository: 'example/example', branch: 'master', previews: { enabled: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ path: 'body.previews.enabled' })] });
    const on = await connect(t, o.owner.auth, id, {
      providerId,
      repository: 'example/example',
      branch: 'master',
      previews: { enabled: true },
    });
    expect(on['previews']).toEqual({ enabled: true, fromForks: false });
    expect((await t.api.get(`/v1/services/application/${id}/source`).set(o.owner.auth)).body.previews).toEqual({
      enabled: true,
      fromForks: false,
    });
    const again = await connect(t, o.owner.auth, id, { providerId, repository: 'example/example', branch: 'master' });
    expect(again['previews']).toEqual({ enabled: false, fromForks: false });
  });
});
