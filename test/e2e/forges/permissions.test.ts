import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { FakeGitHub } from '../../fakes/github-server.js';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { FakeGitea } from '../../fakes/gitea-server.js';
import { FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { type Auth, bitbucketProvider, connect, githubProvider, gitlabProvider, giteaProvider, serviceId } from '../webhooks/support.js';

/**
 * FORGES.md "Not every 403 means the credentials are bad": a refusal of one repository is 422 FORGE_FORBIDDEN for
 * that call alone (the provider stays ready); a refusal of the credentials as a whole is 422 PROVIDER_NOT_READY with
 * the forge's own words and the remedy, and flags the provider — whichever call (listing, connect, hook) found it.
 */
describe('403s on every forge: one resource vs the whole provider', () => {
  let t: TestApp;
  let auth: Auth;
  const github = new FakeGitHub();
  const gitlab = new FakeGitLab();
  const gitea = new FakeGitea();
  const bitbucket = new FakeBitbucket();

  beforeAll(async () => {
    await Promise.all([github.start(), gitlab.start(), gitea.start(), bitbucket.start()]);
    t = await startTestApp({ bitbucketApiUrl: bitbucket.apiUrl });
    auth = (await seedOrganization(t.app, 'Permissions')).owner.auth;
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([github.stop(), gitlab.stop(), gitea.stop(), bitbucket.stop()]);
  });

  const status = async (providerId: string): Promise<string> =>
    (await t.api.get(`/v1/git-providers/${providerId}`).set(auth)).body.status as string;
  const branches = (providerId: string, repository: string) =>
    t.api.get(`/v1/git-providers/${providerId}/branches`).query({ repository }).set(auth);
  const testConnection = (providerId: string) => t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(auth);
  const expectProblem = (res: { status: number; body: Record<string, unknown> }, httpStatus: number, code: string): string => {
    expect(res.status, JSON.stringify(res.body)).toBe(httpStatus);
    expect(res.body.code).toBe(code);
    return res.body.detail as string;
  };

  it("GitLab: a Guest project's branches are 422 FORGE_FORBIDDEN naming the project; the provider stays ready and keeps answering", async () => {
    gitlab.addProject({ path: 'acme/guest-only', accessLevel: 10, defaultBranch: 'main' });
    gitlab.addProject({ path: 'acme/app', defaultBranch: 'main' });
    const { providerId } = await gitlabProvider(t, auth, gitlab);

    const detail = expectProblem(await branches(providerId, 'acme/guest-only'), 422, 'FORGE_FORBIDDEN');
    expect(detail).toContain('project acme/guest-only');
    expect(detail).toContain('403 Forbidden');
    expect(await status(providerId)).toBe('ready');

    // Every other call still asks GitLab and works.
    const before = gitlab.apiRequests().length;
    expect((await branches(providerId, 'acme/app')).status).toBe(200);
    expect((await testConnection(providerId)).status).toBe(200);
    expect(gitlab.apiRequests().length).toBeGreaterThan(before);

    // Connecting a service to it fails alone, with the same answer, and stores nothing.
    const id = serviceId('gl-guest');
    const refused = await t.api
      .put(`/v1/services/application/${id}/source`)
      .set(auth)
      .send({ providerId, repository: 'acme/guest-only', branch: 'main' });
    expect(expectProblem(refused, 422, 'FORGE_FORBIDDEN')).toContain('project acme/guest-only');
    expect((await t.api.get(`/v1/services/application/${id}/source`).set(auth)).status).toBe(404);
    expect(await status(providerId)).toBe('ready');
  });

  it("GitLab: insufficient_scope refuses the grant as a whole: PROVIDER_NOT_READY with GitLab's words and the remedy; the provider is flagged", async () => {
    gitlab.addProject({ path: 'acme/scoped', defaultBranch: 'main' });
    const { providerId } = await gitlabProvider(t, auth, gitlab);
    gitlab.failNext(
      403,
      1,
      { 'www-authenticate': 'Bearer realm="", error="insufficient_scope"' },
      JSON.stringify({
        error: 'insufficient_scope',
        error_description: 'The request requires higher privileges than provided by the access token.',
        scope: 'api read_api',
      }),
    );
    const detail = expectProblem(await branches(providerId, 'acme/scoped'), 422, 'PROVIDER_NOT_READY');
    expect(detail).toContain('The request requires higher privileges than provided by the access token.');
    expect(detail).toContain('authorize-url');
    expect(await status(providerId)).toBe('needs_reauthorization');
  });

  it('GitHub: a suspended installation is PROVIDER_NOT_READY saying so and how to lift it; lifted, the next call works and clears the flag', async () => {
    const { providerId, installationId } = await githubProvider(t, auth, github, [{ owner: 'acme', name: 'api', branches: ['main'] }]);
    github.suspendInstallation(installationId);
    const detail = expectProblem(await testConnection(providerId), 422, 'PROVIDER_NOT_READY');
    expect(detail).toContain('This installation has been suspended');
    expect(detail).toContain('Unsuspend');
    expect(await status(providerId)).toBe('needs_reauthorization');

    github.suspendInstallation(installationId, false);
    const ok = await testConnection(providerId);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(await status(providerId)).toBe('ready');
  });

  it('GitHub: an App permission missing on one repository is FORGE_FORBIDDEN for that repository only, at listing and at connect', async () => {
    const { providerId, installationId } = await githubProvider(t, auth, github, [
      { owner: 'acme', name: 'secret', branches: ['main'] },
      { owner: 'acme', name: 'open', branches: ['main'] },
    ]);
    github.forbidRepository(installationId, 'acme/secret');
    const detail = expectProblem(await branches(providerId, 'acme/secret'), 422, 'FORGE_FORBIDDEN');
    expect(detail).toContain('repository acme/secret');
    expect(detail).toContain('Resource not accessible by integration');
    expect(await status(providerId)).toBe('ready');
    expect((await branches(providerId, 'acme/open')).status).toBe(200);

    const refused = await t.api
      .put(`/v1/services/application/${serviceId('gh-secret')}/source`)
      .set(auth)
      .send({ providerId, repository: 'acme/secret', branch: 'main' });
    expect(expectProblem(refused, 422, 'FORGE_FORBIDDEN')).toContain('repository acme/secret');
    expect(await connect(t, auth, serviceId('gh-open'), { providerId, repository: 'acme/open', branch: 'main' })).toMatchObject({
      sourceType: 'git',
    });
    expect(await status(providerId)).toBe('ready');
  });

  it("Gitea: hook registration refused on one repository connects with registered: false and Gitea's reason; a missing token scope flags the provider", async () => {
    gitea.setRepositories([
      { owner: 'acme', name: 'locked', defaultBranch: 'main', admin: false },
      { owner: 'acme', name: 'mine', defaultBranch: 'main' },
    ]);
    const { providerId } = await giteaProvider(t, auth, gitea);
    const source = await connect(t, auth, serviceId('gt-locked'), { providerId, repository: 'acme/locked', branch: 'main' });
    expect(source).toMatchObject({ sourceType: 'git', webhook: { registered: false } });
    expect((source.webhook as { error: string }).error).toContain('Must have admin rights on the repository');
    expect(await status(providerId)).toBe('ready');

    gitea.failNext(
      403,
      1,
      {},
      {
        path: '/user/repos',
        body: JSON.stringify({
          message: 'token does not have at least one of required scope(s): [read:repository]',
          url: `${gitea.url}/api/swagger`,
        }),
      },
    );
    const detail = expectProblem(await testConnection(providerId), 422, 'PROVIDER_NOT_READY');
    expect(detail).toContain('token does not have at least one of required scope(s)');
    expect(detail).toContain('authorize-url');
    expect(await status(providerId)).toBe('needs_reauthorization');
  });

  it('Bitbucket: a repository the token may not administer connects with registered: false and the provider stays ready; a missing scope at hook registration flags it', async () => {
    bitbucket.setRepositories('acme', [
      { slug: 'readonly', mainbranch: 'main' },
      { slug: 'admin', mainbranch: 'main' },
    ]);
    bitbucket.makeReadOnly('acme/readonly');
    const { providerId } = await bitbucketProvider(t, auth, bitbucket, 'acme');
    const source = await connect(t, auth, serviceId('bb-readonly'), { providerId, repository: 'acme/readonly', branch: 'main' });
    expect(source).toMatchObject({ sourceType: 'git', webhook: { registered: false } });
    expect((source.webhook as { error: string }).error).toContain('You must be an administrator of this repository');
    expect(await status(providerId)).toBe('ready');

    // A token without the webhook scopes: every repository's hook is refused, so the credentials are what is wrong.
    const scoped = await bitbucketProvider(t, auth, bitbucket, 'acme', ['read:repository:bitbucket', 'read:webhook:bitbucket']);
    const unscoped = await connect(t, auth, serviceId('bb-noscope'), {
      providerId: scoped.providerId,
      repository: 'acme/admin',
      branch: 'main',
    });
    expect(unscoped).toMatchObject({ webhook: { registered: false } });
    expect((unscoped.webhook as { error: string }).error).toContain('lack one or more required privilege scopes');
    expect(await status(scoped.providerId)).toBe('needs_reauthorization');
  });
});
