import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Response } from 'supertest';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { bitbucketBody, expectProblem, giteaBody, githubBody, gitlabBody, privateKeyPem, secretString, uniqueName } from './support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;

const CIPHERTEXT = /^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const EMAIL = 'secrets@example.com';

/**
 * Every secret the API accepts goes in with a known value; afterwards none of them may appear in any
 * response, in any table's raw rows, or in the logs.
 */
describe('secrets never leak (real app, real PostgreSQL, fake Bitbucket)', () => {
  const fake = new FakeBitbucket();
  let t: TestApp;
  let org: Org;
  const responses: string[] = [];
  const s = {
    webhookSecret: secretString('gh-webhook'),
    githubClientSecret: secretString('gh-client'),
    gitlabSecret: secretString('gl-secret'),
    apiToken: secretString('ATATT'),
    appPassword: secretString('app-password'),
    giteaClientSecret: secretString('gitea-client'),
    // Replacements sent by PATCH (accepted and rejected ones alike).
    newWebhookSecret: secretString('gh-webhook-new'),
    newGitlabSecret: secretString('gl-secret-new'),
    newApiToken: secretString('ATATT-new'),
    staleGiteaSecret: secretString('gitea-stale'),
    rejectedSecret: secretString('rejected'),
  };
  const ids: Record<string, string> = {};
  /** The private key's body lines: any one of them in a text is a leak, whatever the escaping of newlines. */
  const pemLines = privateKeyPem()
    .split('\n')
    .filter((line) => line.length >= 40 && !line.startsWith('-----'));
  let hookSecret = '';

  const keep = (res: Response): Response => {
    responses.push(`${res.status} ${JSON.stringify(res.headers)} ${res.text}`);
    return res;
  };
  const needles = (): [string, string][] => [
    ...Object.entries(s),
    ...pemLines.map((line, i): [string, string] => [`privateKey line ${i}`, line]),
    ['hook secret', hookSecret],
    ['basic auth (api token)', Buffer.from(`${EMAIL}:${s.apiToken}`).toString('base64')],
    ['basic auth (new api token)', Buffer.from(`${EMAIL}:${s.newApiToken}`).toString('base64')],
  ];
  const expectClean = (where: string, text: string): void => {
    for (const [name, value] of needles()) expect(text.includes(value), `${name} appears in ${where}`).toBe(false);
  };

  beforeAll(async () => {
    await fake.start();
    fake.addApiToken(EMAIL, s.apiToken);
    fake.setRepositories('acme', [{ slug: 'api' }]);
    t = await startTestApp({ bitbucketApiUrl: fake.apiUrl });
    org = await seedOrganization(t.app, 'Secrets');
    privateKeyPem();
  });
  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });

  it('creating, reading, patching and sharing providers of all four types returns has* booleans only', async () => {
    const owner = org.owner.auth;
    const create = async (kind: string, body: Record<string, unknown>): Promise<string> => {
      const res = keep(await t.api.post(`/v1/git-providers/${kind}`).set(owner).send(body));
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    };
    ids.github = await create('github', githubBody({ webhookSecret: s.webhookSecret, clientSecret: s.githubClientSecret }));
    ids.gitlab = await create('gitlab', gitlabBody({ secret: s.gitlabSecret }));
    ids.bitbucket = await create('bitbucket', bitbucketBody({ email: EMAIL, apiToken: s.apiToken }));
    ids.legacy = await create(
      'bitbucket',
      bitbucketBody({ name: uniqueName('legacy'), email: undefined, apiToken: undefined, appPassword: s.appPassword }),
    );
    ids.gitea = await create('gitea', giteaBody({ clientSecret: s.giteaClientSecret }));

    for (const id of Object.values(ids)) {
      keep(await t.api.put(`/v1/git-providers/${id}/sharing`).set(owner).send({ sharedWithOrganization: true }));
      for (const who of [org.owner, org.admin, org.member])
        expect(keep(await t.api.get(`/v1/git-providers/${id}`).set(who.auth)).status).toBe(200);
    }
    for (const type of ['', 'github', 'gitlab', 'bitbucket', 'gitea']) {
      const res = keep(
        await t.api
          .get('/v1/git-providers')
          .query(type ? { type } : {})
          .set(org.member.auth),
      );
      expect(res.status).toBe(200);
    }
    const patched = [
      keep(
        await t.api
          .patch(`/v1/git-providers/${ids.github}/github`)
          .set(owner)
          .send({ webhookSecret: s.newWebhookSecret, privateKey: privateKeyPem(), expectedVersion: 2 }),
      ),
      keep(await t.api.patch(`/v1/git-providers/${ids.gitlab}/gitlab`).set(owner).send({ secret: s.newGitlabSecret })),
      keep(await t.api.patch(`/v1/git-providers/${ids.bitbucket}/bitbucket`).set(owner).send({ apiToken: s.newApiToken })),
    ];
    for (const res of patched) expect(res.status, res.text).toBe(200);
    expect(patched[0]?.body.github).toMatchObject({ hasPrivateKey: true, hasWebhookSecret: true, hasClientSecret: true });
    expect(patched[2]?.body.bitbucket).toMatchObject({ hasCredentials: true, authMethod: 'api_token' });
    // Back to the token the fake knows, for the forge calls below.
    expect(keep(await t.api.patch(`/v1/git-providers/${ids.bitbucket}/bitbucket`).set(owner).send({ apiToken: s.apiToken })).status).toBe(
      200,
    );
    for (const res of responses)
      expect(res).not.toMatch(/"(privateKey|webhookSecret|clientSecret|secret|apiToken|appPassword|accessToken|refreshToken)"/);
  });

  it('error responses carry no secret either', async () => {
    const owner = org.owner.auth;
    expectProblem(
      keep(
        await t.api.patch(`/v1/git-providers/${ids.gitea}/gitea`).set(owner).send({ clientSecret: s.staleGiteaSecret, expectedVersion: 1 }),
      ),
      409,
      'CONFLICT',
    );
    expectProblem(
      keep(await t.api.patch(`/v1/git-providers/${ids.gitea}/gitlab`).set(owner).send({ secret: s.rejectedSecret })),
      404,
      'NOT_FOUND',
    );
    expectProblem(
      keep(
        await t.api
          .post('/v1/git-providers/gitea')
          .set(owner)
          .send(
            giteaBody({
              name: (await t.api.get(`/v1/git-providers/${ids.gitea}`).set(owner)).body.name as string,
              clientSecret: s.rejectedSecret,
            }),
          ),
      ),
      409,
      'CONFLICT',
    );
    expectProblem(
      keep(
        await t.api
          .post('/v1/git-providers/github')
          .set(org.member.auth)
          .send(githubBody({ webhookSecret: s.rejectedSecret })),
      ),
      403,
      'UNAUTHORIZED',
    );
    expectProblem(
      keep(
        await t.api
          .post('/v1/git-providers/bitbucket')
          .set(owner)
          .send(bitbucketBody({ apiToken: s.rejectedSecret, appPassword: s.rejectedSecret })),
      ),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      keep(
        await t.api
          .post('/v1/git-providers/gitea')
          .set(owner)
          .send(giteaBody({ giteaUrl: `http://jdoe:${s.rejectedSecret}@127.0.0.1:9`, clientSecret: s.rejectedSecret })),
      ),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      keep(
        await t.api
          .post('/v1/git-providers/github')
          .set(owner)
          .send(githubBody({ privateKey: `-----BEGIN PRIVATE KEY-----\n${s.rejectedSecret}`, appId: s.rejectedSecret })),
      ),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      keep(
        await t.api
          .post('/v1/git-providers/gitlab')
          .set(owner)
          .set('Content-Type', 'application/json')
          .send(`{"secret": "${s.rejectedSecret}", `),
      ),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      keep(
        await t.api
          .post('/v1/git-providers/gitlab')
          .set(owner)
          .send(gitlabBody({ secret: `${s.rejectedSecret}${'x'.repeat(1_100_000)}` })),
      ),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expectProblem(
      keep(
        await t.api
          .patch(`/v1/git-providers/${ids.gitlab}/gitlab`)
          .set(`Authorization`, `Bearer ${s.rejectedSecret}`)
          .send({ secret: s.rejectedSecret }),
      ),
      401,
      'UNAUTHENTICATED',
    );
    // Forge-facing calls, failing and succeeding: credentials go to the forge only.
    expectProblem(keep(await t.api.post(`/v1/git-providers/${ids.gitlab}/test-connection`).set(owner)), 422, 'PROVIDER_NOT_READY');
    const legacy = keep(await t.api.post(`/v1/git-providers/${ids.legacy}/test-connection`).set(owner));
    expect(legacy.status, legacy.text).toBeGreaterThanOrEqual(400);
    const github = keep(await t.api.get(`/v1/git-providers/${ids.github}/repositories`).set(owner));
    expect(github.status, github.text).toBeGreaterThanOrEqual(400);
    const ok = keep(await t.api.post(`/v1/git-providers/${ids.bitbucket}/test-connection`).set(owner));
    expect(ok.body).toEqual({ ok: true, repositoryCount: 1, message: 'Found 1 repositories' });
    expect(keep(await t.api.get(`/v1/git-providers/${ids.bitbucket}/branches`).query({ repository: 'acme/api' }).set(owner)).status).toBe(
      200,
    );
  });

  it('connecting a source stores the generated hook secret encrypted, and shows it nowhere', async () => {
    const res = keep(
      await t.api
        .put(`/v1/services/application/secrets-${randomUUID()}/source`)
        .set(org.owner.auth)
        .send({ providerId: ids.bitbucket, repository: 'acme/api', branch: 'main' }),
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.webhook).toMatchObject({ registered: true });
    hookSecret = fake.hooks('acme/api')[0]?.secret ?? '';
    expect(hookSecret.length).toBeGreaterThanOrEqual(16);
    keep(await t.api.get(`/v1/services/application/${res.body.serviceId as string}/source`).set(org.owner.auth));
    expect(keep(await t.api.delete(`/v1/git-providers/${ids.legacy}`).set(org.owner.auth)).status).toBe(204);
  });

  it('no secret appears in any response, in any table, or in the logs; the secrets column holds ciphertext', async () => {
    expect(responses.length).toBeGreaterThan(40);
    responses.forEach((text, i) => expectClean(`response #${i}`, text));

    const client = new pg.Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    try {
      const tables = (
        await client.query<{ table_name: string }>(
          "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
        )
      ).rows.map((r) => r.table_name);
      expect(tables).toEqual(
        expect.arrayContaining(['git_provider', 'repository_hook', 'outbox', 'service_source', 'member', 'webhook_delivery']),
      );
      for (const table of tables) {
        const rows = (await client.query(`select * from "${table}"`)).rows;
        expectClean(`table ${table}`, JSON.stringify(rows));
      }

      const providers = (
        await client.query<{ id: string; secrets: string }>('select id, secrets from git_provider where organization_id = $1', [
          org.organizationId,
        ])
      ).rows;
      const byId = new Map(providers.map((p) => [p.id, JSON.parse(p.secrets) as Record<string, string>]));
      const expected: Record<string, string[]> = {
        github: ['clientSecret', 'privateKey', 'webhookSecret'],
        gitlab: ['clientSecret'],
        bitbucket: ['apiToken'],
        gitea: ['clientSecret'],
      };
      for (const [kind, names] of Object.entries(expected)) {
        const stored = byId.get(ids[kind] ?? '');
        expect(Object.keys(stored ?? {}).sort(), kind).toEqual(names);
        for (const value of Object.values(stored ?? {})) expect(value).toMatch(CIPHERTEXT);
      }
      const hooks = (await client.query<{ secret: string }>('select secret from repository_hook where provider_id = $1', [ids.bitbucket]))
        .rows;
      expect(hooks).toHaveLength(1);
      expect(hooks[0]?.secret).toMatch(CIPHERTEXT);
    } finally {
      await client.end();
    }

    const logs = t.logs();
    expect(logs).toContain('"msg":"request"');
    expectClean('the logs', logs);
  });
});
