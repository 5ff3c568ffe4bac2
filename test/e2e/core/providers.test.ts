import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import {
  bitbucketBody,
  bodyFor,
  expectProblem,
  GITEA_URL,
  GITHUB_URL,
  GITLAB_URL,
  githubBody,
  gitlabBody,
  giteaBody,
  KINDS,
  uniqueName,
} from './support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('git providers API (real app, real PostgreSQL)', () => {
  let t: TestApp;
  let org: Org;

  beforeAll(async () => {
    t = await startTestApp();
    org = await seedOrganization(t.app, 'Providers');
  });
  afterAll(async () => {
    await t?.close();
  });

  const base = (id: string, name: string, by: Org['owner'], status: string) => ({
    id,
    name,
    organizationId: org.organizationId,
    createdBy: by.userId,
    isCreator: true,
    sharedWithOrganization: false,
    createdAt: expect.stringMatching(ISO),
    status,
    version: 1,
  });

  describe('create, get and list', () => {
    it('creates a GitHub provider with integer appId/installationId and has* booleans, never the secrets', async () => {
      const body = githubBody();
      const res = await t.api.post('/v1/git-providers/github').set(org.owner.auth).send(body);
      expect(res.status, res.text).toBe(201);
      const id = res.body.id as string;
      expect(id).toMatch(UUID);
      expect(res.body).toEqual({
        ...base(id, body.name as string, org.owner, 'ready'),
        type: 'github',
        github: {
          githubUrl: GITHUB_URL,
          appId: 123456,
          installationId: 7890123,
          clientId: 'Iv1.0123456789abcdef',
          webhookUrl: `http://forgelink.test/v1/webhooks/${id}`,
          hasPrivateKey: true,
          hasWebhookSecret: true,
          hasClientSecret: true,
        },
      });
      const got = await t.api.get(`/v1/git-providers/${id}`).set(org.owner.auth);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(res.body);
    });

    it('a GitHub provider without an installation id is pending_installation; without a client secret hasClientSecret is false', async () => {
      const { installationId: _i, clientSecret: _c, clientId: _d, ...body } = githubBody();
      const res = await t.api.post('/v1/git-providers/github').set(org.admin.auth).send(body);
      expect(res.status, res.text).toBe(201);
      expect(res.body.status).toBe('pending_installation');
      expect(res.body.createdBy).toBe(org.admin.userId);
      expect(res.body.github).toEqual({
        githubUrl: GITHUB_URL,
        appId: 123456,
        webhookUrl: `http://forgelink.test/v1/webhooks/${res.body.id}`,
        hasPrivateKey: true,
        hasWebhookSecret: true,
        hasClientSecret: false,
      });
    });

    it('creates a GitLab provider: pending_authorization, the default redirectUri, and an authorizeUrl', async () => {
      const body = gitlabBody({ groupName: 'acme/platform' });
      const res = await t.api.post('/v1/git-providers/gitlab').set(org.owner.auth).send(body);
      expect(res.status, res.text).toBe(201);
      const id = res.body.id as string;
      const { authorizeUrl, ...summary } = res.body as Record<string, unknown>;
      expect(summary).toEqual({
        ...base(id, body.name as string, org.owner, 'pending_authorization'),
        type: 'gitlab',
        gitlab: {
          gitlabUrl: GITLAB_URL,
          applicationId: 'app-0123456789',
          redirectUri: 'http://forgelink.test/v1/callbacks/gitlab',
          groupName: 'acme/platform',
          hasSecret: true,
          hasTokens: false,
        },
      });
      const url = new URL(authorizeUrl as string);
      expect(`${url.origin}${url.pathname}`).toBe(`${GITLAB_URL}/oauth/authorize`);
      expect(url.searchParams.get('client_id')).toBe('app-0123456789');
      expect(url.searchParams.get('redirect_uri')).toBe('http://forgelink.test/v1/callbacks/gitlab');
      expect(url.searchParams.get('response_type')).toBe('code');
      expect(url.searchParams.get('state')).toBeTruthy();
      expect((await t.api.get(`/v1/git-providers/${id}`).set(org.owner.auth)).body).toEqual(summary);

      const again = await t.api.get(`/v1/git-providers/${id}/authorize-url`).set(org.owner.auth);
      expect(again.status).toBe(200);
      expect(new URL(again.body.authorizeUrl as string).searchParams.get('client_id')).toBe('app-0123456789');
    });

    it('creates Bitbucket providers with an API token (preferred) and with a deprecated app password', async () => {
      const token = bitbucketBody();
      const res = await t.api.post('/v1/git-providers/bitbucket').set(org.owner.auth).send(token);
      expect(res.status, res.text).toBe(201);
      expect(res.body).toEqual({
        ...base(res.body.id as string, token.name as string, org.owner, 'ready'),
        type: 'bitbucket',
        bitbucket: {
          username: 'jdoe',
          email: 'jdoe@example.com',
          workspace: 'acme',
          authMethod: 'api_token',
          hasCredentials: true,
          deprecatedAuth: false,
        },
      });

      const password = { name: uniqueName('Bitbucket legacy'), username: 'jdoe', workspace: 'acme', appPassword: 'app-password-123' };
      const legacy = await t.api.post('/v1/git-providers/bitbucket').set(org.owner.auth).send(password);
      expect(legacy.status, legacy.text).toBe(201);
      expect(legacy.body.bitbucket).toEqual({
        username: 'jdoe',
        workspace: 'acme',
        authMethod: 'app_password',
        hasCredentials: true,
        deprecatedAuth: true,
      });
    });

    it('creates a Gitea provider with an authorizeUrl on the instance', async () => {
      const body = giteaBody();
      const res = await t.api.post('/v1/git-providers/gitea').set(org.owner.auth).send(body);
      expect(res.status, res.text).toBe(201);
      const { authorizeUrl, ...summary } = res.body as Record<string, unknown>;
      expect(summary).toEqual({
        ...base(res.body.id as string, body.name as string, org.owner, 'pending_authorization'),
        type: 'gitea',
        gitea: {
          giteaUrl: GITEA_URL,
          clientId: 'gitea-client-0123',
          redirectUri: 'http://forgelink.test/v1/callbacks/gitea',
          hasClientSecret: true,
          hasTokens: false,
        },
      });
      const url = new URL(authorizeUrl as string);
      expect(`${url.origin}${url.pathname}`).toBe(`${GITEA_URL}/login/oauth/authorize`);
      expect(url.searchParams.get('client_id')).toBe('gitea-client-0123');
      expect(url.searchParams.get('state')).toBeTruthy();
    });

    it('lists the visible providers, filtered by ?type=', async () => {
      const own = await seedOrganization(t.app, 'List');
      const ids: Record<string, string> = {};
      for (const kind of KINDS) {
        const res = await t.api.post(`/v1/git-providers/${kind}`).set(own.owner.auth).send(bodyFor[kind]());
        expect(res.status, res.text).toBe(201);
        ids[kind] = res.body.id as string;
      }
      const all = await t.api.get('/v1/git-providers').set(own.owner.auth);
      expect(all.status).toBe(200);
      expect(Object.keys(all.body)).toEqual(['items']);
      expect((all.body.items as { id: string }[]).map((p) => p.id).sort()).toEqual(Object.values(ids).sort());
      for (const kind of KINDS) {
        const filtered = await t.api.get('/v1/git-providers').query({ type: kind }).set(own.owner.auth);
        expect(filtered.status).toBe(200);
        expect(filtered.body.items).toHaveLength(1);
        expect(filtered.body.items[0]).toMatchObject({ id: ids[kind], type: kind, [kind]: expect.any(Object) });
        // The list carries the same summary as GET /{id}.
        expect(filtered.body.items[0]).toEqual((await t.api.get(`/v1/git-providers/${ids[kind]}`).set(own.owner.auth)).body);
      }
    });
  });

  describe('PATCH per type', () => {
    it('GitHub: updates integers and name, bumps the version, rejects a stale expectedVersion and the wrong type path', async () => {
      const created = (await t.api.post('/v1/git-providers/github').set(org.owner.auth).send(githubBody())).body as {
        id: string;
        version: number;
      };
      const name = uniqueName('GitHub renamed');
      const res = await t.api
        .patch(`/v1/git-providers/${created.id}/github`)
        .set(org.owner.auth)
        .send({ name, appId: 222, installationId: 333, expectedVersion: created.version });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({
        id: created.id,
        name,
        version: created.version + 1,
        status: 'ready',
        github: { appId: 222, installationId: 333, hasPrivateKey: true },
      });
      expect((await t.api.get(`/v1/git-providers/${created.id}`).set(org.owner.auth)).body).toEqual(res.body);

      expectProblem(
        await t.api
          .patch(`/v1/git-providers/${created.id}/github`)
          .set(org.owner.auth)
          .send({ appId: 444, expectedVersion: created.version }),
        409,
        'CONFLICT',
      );
      expect((await t.api.get(`/v1/git-providers/${created.id}`).set(org.owner.auth)).body.github.appId).toBe(222);
      // Without expectedVersion the change applies (last writer wins).
      expect((await t.api.patch(`/v1/git-providers/${created.id}/github`).set(org.owner.auth).send({ appId: 555 })).body.github.appId).toBe(
        555,
      );
      // appId is an integer, never a string.
      expectProblem(
        await t.api.patch(`/v1/git-providers/${created.id}/github`).set(org.owner.auth).send({ appId: '555' }),
        400,
        'VALIDATION_FAILED',
      );
      for (const other of ['gitlab', 'bitbucket', 'gitea']) {
        expectProblem(
          await t.api
            .patch(`/v1/git-providers/${created.id}/${other}`)
            .set(org.owner.auth)
            .send({ name: uniqueName('x') }),
          404,
          'NOT_FOUND',
        );
      }
    });

    it('GitLab: sets and clears groupName, stale version → 409, wrong type path → 404', async () => {
      const created = (await t.api.post('/v1/git-providers/gitlab').set(org.owner.auth).send(gitlabBody())).body as {
        id: string;
        version: number;
      };
      const set = await t.api
        .patch(`/v1/git-providers/${created.id}/gitlab`)
        .set(org.owner.auth)
        .send({ groupName: 'acme/web', redirectUri: 'https://dash.example.com/cb', expectedVersion: 1 });
      expect(set.status, set.text).toBe(200);
      expect(set.body).toMatchObject({
        version: 2,
        gitlab: { groupName: 'acme/web', redirectUri: 'https://dash.example.com/cb', hasSecret: true },
      });
      const cleared = await t.api
        .patch(`/v1/git-providers/${created.id}/gitlab`)
        .set(org.owner.auth)
        .send({ groupName: null, expectedVersion: 2 });
      expect(cleared.status, cleared.text).toBe(200);
      expect(cleared.body.version).toBe(3);
      expect(cleared.body.gitlab).not.toHaveProperty('groupName');
      expectProblem(
        await t.api
          .patch(`/v1/git-providers/${created.id}/gitlab`)
          .set(org.owner.auth)
          .send({ name: uniqueName('x'), expectedVersion: 2 }),
        409,
        'CONFLICT',
      );
      expectProblem(await t.api.patch(`/v1/git-providers/${created.id}/github`).set(org.owner.auth).send({ appId: 1 }), 404, 'NOT_FOUND');
    });

    it('Bitbucket: switching to an app password flags deprecated auth; stale version → 409, wrong type path → 404', async () => {
      const created = (await t.api.post('/v1/git-providers/bitbucket').set(org.owner.auth).send(bitbucketBody())).body as { id: string };
      const res = await t.api
        .patch(`/v1/git-providers/${created.id}/bitbucket`)
        .set(org.owner.auth)
        .send({ appPassword: 'new-app-password', workspace: 'acme-two', expectedVersion: 1 });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({
        version: 2,
        bitbucket: { workspace: 'acme-two', authMethod: 'app_password', hasCredentials: true, deprecatedAuth: true },
      });
      expectProblem(
        await t.api
          .patch(`/v1/git-providers/${created.id}/bitbucket`)
          .set(org.owner.auth)
          .send({ workspace: 'acme-3', expectedVersion: 1 }),
        409,
        'CONFLICT',
      );
      expectProblem(
        await t.api.patch(`/v1/git-providers/${created.id}/gitea`).set(org.owner.auth).send({ clientId: 'x' }),
        404,
        'NOT_FOUND',
      );
    });

    it('Gitea: updates the client id, stale version → 409, wrong type path → 404', async () => {
      const created = (await t.api.post('/v1/git-providers/gitea').set(org.owner.auth).send(giteaBody())).body as { id: string };
      const res = await t.api
        .patch(`/v1/git-providers/${created.id}/gitea`)
        .set(org.owner.auth)
        .send({ clientId: 'gitea-client-new', expectedVersion: 1 });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ version: 2, gitea: { clientId: 'gitea-client-new', hasClientSecret: true, hasTokens: false } });
      expectProblem(
        await t.api.patch(`/v1/git-providers/${created.id}/gitea`).set(org.owner.auth).send({ clientId: 'other', expectedVersion: 1 }),
        409,
        'CONFLICT',
      );
      expectProblem(
        await t.api.patch(`/v1/git-providers/${created.id}/bitbucket`).set(org.owner.auth).send({ workspace: 'x' }),
        404,
        'NOT_FOUND',
      );
    });

    it('renaming onto an existing name is 409, an unknown id is 404', async () => {
      const a = (await t.api.post('/v1/git-providers/gitea').set(org.owner.auth).send(giteaBody())).body as { id: string; name: string };
      const b = (await t.api.post('/v1/git-providers/gitea').set(org.owner.auth).send(giteaBody())).body as { id: string };
      expectProblem(await t.api.patch(`/v1/git-providers/${b.id}/gitea`).set(org.owner.auth).send({ name: a.name }), 409, 'CONFLICT');
      expectProblem(
        await t.api.patch('/v1/git-providers/0190f3a4-0000-7000-8000-000000000000/gitea').set(org.owner.auth).send({ clientId: 'x' }),
        404,
        'NOT_FOUND',
      );
    });
  });

  describe('sharing and removal', () => {
    it('only the creator toggles sharing; each toggle bumps the version', async () => {
      const created = (await t.api.post('/v1/git-providers/bitbucket').set(org.owner.auth).send(bitbucketBody())).body as { id: string };
      const shared = await t.api.put(`/v1/git-providers/${created.id}/sharing`).set(org.owner.auth).send({ sharedWithOrganization: true });
      expect(shared.status, shared.text).toBe(200);
      expect(shared.body).toMatchObject({
        id: created.id,
        sharedWithOrganization: true,
        version: 2,
        isCreator: true,
        bitbucket: { hasCredentials: true },
      });
      expectProblem(
        await t.api.put(`/v1/git-providers/${created.id}/sharing`).set(org.admin.auth).send({ sharedWithOrganization: false }),
        403,
        'UNAUTHORIZED',
      );
      expectProblem(
        await t.api.put(`/v1/git-providers/${created.id}/sharing`).set(org.member.auth).send({ sharedWithOrganization: false }),
        403,
        'UNAUTHORIZED',
      );
      expect((await t.api.get(`/v1/git-providers/${created.id}`).set(org.owner.auth)).body.sharedWithOrganization).toBe(true);
      const unshared = await t.api
        .put(`/v1/git-providers/${created.id}/sharing`)
        .set(org.owner.auth)
        .send({ sharedWithOrganization: false });
      expect(unshared.body).toMatchObject({ sharedWithOrganization: false, version: 3 });
      expectProblem(
        await t.api.put(`/v1/git-providers/${created.id}/sharing`).set(org.owner.auth).send({ sharedWithOrganization: 'yes' }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await t.api
          .put('/v1/git-providers/0190f3a4-0000-7000-8000-000000000001/sharing')
          .set(org.owner.auth)
          .send({ sharedWithOrganization: true }),
        404,
        'NOT_FOUND',
      );
    });

    it('DELETE answers 204 with no body; the provider is then gone (404 on get, delete, patch)', async () => {
      const created = (await t.api.post('/v1/git-providers/gitlab').set(org.admin.auth).send(gitlabBody())).body as { id: string };
      const res = await t.api.delete(`/v1/git-providers/${created.id}`).set(org.admin.auth);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectProblem(await t.api.get(`/v1/git-providers/${created.id}`).set(org.admin.auth), 404, 'NOT_FOUND');
      expectProblem(await t.api.delete(`/v1/git-providers/${created.id}`).set(org.admin.auth), 404, 'NOT_FOUND');
      expectProblem(
        await t.api.patch(`/v1/git-providers/${created.id}/gitlab`).set(org.admin.auth).send({ secret: 'x' }),
        404,
        'NOT_FOUND',
      );
      expect(((await t.api.get('/v1/git-providers').set(org.admin.auth)).body.items as { id: string }[]).map((p) => p.id)).not.toContain(
        created.id,
      );
    });

    it('an owner removes a provider an admin created (owners/admins manage every provider)', async () => {
      const created = (await t.api.post('/v1/git-providers/gitea').set(org.admin.auth).send(giteaBody())).body as { id: string };
      expect((await t.api.delete(`/v1/git-providers/${created.id}`).set(org.owner.auth)).status).toBe(204);
    });
  });

  describe('visibility', () => {
    it('a member does not see an unshared provider; sees it once shared; owners and admins see all', async () => {
      const own = await seedOrganization(t.app, 'Visibility');
      const created = (await t.api.post('/v1/git-providers/github').set(own.admin.auth).send(githubBody())).body as { id: string };
      const listIds = async (who: Org['owner']) =>
        ((await t.api.get('/v1/git-providers').set(who.auth)).body.items as { id: string }[]).map((p) => p.id);

      for (const m of [own.member, own.other]) {
        expectProblem(await t.api.get(`/v1/git-providers/${created.id}`).set(m.auth), 404, 'NOT_FOUND');
        expect(await listIds(m)).not.toContain(created.id);
        expectProblem(await t.api.patch(`/v1/git-providers/${created.id}/github`).set(m.auth).send({ appId: 9 }), 404, 'NOT_FOUND');
        expectProblem(await t.api.delete(`/v1/git-providers/${created.id}`).set(m.auth), 404, 'NOT_FOUND');
        expectProblem(
          await t.api.put(`/v1/git-providers/${created.id}/sharing`).set(m.auth).send({ sharedWithOrganization: true }),
          404,
          'NOT_FOUND',
        );
        expectProblem(await t.api.get(`/v1/git-providers/${created.id}/repositories`).set(m.auth), 404, 'NOT_FOUND');
      }
      const ownerView = await t.api.get(`/v1/git-providers/${created.id}`).set(own.owner.auth);
      expect(ownerView.status).toBe(200);
      expect(ownerView.body).toMatchObject({ isCreator: false, createdBy: own.admin.userId });
      expect(await listIds(own.owner)).toContain(created.id);
      expect(await listIds(own.admin)).toContain(created.id);

      expect(
        (await t.api.put(`/v1/git-providers/${created.id}/sharing`).set(own.admin.auth).send({ sharedWithOrganization: true })).status,
      ).toBe(200);
      const memberView = await t.api.get(`/v1/git-providers/${created.id}`).set(own.member.auth);
      expect(memberView.status).toBe(200);
      expect(memberView.body).toMatchObject({
        id: created.id,
        isCreator: false,
        sharedWithOrganization: true,
        createdBy: own.admin.userId,
      });
      expect(await listIds(own.member)).toEqual([created.id]);
      // Shared with them, but not theirs: a member may neither change nor remove it.
      expectProblem(await t.api.delete(`/v1/git-providers/${created.id}`).set(own.member.auth), 403, 'UNAUTHORIZED');
      expectProblem(
        await t.api.patch(`/v1/git-providers/${created.id}/github`).set(own.member.auth).send({ appId: 9 }),
        403,
        'UNAUTHORIZED',
      );
      expectProblem(
        await t.api.put(`/v1/git-providers/${created.id}/sharing`).set(own.member.auth).send({ sharedWithOrganization: false }),
        403,
        'UNAUTHORIZED',
      );
      expect((await t.api.get(`/v1/git-providers/${created.id}`).set(own.owner.auth)).body).toMatchObject({
        sharedWithOrganization: true,
        github: { appId: 123456 },
      });

      expect(
        (await t.api.put(`/v1/git-providers/${created.id}/sharing`).set(own.admin.auth).send({ sharedWithOrganization: false })).status,
      ).toBe(200);
      expectProblem(await t.api.get(`/v1/git-providers/${created.id}`).set(own.member.auth), 404, 'NOT_FOUND');
      expect(await listIds(own.member)).toEqual([]);
    });
  });

  describe('errors', () => {
    it('400 VALIDATION_FAILED with errors[] for a bad body, bad query, non-UUID id and malformed JSON', async () => {
      const badBody = await t.api
        .post('/v1/git-providers/github')
        .set(org.owner.auth)
        .send({ name: 'x', appId: 'abc', webhookSecret: 's' });
      expectProblem(badBody, 400, 'VALIDATION_FAILED');
      const paths = (badBody.body.errors as { path: string }[]).map((e) => e.path);
      expect(paths).toEqual(expect.arrayContaining(['body.appId', 'body.privateKey']));

      const notPem = await t.api
        .post('/v1/git-providers/github')
        .set(org.owner.auth)
        .send(githubBody({ privateKey: 'not a key' }));
      expectProblem(notPem, 400, 'VALIDATION_FAILED');
      expect(notPem.body.errors).toEqual([{ path: 'body.privateKey', message: expect.any(String) }]);

      expectProblem(
        await t.api
          .post('/v1/git-providers/bitbucket')
          .set(org.owner.auth)
          .send(bitbucketBody({ appPassword: 'both' })),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await t.api
          .post('/v1/git-providers/bitbucket')
          .set(org.owner.auth)
          .send(bitbucketBody({ email: undefined })),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await t.api
          .post('/v1/git-providers/gitea')
          .set(org.owner.auth)
          .send(giteaBody({ giteaUrl: 'ftp://gitea.example.com' })),
        400,
        'VALIDATION_FAILED',
      );
      // The SSRF guard: a private address that is not allowlisted.
      const ssrf = await t.api
        .post('/v1/git-providers/gitlab')
        .set(org.owner.auth)
        .send(gitlabBody({ gitlabUrl: 'https://10.1.2.3' }));
      expectProblem(ssrf, 400, 'VALIDATION_FAILED');
      expect(ssrf.body.errors[0].path).toBe('body.gitlabUrl');

      const badQuery = await t.api.get('/v1/git-providers').query({ type: 'svn' }).set(org.owner.auth);
      expectProblem(badQuery, 400, 'VALIDATION_FAILED');
      expect(badQuery.body.errors[0].path).toBe('query.type');

      for (const res of [
        await t.api.get('/v1/git-providers/not-a-uuid').set(org.owner.auth),
        await t.api.delete('/v1/git-providers/123').set(org.owner.auth),
        await t.api.patch('/v1/git-providers/abc/github').set(org.owner.auth).send({}),
        await t.api.put('/v1/git-providers/abc/sharing').set(org.owner.auth).send({ sharedWithOrganization: true }),
      ]) {
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(res.body.errors[0].path).toBe('path.id');
      }

      const malformed = await t.api
        .post('/v1/git-providers/gitea')
        .set(org.owner.auth)
        .set('Content-Type', 'application/json')
        .send('{"name": "x",');
      expectProblem(malformed, 400, 'VALIDATION_FAILED');
    });

    it('401 UNAUTHENTICATED for a missing, unknown or non-bearer key', async () => {
      expectProblem(await t.api.get('/v1/git-providers'), 401, 'UNAUTHENTICATED');
      expectProblem(await t.api.get('/v1/git-providers').set('Authorization', 'Bearer flk_unknown-key'), 401, 'UNAUTHENTICATED');
      expectProblem(
        await t.api.get('/v1/me').set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`),
        401,
        'UNAUTHENTICATED',
      );
      expectProblem(await t.api.post('/v1/git-providers/gitea').send(giteaBody()), 401, 'UNAUTHENTICATED');
    });

    it('403 UNAUTHORIZED when a member creates a provider, of any type', async () => {
      for (const kind of KINDS) {
        const body = bodyFor[kind]();
        expectProblem(await t.api.post(`/v1/git-providers/${kind}`).set(org.member.auth).send(body), 403, 'UNAUTHORIZED');
        const names = ((await t.api.get('/v1/git-providers').set(org.owner.auth)).body.items as { name: string }[]).map((p) => p.name);
        expect(names).not.toContain(body.name);
      }
    });

    it('404 NOT_FOUND for unknown ids and unknown routes', async () => {
      const unknown = '0190f3a4-0000-7000-8000-00000000abcd';
      expectProblem(await t.api.get(`/v1/git-providers/${unknown}`).set(org.owner.auth), 404, 'NOT_FOUND');
      expectProblem(await t.api.delete(`/v1/git-providers/${unknown}`).set(org.owner.auth), 404, 'NOT_FOUND');
      expectProblem(await t.api.post(`/v1/git-providers/${unknown}/test-connection`).set(org.owner.auth), 404, 'NOT_FOUND');
      expectProblem(await t.api.get('/v1/no-such-route').set(org.owner.auth), 404, 'NOT_FOUND');
      expectProblem(await t.api.post('/v1/git-providers/svn').set(org.owner.auth).send({ name: 'x' }), 404, 'NOT_FOUND');
      expectProblem(await t.api.get('/no-such-route'), 404, 'NOT_FOUND');
    });

    it('409 CONFLICT for a duplicate name in the organisation, across types', async () => {
      const body = bitbucketBody();
      expect((await t.api.post('/v1/git-providers/bitbucket').set(org.owner.auth).send(body)).status).toBe(201);
      expectProblem(
        await t.api
          .post('/v1/git-providers/bitbucket')
          .set(org.admin.auth)
          .send(bitbucketBody({ name: body.name })),
        409,
        'CONFLICT',
      );
      expectProblem(
        await t.api
          .post('/v1/git-providers/gitea')
          .set(org.owner.auth)
          .send(giteaBody({ name: body.name })),
        409,
        'CONFLICT',
      );
      // Another organisation may use the same name.
      const other = await seedOrganization(t.app, 'Other');
      expect(
        (
          await t.api
            .post('/v1/git-providers/bitbucket')
            .set(other.owner.auth)
            .send(bitbucketBody({ name: body.name }))
        ).status,
      ).toBe(201);
    });

    it('413 PAYLOAD_TOO_LARGE for an API body over 1 MiB', async () => {
      const res = await t.api
        .post('/v1/git-providers/bitbucket')
        .set(org.owner.auth)
        .send(bitbucketBody({ username: 'x'.repeat(1024 * 1024 + 10) }));
      expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
      // Just under the limit parses and fails validation instead.
      const under = await t.api
        .post('/v1/git-providers/bitbucket')
        .set(org.owner.auth)
        .send(bitbucketBody({ username: 'x'.repeat(1000 * 1000) }));
      expectProblem(under, 400, 'VALIDATION_FAILED');
    });
  });
});
