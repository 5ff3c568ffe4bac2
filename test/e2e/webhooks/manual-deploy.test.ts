import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp, type TestMember } from '../../support/app.js';
import { FakeGitHub } from '../../fakes/github-server.js';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { FakeGitea } from '../../fakes/gitea-server.js';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { FakeBitbucketDatacenter } from '../../fakes/bitbucket-datacenter-server.js';
import { answersNotMatchingSpec, requestsMissingFromSpec, specs, type RecordedAnswer } from '../../support/openapi.js';
import {
  type Auth,
  type EventEnvelope,
  bitbucketProvider,
  connect,
  eventsOfType,
  githubProvider,
  gitlabProvider,
  giteaProvider,
  serviceId,
} from './support.js';

/**
 * Manual deploys (POST /v1/services/{type}/{id}/deployments) end to end on every forge: the ref's current head is
 * asked of the fake forge (branch, slashed branch, annotated tag), `deployment.requested` (trigger "manual") lands in
 * the outbox and the feed, and refusals (deleted branch, other organisation, bad ref) emit nothing.
 */
const sha = (seed: string): string => createHash('sha1').update(seed).digest('hex');

interface Forge {
  readonly label: string;
  readonly providerType: string;
  /** What the source is connected to, as the forge spells it. */
  readonly repository: string;
  readonly repositoryId: string;
  /** Creates the provider (ready) for the organisation; the repository has main, release/1.2 and tag v1.0.0. */
  provider(t: TestApp, auth: Auth): Promise<string>;
  /** Moves (or, with null, deletes) a branch on the fake; the other branches keep their heads. */
  setBranch(name: string, head: string | null): void;
  /** Requests the fake received so far. */
  requestCount(): number;
  /**
   * Where the forge publishes an API description (vendored: test/fixtures/SOURCES.md): the fake's answers to the ref
   * lookups (`endpoints`) are checked against it. GitLab and Bitbucket Data Center publish none covering these.
   */
  readonly described?: {
    readonly specs: readonly (() => ReturnType<typeof specs.github>)[];
    readonly endpoints: RegExp;
    readonly globalQuery?: readonly string[];
    /** Path parameters the forge matches across slashes (see answersNotMatchingSpec). */
    readonly greedyParams?: readonly string[];
    answers(): readonly RecordedAnswer[];
  };
}

/** The heads each fake starts with, and the commit details it shows for them. */
const HEADS = { main: sha('main-1'), release: sha('release-1'), tagged: sha('v1-commit') };
const INFO: Record<string, { message: string; author: string }> = {
  [HEADS.main]: { message: 'Ship the login page\n\nWith tests.', author: 'Ada Lovelace' },
  [HEADS.release]: { message: 'Release branch fix', author: 'Grace Hopper' },
  [HEADS.tagged]: { message: 'Version 1.0.0', author: 'Alan Turing' },
  [sha('main-2')]: { message: 'A later commit', author: 'Ada Lovelace' },
};

const github = new FakeGitHub();
const gitlab = new FakeGitLab();
const gitea = new FakeGitea();
const bitbucket = new FakeBitbucket();
const datacenter = new FakeBitbucketDatacenter();
const DC_TOKEN = 'BBDC-TWFudWFsRGVwbG95VG9rZW4';

function branchList(heads: Map<string, string>): { name: string; commitSha: string }[] {
  return [...heads].map(([name, commitSha]) => ({ name, commitSha }));
}

const githubHeads = new Map([
  ['main', HEADS.main],
  ['release/1.2', HEADS.release],
]);
const gitlabHeads = new Map(githubHeads);
const giteaHeads = new Map(githubHeads);
const bitbucketHeads = new Map(githubHeads);
const dcHeads = new Map(githubHeads);

const FORGES: Forge[] = [
  {
    label: 'GitHub App',
    providerType: 'github',
    repository: 'acme/web',
    repositoryId: '424242',
    async provider(t, auth) {
      const { providerId } = await githubProvider(t, auth, github, [{ owner: 'acme', name: 'web', branches: ['main'], id: 424242 }]);
      github.setBranches('acme/web', branchList(githubHeads));
      github.setTags('acme/web', [{ name: 'v1.0.0', commitSha: HEADS.tagged, annotated: true }]);
      for (const [s, info] of Object.entries(INFO)) github.setCommit(s, info);
      return providerId;
    },
    setBranch(name, head) {
      if (head === null) githubHeads.delete(name);
      else githubHeads.set(name, head);
      github.setBranches('acme/web', branchList(githubHeads));
    },
    requestCount: () => github.requests.length,
    described: { specs: [specs.github], endpoints: /^\/repos\/acme\/web\/(branches|commits)\//, answers: () => github.answers },
  },
  {
    label: 'GitLab',
    providerType: 'gitlab',
    repository: 'acme/platform/web',
    repositoryId: '5151',
    async provider(t, auth) {
      gitlab.addProject({ path: 'acme/platform/web', id: 5151, defaultBranch: 'main' });
      gitlab.setBranches('acme/platform/web', branchList(gitlabHeads));
      gitlab.setTags('acme/platform/web', [{ name: 'v1.0.0', commitSha: HEADS.tagged, annotated: true }]);
      for (const [s, info] of Object.entries(INFO)) gitlab.setCommit(s, info);
      return (await gitlabProvider(t, auth, gitlab)).providerId;
    },
    setBranch(name, head) {
      if (head === null) gitlabHeads.delete(name);
      else gitlabHeads.set(name, head);
      gitlab.setBranches('acme/platform/web', branchList(gitlabHeads));
    },
    requestCount: () => gitlab.requests.length,
  },
  {
    label: 'Gitea/Forgejo',
    providerType: 'gitea',
    repository: 'acme/web',
    repositoryId: '77',
    async provider(t, auth) {
      gitea.setRepositories([{ owner: 'acme', name: 'web', defaultBranch: 'main', id: 77 }]);
      gitea.setBranches('acme/web', branchList(giteaHeads));
      gitea.setTags('acme/web', [{ name: 'v1.0.0', commitSha: HEADS.tagged, annotated: true }]);
      for (const [s, info] of Object.entries(INFO)) gitea.setCommit(s, info);
      return (await giteaProvider(t, auth, gitea)).providerId;
    },
    setBranch(name, head) {
      if (head === null) giteaHeads.delete(name);
      else giteaHeads.set(name, head);
      gitea.setBranches('acme/web', branchList(giteaHeads));
    },
    requestCount: () => gitea.requests.length,
    described: {
      specs: [specs.gitea, specs.forgejo],
      endpoints: /^\/repos\/acme\/web\/(branches|tags|git\/commits)\//,
      greedyParams: ['branch', 'tag'],
      answers: () => gitea.answers,
    },
  },
  {
    label: 'Bitbucket Cloud',
    providerType: 'bitbucket',
    repository: 'acme/web',
    repositoryId: '{0b5c3e4f-8d1a-4f7e-9a32-1c2d3e4f5a6b}',
    async provider(t, auth) {
      bitbucket.setRepositories('acme', [{ slug: 'web', uuid: '{0b5c3e4f-8d1a-4f7e-9a32-1c2d3e4f5a6b}', mainbranch: 'main' }]);
      bitbucket.setBranches(
        'acme/web',
        [...bitbucketHeads].map(([name, hash]) => ({ name, hash })),
      );
      bitbucket.setTags('acme/web', [{ name: 'v1.0.0', hash: HEADS.tagged, annotated: true }]);
      for (const [s, info] of Object.entries(INFO))
        bitbucket.addCommit('acme/web', { hash: s, message: info.message, authorRaw: `${info.author} <dev@example.com>` });
      return (await bitbucketProvider(t, auth, bitbucket, 'acme')).providerId;
    },
    setBranch(name, head) {
      if (head === null) bitbucketHeads.delete(name);
      else bitbucketHeads.set(name, head);
      bitbucket.setBranches(
        'acme/web',
        [...bitbucketHeads].map(([n, hash]) => ({ name: n, hash })),
      );
    },
    requestCount: () => bitbucket.requests.length,
    described: {
      specs: [specs.bitbucket],
      endpoints: /^\/repositories\/acme\/[^/]+\/refs\/(branches|tags)/,
      globalQuery: ['page', 'pagelen'],
      answers: () => bitbucket.answers,
    },
  },
  {
    label: 'Bitbucket Data Center',
    providerType: 'bitbucket-datacenter',
    repository: 'DEV/web',
    repositoryId: '1684',
    async provider(t, auth) {
      datacenter.addToken(DC_TOKEN, 'REPO_ADMIN');
      datacenter.setRepositories([{ slug: 'web', project: 'DEV', id: 1684, defaultBranch: 'main' }]);
      datacenter.setBranches('DEV/web', branchList(dcHeads));
      datacenter.setTags('DEV/web', [
        { name: 'v1.0.0', commitSha: HEADS.tagged, annotated: true },
        // filterText matches anywhere in the name: only the exact tag may answer.
        { name: 'v1.0.0-rc1', commitSha: sha('rc1'), annotated: false },
      ]);
      for (const [s, info] of Object.entries(INFO)) datacenter.setCommit(s, info);
      const res = await t.api
        .post('/v1/git-providers/bitbucket-datacenter')
        .set(auth)
        .send({ name: 'BBDC manual deploys', serverUrl: datacenter.serverUrl, token: DC_TOKEN });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    },
    setBranch(name, head) {
      if (head === null) dcHeads.delete(name);
      else dcHeads.set(name, head);
      datacenter.setBranches('DEV/web', branchList(dcHeads));
    },
    requestCount: () => datacenter.requests.length,
  },
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('manual deploys: POST /v1/services/{type}/{id}/deployments', () => {
  let t: TestApp;
  let pool: pg.Pool;

  const deploy = (auth: Auth, service: string, body: unknown = {}, type = 'application') =>
    t.api
      .post(`/v1/services/${type}/${service}/deployments`)
      .set(auth)
      .send(body as object);

  /** Outbox rows of deployment.requested for this service (any organisation). */
  const outboxRows = async (service: string): Promise<{ id: string; organization_id: string; data: Record<string, unknown> }[]> =>
    (
      await pool.query<{ id: string; organization_id: string; data: Record<string, unknown> }>(
        `select id, organization_id, data from outbox where type = 'deployment.requested' and aggregate_id = $1 order by position`,
        [service],
      )
    ).rows;

  beforeAll(async () => {
    await Promise.all([github.start(), gitlab.start(), gitea.start(), bitbucket.start(), datacenter.start()]);
    t = await startTestApp({ bitbucketApiUrl: bitbucket.apiUrl });
    pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 });
  });

  afterAll(async () => {
    await t?.close();
    await pool?.end();
    await Promise.all([github.stop(), gitlab.stop(), gitea.stop(), bitbucket.stop(), datacenter.stop()]);
  });

  describe.each(FORGES)('$label', (forge) => {
    let org: { organizationId: string; admin: TestMember; member: TestMember };
    let stranger: { admin: TestMember };
    let providerId: string;
    const service = serviceId(`deploy-${forge.providerType}`);

    beforeAll(async () => {
      const o = await seedOrganization(t.app, `Manual deploys ${forge.label}`);
      org = { organizationId: o.organizationId, admin: o.admin, member: o.member };
      stranger = { admin: (await seedOrganization(t.app, 'Elsewhere')).admin };
      providerId = await forge.provider(t, org.admin.auth);
      const source = await connect(t, org.admin.auth, service, { providerId, repository: forge.repository, branch: 'main' });
      expect(source.repositoryId).toBe(forge.repositoryId);
    });

    it("deploys the source's branch head by default: 202, and the event in the outbox and the feed is exact", async () => {
      const res = await deploy(org.admin.auth, service);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const info = INFO[HEADS.main];
      expect(res.body).toEqual({ eventId: expect.stringMatching(UUID), commit: { sha: HEADS.main, ...info } });

      const rows = (await outboxRows(service)).filter((r) => r.id === res.body.eventId);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.organization_id).toBe(org.organizationId);
      const expected = {
        serviceType: 'application',
        serviceId: service,
        providerId,
        providerType: forge.providerType,
        repository: forge.repository,
        repositoryId: forge.repositoryId,
        ref: { type: 'branch', name: 'main' },
        commit: { sha: HEADS.main, ...info },
        trigger: 'manual',
        deliveryId: null,
      };
      expect(rows[0]?.data).toEqual(expected);

      const [event] = await eventsOfType(t, org.admin.auth, 'deployment.requested', (e: EventEnvelope) => e.id === res.body.eventId);
      expect(event).toMatchObject({ type: 'deployment.requested', organizationId: org.organizationId, aggregateId: service });
      expect(event?.data).toEqual(expected);
    });

    it('deploys a branch whose name has a slash, and an annotated tag as its commit (never the tag object)', async () => {
      const branch = await deploy(org.admin.auth, service, { ref: { type: 'branch', name: 'release/1.2' } });
      expect(branch.status, JSON.stringify(branch.body)).toBe(202);
      expect(branch.body.commit).toEqual({ sha: HEADS.release, ...INFO[HEADS.release] });

      const tag = await deploy(org.admin.auth, service, { ref: { type: 'tag', name: 'v1.0.0' } });
      expect(tag.status, JSON.stringify(tag.body)).toBe(202);
      expect(tag.body.commit).toEqual({ sha: HEADS.tagged, ...INFO[HEADS.tagged] });
      const rows = (await outboxRows(service)).filter((r) => r.id === tag.body.eventId);
      expect(rows[0]?.data).toMatchObject({ ref: { type: 'tag', name: 'v1.0.0' }, commit: { sha: HEADS.tagged }, trigger: 'manual' });
    });

    it("deploys the branch's current head after it moved", async () => {
      forge.setBranch('main', sha('main-2'));
      try {
        const res = await deploy(org.admin.auth, service);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        expect(res.body.commit).toEqual({ sha: sha('main-2'), ...INFO[sha('main-2')] });
      } finally {
        forge.setBranch('main', HEADS.main);
      }
    });

    it('a branch or tag that no longer exists is 422 with the reason, and emits nothing', async () => {
      forge.setBranch('release/1.2', null);
      try {
        const before = (await outboxRows(service)).length;
        const gone = await deploy(org.admin.auth, service, { ref: { type: 'branch', name: 'release/1.2' } });
        expect(gone.status, JSON.stringify(gone.body)).toBe(422);
        expect(gone.headers['content-type']).toContain('application/problem+json');
        expect(gone.body.code).toBe('PROVIDER_NOT_READY');
        expect(gone.body.detail).toContain('Branch release/1.2 does not exist');
        const noTag = await deploy(org.admin.auth, service, { ref: { type: 'tag', name: 'v9.9.9' } });
        expect(noTag.status, JSON.stringify(noTag.body)).toBe(422);
        expect(noTag.body.detail).toContain('Tag v9.9.9 does not exist');
        expect(await outboxRows(service)).toHaveLength(before);
      } finally {
        forge.setBranch('release/1.2', HEADS.release);
      }
    });

    it('a forge answering a commit id that is not a full sha is 502 FORGE_ERROR, and nothing is emitted', async () => {
      forge.setBranch('release/1.2', '--upload-pack=touch /tmp/x');
      try {
        const before = (await outboxRows(service)).length;
        const bad = await deploy(org.admin.auth, service, { ref: { type: 'branch', name: 'release/1.2' } });
        expect(bad.status, JSON.stringify(bad.body)).toBe(502);
        expect(bad.body.code).toBe('FORGE_ERROR');
        // Refused where the answer is read (Bitbucket Cloud's schema) or before the event is recorded (every forge).
        expect(bad.body.detail).toMatch(/not a full SHA|unexpected shape/);
        expect(await outboxRows(service)).toHaveLength(before);
      } finally {
        forge.setBranch('release/1.2', HEADS.release);
      }
    });

    const described = forge.described;
    if (described)
      it("the fake answers the ref lookups as the forge's official API description says (found and missing refs)", async () => {
        const from = described.answers().length;
        const refs = [
          { ref: { type: 'branch', name: 'main' }, status: 202 },
          { ref: { type: 'branch', name: 'release/1.2' }, status: 202 },
          { ref: { type: 'tag', name: 'v1.0.0' }, status: 202 },
          { ref: { type: 'branch', name: 'gone' }, status: 422 },
          { ref: { type: 'tag', name: 'v9.9.9' }, status: 422 },
        ];
        for (const { ref, status } of refs)
          expect((await deploy(org.admin.auth, service, { ref })).status, JSON.stringify(ref)).toBe(status);
        const answers = described
          .answers()
          .slice(from)
          .filter((a) => described.endpoints.test(a.path));
        // Both a found ref and a missing one were answered, so both shapes were checked.
        expect(answers.some((a) => a.status === 200)).toBe(true);
        expect(answers.some((a) => a.status >= 400)).toBe(true);
        for (const spec of described.specs) {
          expect(requestsMissingFromSpec(spec(), answers, described.globalQuery, described.greedyParams)).toEqual([]);
          expect(answersNotMatchingSpec(spec(), answers, described.greedyParams)).toEqual([]);
          // The check can fail: a branch or tag whose name is a number, with a field the forge never sends, is refused.
          const found = answers.find((a) => a.status === 200 && typeof (a.body as { name?: unknown }).name === 'string')!;
          const broken = { ...found, body: { ...(found.body as object), name: 42, invented: true } };
          expect(answersNotMatchingSpec(spec(), [broken]).join('\n')).toMatch(/\$\.name: integer[\s\S]*\$\.invented: not in the spec/);
        }
      });

    it("another organisation's caller gets 404 and the forge is not asked", async () => {
      const before = forge.requestCount();
      const rows = (await outboxRows(service)).length;
      const res = await deploy(stranger.admin.auth, service);
      expect(res.status, JSON.stringify(res.body)).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
      expect(forge.requestCount()).toBe(before);
      expect(await outboxRows(service)).toHaveLength(rows);
    });

    it('a member who can see the source deploys it once the provider is shared; before that it is 404 without a forge request', async () => {
      const before = forge.requestCount();
      const hidden = await deploy(org.member.auth, service);
      expect(hidden.status, JSON.stringify(hidden.body)).toBe(404);
      expect(forge.requestCount()).toBe(before);

      const share = await t.api.put(`/v1/git-providers/${providerId}/sharing`).set(org.admin.auth).send({ sharedWithOrganization: true });
      expect(share.status, JSON.stringify(share.body)).toBe(200);
      const res = await deploy(org.member.auth, service);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.commit.sha).toBe(HEADS.main);
    });
  });

  describe('input, state and refusals (forge-independent)', () => {
    let org: { admin: TestMember };
    let providerId: string;
    const service = serviceId('deploy-rules');

    beforeAll(async () => {
      const o = await seedOrganization(t.app, 'Manual deploy rules');
      org = { admin: o.admin };
      ({ providerId } = await githubProvider(t, org.admin.auth, github, [{ owner: 'rules', name: 'app', branches: ['main'], id: 515151 }]));
      await connect(t, org.admin.auth, service, { providerId, repository: 'rules/app', branch: 'main' });
    });

    it.each([
      ['a ".." in the name', { ref: { type: 'branch', name: 'main..evil' } }, 'body.ref.name'],
      ['a control character', { ref: { type: 'branch', name: 'ma\u0001in' } }, 'body.ref.name'],
      ['a name over 255 characters', { ref: { type: 'tag', name: 'v'.repeat(256) } }, 'body.ref.name'],
      ['an empty name', { ref: { type: 'branch', name: '' } }, 'body.ref.name'],
      ['an unknown ref type', { ref: { type: 'commit', name: 'main' } }, 'body.ref.type'],
      ['a ref that is not an object', { ref: 'main' }, 'body.ref'],
    ])('%s is 400 VALIDATION_FAILED; no forge request, nothing written', async (_label, body, path) => {
      const before = github.requests.length;
      const rows = (await outboxRows(service)).length;
      const res = await deploy(org.admin.auth, service, body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect((res.body.errors as { path: string }[]).map((e) => e.path)).toContain(path);
      expect(github.requests.length).toBe(before);
      expect(await outboxRows(service)).toHaveLength(rows);
    });

    it('an unknown service is 404; without an API key 401', async () => {
      expect((await deploy(org.admin.auth, serviceId('never-connected'))).status).toBe(404);
      const anonymous = await t.api.post(`/v1/services/application/${service}/deployments`).send({});
      expect(anonymous.status).toBe(401);
    });

    it('a tag source without a branch needs a ref (400); with one it deploys', async () => {
      const tagged = serviceId('deploy-tag-source');
      github.setTags('rules/app', [{ name: 'v2', commitSha: sha('rules-v2') }]);
      await connect(t, org.admin.auth, tagged, { providerId, repository: 'rules/app', triggerType: 'tag' });
      const missing = await deploy(org.admin.auth, tagged);
      expect(missing.status, JSON.stringify(missing.body)).toBe(400);
      expect(missing.body.errors).toEqual([{ path: 'body.ref', message: 'is required: the source has no branch' }]);
      const res = await deploy(org.admin.auth, tagged, { ref: { type: 'tag', name: 'v2' } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.commit.sha).toBe(sha('rules-v2'));
    });

    it('a disconnected source is 409 CONFLICT and asks no forge', async () => {
      const gone = serviceId('deploy-disconnected');
      await connect(t, org.admin.auth, gone, { providerId, repository: 'rules/app', branch: 'main' });
      const off = await t.api.delete(`/v1/services/application/${gone}/source`).set(org.admin.auth);
      expect(off.status).toBe(200);
      const before = github.requests.length;
      const res = await deploy(org.admin.auth, gone);
      expect(res.status, JSON.stringify(res.body)).toBe(409);
      expect(res.body.code).toBe('CONFLICT');
      expect(github.requests.length).toBe(before);
    });

    it('is documented in /openapi.json and counted in the HTTP metrics by its route template', async () => {
      const doc = await t.api.get('/openapi.json');
      const operation = doc.body.paths['/v1/services/{serviceType}/{serviceId}/deployments']?.post;
      expect(operation).toBeDefined();
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['202', '400', '404', '409', '422']));
      const metrics = await t.api.get('/metrics');
      expect(metrics.text).toMatch(
        /forgelink_http_requests_total\{[^}]*route="\/v1\/services\/\{serviceType\}\/\{serviceId\}\/deployments"[^}]*status="202"/,
      );
    });
  });
});
