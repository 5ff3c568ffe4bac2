import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { FakeGitHub } from '../../fakes/github-server.js';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { FakeGitea } from '../../fakes/gitea-server.js';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { FakeBitbucketDatacenter } from '../../fakes/bitbucket-datacenter-server.js';
import { type FakeCommitStatuses } from '../../fakes/commit-statuses.js';
import { type Auth, bitbucketProvider, connect, githubProvider, gitlabProvider, giteaProvider } from '../webhooks/support.js';
import { ownDatabase } from '../subscriptions/support.js';

/**
 * Commit statuses end to end, per forge: PUT …/status with commitSha → commit_status row in the report's transaction →
 * the worker posts it to the fake forge (which checks bodies against the forge's description and records them).
 */
const github = new FakeGitHub();
const gitlab = new FakeGitLab();
const gitea = new FakeGitea();
const bitbucket = new FakeBitbucket();
const datacenter = new FakeBitbucketDatacenter();
const DC_TOKEN = 'BBDC-c3RhdHVzZXM6dG9rZW4tZm9yLXRlc3Rz';

interface ForgeCase {
  readonly label: string;
  readonly type: string;
  readonly repository: string;
  readonly statuses: FakeCommitStatuses;
  /** The field that carries the status name, and what running/done/error become on this forge. */
  readonly nameField: string;
  readonly states: { running: string; done: string; error: string };
  /** GitLab refuses a repeated pending/running state with 400 "Cannot transition status". */
  readonly refusesRepeats?: boolean;
  /** Fails this many requests so the worker's first attempt fails (GitHub's transport retries a 5xx twice itself). */
  readonly failuresPerAttempt: number;
  setup(t: TestApp, auth: Auth): Promise<{ providerId: string; secrets: string[] }>;
}

const CASES: ForgeCase[] = [
  {
    label: 'GitHub App',
    type: 'github',
    repository: 'acme/web',
    statuses: github.statuses,
    nameField: 'context',
    states: { running: 'pending', done: 'success', error: 'failure' },
    failuresPerAttempt: 3,
    async setup(t, auth) {
      const { providerId, webhookSecret } = await githubProvider(t, auth, github, [
        { owner: 'acme', name: 'web', branches: ['main'], id: 4242 },
      ]);
      return { providerId, secrets: [webhookSecret] };
    },
  },
  {
    label: 'GitLab',
    type: 'gitlab',
    repository: 'grp/app',
    statuses: gitlab.statuses,
    nameField: 'name',
    states: { running: 'running', done: 'success', error: 'failed' },
    refusesRepeats: true,
    failuresPerAttempt: 1,
    async setup(t, auth) {
      gitlab.addProject({ path: 'grp/app', defaultBranch: 'main', id: 77 });
      gitlab.setBranches('grp/app', ['main']);
      return { ...(await gitlabProvider(t, auth, gitlab)), secrets: [] };
    },
  },
  {
    label: 'Gitea/Forgejo',
    type: 'gitea',
    repository: 'acme/site',
    statuses: gitea.statuses,
    nameField: 'context',
    states: { running: 'pending', done: 'success', error: 'failure' },
    failuresPerAttempt: 1,
    async setup(t, auth) {
      gitea.setRepositories([{ owner: 'acme', name: 'site', defaultBranch: 'main', id: 55 }]);
      gitea.setBranches('acme/site', [{ name: 'main' }]);
      return { ...(await giteaProvider(t, auth, gitea)), secrets: [] };
    },
  },
  {
    label: 'Bitbucket Cloud',
    type: 'bitbucket',
    repository: 'team/api',
    statuses: bitbucket.statuses,
    nameField: 'key',
    states: { running: 'INPROGRESS', done: 'SUCCESSFUL', error: 'FAILED' },
    failuresPerAttempt: 1,
    async setup(t, auth) {
      bitbucket.setRepositories('team', [{ slug: 'api', uuid: '{5b1c4c7e-3f0a-4d55-8f43-3c1b8f2f9a10}' }]);
      bitbucket.setBranches('team/api', [{ name: 'main' }]);
      return { ...(await bitbucketProvider(t, auth, bitbucket, 'team')), secrets: [] };
    },
  },
  {
    label: 'Bitbucket Data Center',
    type: 'bitbucket-datacenter',
    repository: 'DEV/deploy',
    statuses: datacenter.statuses,
    nameField: 'key',
    states: { running: 'INPROGRESS', done: 'SUCCESSFUL', error: 'FAILED' },
    failuresPerAttempt: 1,
    async setup(t, auth) {
      datacenter.addToken(DC_TOKEN, 'REPO_ADMIN');
      datacenter.setRepositories([{ slug: 'deploy', project: 'DEV', id: 1684, defaultBranch: 'main' }]);
      datacenter.setBranches('DEV/deploy', [{ name: 'main' }]);
      const res = await t.api
        .post('/v1/git-providers/bitbucket-datacenter')
        .set(auth)
        .send({ name: `DC ${randomBytes(3).toString('hex')}`, serverUrl: datacenter.serverUrl, token: DC_TOKEN });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return { providerId: res.body.id as string, secrets: [DC_TOKEN] };
    },
  },
];

const sha = (label: string): string =>
  createHash('sha1')
    .update(`${label}-${randomBytes(4).toString('hex')}`)
    .digest('hex');
// A database of its own: every test app runs a commit-status worker, and another file's would claim this file's rows
// (with its own backoff and attempt limit) and blur what each test controls.
let database: Awaited<ReturnType<typeof ownDatabase>>;
let pool: pg.Pool;

interface Row {
  state: string;
  outcome: string;
  attempts: number;
  last_error: string | null;
  commit_sha: string;
}
const rowsOf = async (serviceId: string): Promise<Row[]> =>
  (
    await pool.query<Row>(
      'select state, outcome, attempts, last_error, commit_sha from commit_status where service_id = $1 order by sequence',
      [serviceId],
    )
  ).rows;

async function until<T>(what: string, read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let t: TestApp;
let owner: { auth: Auth };
let stranger: { auth: Auth };
const secrets: string[] = [];

beforeAll(async () => {
  await Promise.all([github.start(), gitlab.start(), gitea.start(), bitbucket.start(), datacenter.start()]);
  database = await ownDatabase('commit_statuses');
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  t = await startTestApp(
    { bitbucketApiUrl: bitbucket.apiUrl, databaseUrl: database.url },
    { commitStatuses: { pollIntervalMs: 50, retryBaseMs: 20, retryMaxMs: 200, maxAttempts: 6 } },
  );
  owner = (await seedOrganization(t.app, 'Statuses')).owner;
  stranger = (await seedOrganization(t.app, 'Elsewhere')).owner;
});

afterAll(async () => {
  await t?.close();
  await pool?.end();
  await database?.drop();
  await Promise.all([github.stop(), gitlab.stop(), gitea.stop(), bitbucket.stop(), datacenter.stop()]);
});

describe.each(CASES)('e2e commit statuses: $label', (c) => {
  const serviceId = `st-${randomBytes(4).toString('hex')}`;
  const name = `forgelink/application/${serviceId}`;
  let providerId: string;
  const report = (body: Record<string, unknown>, auth = owner.auth) =>
    t.api.put(`/v1/services/application/${serviceId}/status`).set(auth).send(body);
  const commit = (label: string): string => {
    const id = sha(label);
    c.statuses.addCommit(c.repository, id);
    return id;
  };
  const states = (commitSha: string): string[] => c.statuses.on(c.repository, commitSha).map((p) => String(p.body['state']));

  beforeAll(async () => {
    const set = await c.setup(t, owner.auth);
    providerId = set.providerId;
    secrets.push(...set.secrets);
    await connect(t, owner.auth, serviceId, { providerId, repository: c.repository, branch: 'main' });
  });

  it('posts each state mapped to the forge’s own, named forgelink/<type>/<id>, and the source says it is ok', async () => {
    const first = commit('first');
    const res = await report({ status: 'running', commitSha: first, targetUrl: 'https://deploy.example/runs/1', description: 'Deploying' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.status).toBe('running');
    await until(
      'running posted',
      () => states(first),
      (s) => s.length === 1,
    );
    expect(await report({ status: 'done', commitSha: first }).then((r) => r.status)).toBe(200);
    await until(
      'done posted',
      () => states(first),
      (s) => s.length === 2,
    );
    expect(states(first)).toEqual([c.states.running, c.states.done]);
    const [posted] = c.statuses.on(c.repository, first);
    expect(posted?.body[c.nameField]).toBe(name);
    expect(JSON.stringify(posted?.body)).toContain('Deploying');
    if (c.type !== 'bitbucket' && c.type !== 'bitbucket-datacenter')
      expect(posted?.body['target_url']).toBe('https://deploy.example/runs/1');
    else expect(posted?.body['url']).toBe('https://deploy.example/runs/1');

    const second = commit('second');
    await report({ status: 'error', commitSha: second });
    await until(
      'error posted',
      () => states(second),
      (s) => s.length === 1,
    );
    expect(states(second)).toEqual([c.states.error]);
    // Bitbucket requires a link: without targetUrl it gets DASHBOARD_URL.
    if (c.type.startsWith('bitbucket'))
      expect(c.statuses.on(c.repository, second)[0]?.body['url']).toBe('http://dashboard.test/integrations');
    expect(c.statuses.invalid).toEqual([]);

    const source = await t.api.get(`/v1/services/application/${serviceId}/source`).set(owner.auth);
    expect(source.body.statusReporting).toMatchObject({ state: 'ok' });
    expect(Date.parse(source.body.statusReporting.lastPostedAt as string)).toBeGreaterThan(Date.now() - 60_000);
    expect((await rowsOf(serviceId)).every((r) => r.outcome === 'posted')).toBe(true);
  });

  it('retries after 5xx answers with backoff, then posts', async () => {
    const id = commit('retry');
    c.statuses.fail(503, c.failuresPerAttempt * 2);
    const before = c.statuses.requests;
    await report({ status: 'done', commitSha: id });
    const row = await until(
      'posted after retries',
      async () => (await rowsOf(serviceId)).find((r) => r.commit_sha === id),
      (r) => r?.outcome === 'posted',
    );
    expect(states(id)).toEqual([c.states.done]);
    expect(row).toMatchObject({ outcome: 'posted', attempts: 3 });
    expect(c.statuses.requests - before).toBe(c.failuresPerAttempt * 2 + 1);
  });

  it('a 429 with Retry-After is honoured: the next attempt waits the forge’s seconds, not the shorter backoff', async () => {
    const id = commit('rate');
    const before = c.statuses.requestTimes.length;
    // The test app's backoff is 20 ms; a Retry-After of 1 s must win.
    c.statuses.fail(429, 1, { 'retry-after': '1' });
    await report({ status: 'done', commitSha: id });
    const waiting = await until(
      'the rate-limited attempt settled',
      async () =>
        (
          await pool.query<{ outcome: string; attempts: number; last_error: string | null; next_attempt_at: Date }>(
            'select outcome, attempts, last_error, next_attempt_at from commit_status where service_id = $1 and commit_sha = $2',
            [serviceId, id],
          )
        ).rows[0],
      (r) => (r?.attempts ?? 0) >= 1,
    );
    const first = c.statuses.requestTimes[before]!;
    expect(waiting).toMatchObject({ outcome: 'pending', attempts: 1 });
    expect(waiting?.last_error).toMatch(/rate-limited/);
    expect((waiting?.next_attempt_at.getTime() ?? 0) - first).toBeGreaterThanOrEqual(1_000);
    const row = await until(
      'posted after Retry-After',
      async () => (await rowsOf(serviceId)).find((r) => r.commit_sha === id),
      (r) => r?.outcome === 'posted',
    );
    expect(row?.attempts).toBe(2);
    expect(c.statuses.requestTimes.length - before).toBe(2);
    expect(c.statuses.requestTimes[before + 1]! - first).toBeGreaterThanOrEqual(1_000);
    expect(states(id)).toEqual([c.states.done]);
  });

  it('5xx on every attempt: `failed` after maxAttempts, the source says failing with the reason, no further attempts', async () => {
    const id = commit('exhausted');
    const maxAttempts = t.app.commitStatuses.maxAttempts;
    const before = c.statuses.requests;
    // Every request of every attempt fails (GitHub's transport itself tries 3 times per attempt); spare ones are dropped.
    c.statuses.fail(502, c.failuresPerAttempt * maxAttempts + 5);
    try {
      await report({ status: 'done', commitSha: id });
      const row = await until(
        'given up',
        async () => (await rowsOf(serviceId)).find((r) => r.commit_sha === id),
        (r) => r?.outcome !== 'pending',
      );
      expect(row).toMatchObject({ outcome: 'failed', attempts: maxAttempts });
      expect(row?.last_error).toMatch(new RegExp(`502.*gave up after ${maxAttempts} attempts`));
      expect(c.statuses.requests - before).toBe(c.failuresPerAttempt * maxAttempts);
    } finally {
      c.statuses.clearFailures();
    }
    const requests = c.statuses.requests;
    await new Promise((r) => setTimeout(r, 400));
    expect(c.statuses.requests).toBe(requests);
    expect(states(id)).toEqual([]);
    const source = await t.api.get(`/v1/services/application/${serviceId}/source`).set(owner.auth);
    expect(source.body.statusReporting).toMatchObject({ state: 'failing' });
    expect(source.body.statusReporting.reason).toMatch(new RegExp(`502.*gave up after ${maxAttempts} attempts`));
    // The last successful post is still said.
    expect(typeof source.body.statusReporting.lastPostedAt).toBe('string');
    const provider = await t.api.get(`/v1/git-providers/${providerId}`).set(owner.auth);
    expect(provider.body.status).toBe('ready');
  });

  it('a 403 (missing permission) is `forbidden` on the source, not retried, and the provider stays ready', async () => {
    const id = commit('forbidden');
    c.statuses.deny(c.repository);
    try {
      await report({ status: 'done', commitSha: id });
      const row = await until(
        'forbidden',
        async () => (await rowsOf(serviceId)).find((r) => r.commit_sha === id),
        (r) => r?.outcome === 'forbidden',
      );
      expect(row?.attempts).toBe(1);
      const requests = c.statuses.requests;
      await new Promise((r) => setTimeout(r, 400));
      expect(c.statuses.requests).toBe(requests);
      expect(states(id)).toEqual([]);
      const source = await t.api.get(`/v1/services/application/${serviceId}/source`).set(owner.auth);
      expect(source.body.statusReporting).toMatchObject({ state: 'forbidden' });
      expect(source.body.statusReporting.reason).toMatch(/403/);
      const provider = await t.api.get(`/v1/git-providers/${providerId}`).set(owner.auth);
      expect(provider.body.status).toBe('ready');
    } finally {
      c.statuses.deny(c.repository, false);
    }
  });

  it('an unknown commit is `failed` at once, not retried for ever', async () => {
    const id = sha('unknown');
    await report({ status: 'done', commitSha: id });
    const row = await until(
      'failed',
      async () => (await rowsOf(serviceId)).find((r) => r.commit_sha === id),
      (r) => r?.outcome === 'failed',
    );
    expect(row?.attempts).toBe(1);
  });

  it('keeps report order: "running" reported before "done" but not yet posted is superseded; the forge ends with success', async () => {
    const id = commit('order');
    await t.app.commitStatuses.stop();
    try {
      await report({ status: 'running', commitSha: id });
      await report({ status: 'done', commitSha: id });
    } finally {
      t.app.commitStatuses.start();
    }
    await until(
      'done posted',
      () => states(id),
      (s) => s.length >= 1,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(states(id)).toEqual([c.states.done]);
    expect((await rowsOf(serviceId)).filter((r) => r.commit_sha === id).map((r) => r.outcome)).toEqual(['superseded', 'posted']);
  });

  it('a late "running" still failing when "done" arrives is never posted after it', async () => {
    const id = commit('late');
    // The forge fails every post until "done" has been reported: "running" keeps failing and waits for its retry.
    c.statuses.fail(503, 1_000);
    try {
      await report({ status: 'running', commitSha: id });
      await until(
        'the running attempt failed',
        async () => (await rowsOf(serviceId)).find((r) => r.commit_sha === id),
        (r) => (r?.attempts ?? 0) >= 1,
      );
      await report({ status: 'done', commitSha: id });
    } finally {
      c.statuses.clearFailures();
    }
    await until(
      'done posted',
      () => states(id),
      (s) => s.includes(c.states.done),
    );
    await new Promise((r) => setTimeout(r, 300));
    const posted = states(id);
    expect(posted.at(-1)).toBe(c.states.done);
    // A running attempt already in flight when done arrived may land, but only before done (one post per key at a time).
    expect(posted.lastIndexOf(c.states.running)).toBeLessThan(posted.indexOf(c.states.done));
    expect(posted.filter((s) => s === c.states.done)).toHaveLength(1);
  });

  it('a repeated report is not an error and does not block the next one', async () => {
    const id = commit('repeat');
    await report({ status: 'running', commitSha: id });
    await until(
      'first running',
      () => states(id),
      (s) => s.length === 1,
    );
    await report({ status: 'running', commitSha: id });
    await until(
      'second running handled',
      async () => (await rowsOf(serviceId)).filter((r) => r.commit_sha === id),
      (rows) => rows.length === 2 && rows.every((r) => r.outcome === 'posted'),
    );
    // GitLab refused the repeat ("Cannot transition status via :run from :running"): it counts as posted.
    expect(states(id)).toEqual(c.refusesRepeats ? [c.states.running] : [c.states.running, c.states.running]);
    await report({ status: 'done', commitSha: id });
    await until(
      'done after the repeat',
      () => states(id),
      (s) => s.at(-1) === c.states.done,
    );
  });

  it('two instances working the same rows never post one twice (SKIP LOCKED claims)', async () => {
    const second = await startTestApp(
      { bitbucketApiUrl: bitbucket.apiUrl, databaseUrl: database.url },
      { startRelay: false, commitStatuses: { retryBaseMs: 20 } },
    );
    const ids = Array.from({ length: 6 }, (_, i) => commit(`pair-${i}`));
    await t.app.commitStatuses.stop();
    try {
      for (const id of ids) await report({ status: 'done', commitSha: id });
      // Both instances work the rows side by side until every commit has its status (a failed attempt waits for its
      // backoff, so rounds go on until a deadline rather than for a fixed count).
      const deadline = Date.now() + 15_000;
      while (!ids.every((id) => states(id).length > 0) && Date.now() < deadline) {
        await Promise.all([t.app.commitStatuses.runOnce(), second.app.commitStatuses.runOnce()]);
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      t.app.commitStatuses.start();
      await second.close();
    }
    const rows = (await rowsOf(serviceId)).filter((r) => ids.includes(r.commit_sha));
    for (const id of ids) expect(states(id), `${id}: ${JSON.stringify(rows.filter((r) => r.commit_sha === id))}`).toEqual([c.states.done]);
  });

  it('a member of another organisation gets 404 and nothing is written or posted', async () => {
    const id = commit('stranger');
    const rows = (await rowsOf(serviceId)).length;
    const requests = c.statuses.requests;
    const res = await report({ status: 'done', commitSha: id }, stranger.auth);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
    await new Promise((r) => setTimeout(r, 200));
    expect((await rowsOf(serviceId)).length).toBe(rows);
    expect(c.statuses.requests).toBe(requests);
  });

  it('bad input is 400 VALIDATION_FAILED and nothing is written', async () => {
    const rows = (await rowsOf(serviceId)).length;
    const status = (await t.api.get(`/v1/services/application/${serviceId}/source`).set(owner.auth)).body.status as string;
    for (const body of [
      { status: 'done', commitSha: 'abc123' },
      { status: 'done', commitSha: 'g'.repeat(40) },
      { status: 'done', commitSha: sha('x'), targetUrl: 'javascript:alert(1)' },
      { status: 'done', commitSha: sha('x'), targetUrl: `https://e.example/${'a'.repeat(2_100)}` },
      { status: 'done', commitSha: sha('x'), targetUrl: 'https://deployer:hunter2@ci.example/run/1' },
      { status: 'done', commitSha: sha('x'), description: 'two\nlines' },
      { status: 'done', commitSha: sha('x'), description: 'x'.repeat(1_001) },
      { status: 'running', commitSha: sha('x'), description: '' },
    ]) {
      const res = await report(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    expect((await rowsOf(serviceId)).length).toBe(rows);
    expect((await t.api.get(`/v1/services/application/${serviceId}/source`).set(owner.auth)).body.status).toBe(status);
  });

  it('idle with a commit, and a report without one, post nothing', async () => {
    const id = commit('idle');
    const rows = (await rowsOf(serviceId)).length;
    expect((await report({ status: 'idle', commitSha: id })).status).toBe(200);
    expect((await report({ status: 'running' })).status).toBe(200);
    expect((await rowsOf(serviceId)).length).toBe(rows);
  });
});

describe('e2e commit statuses: operations', () => {
  it('counts outcomes in forgelink_commit_statuses_total and logs no secret', async () => {
    const metrics = await t.api.get('/metrics');
    expect(metrics.text).toMatch(/forgelink_commit_statuses_total\{forge="gitlab",outcome="posted"\} [1-9]/);
    expect(metrics.text).toMatch(/forgelink_commit_statuses_total\{forge="github",outcome="forbidden"\} 1/);
    expect(metrics.text).toMatch(/forgelink_commit_statuses_total\{forge="gitea",outcome="superseded"\} [1-9]/);
    const logs = t.logs();
    expect(logs).toContain('commit status not posted');
    for (const secret of secrets) expect(logs).not.toContain(secret);
    expect(logs).not.toMatch(/ATATT[0-9a-f]{8}/);
    expect(logs).not.toMatch(/Bearer [A-Za-z0-9]/);
  });
});
