import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { FakeGitea } from '../../fakes/gitea-server.js';
import { type Auth, gitlabProvider, giteaProvider } from '../webhooks/support.js';

/**
 * FORGES.md "Short-lived OAuth tokens exist": with 60-second tokens a multi-page listing uses one token; a fixed
 * 2-minute early-refresh margin refreshed before every page. An access token the forge no longer accepts costs one
 * refresh for the whole listing.
 */
describe('short-lived OAuth tokens (60 s) on Gitea and GitLab', () => {
  let t: TestApp;
  let auth: Auth;
  const gitea = new FakeGitea({ tokenLifetimeSeconds: 60, maxResponseItems: 50 });
  const gitlab = new FakeGitLab({ accessTokenTtlSeconds: 60 });

  beforeAll(async () => {
    await Promise.all([gitea.start(), gitlab.start()]);
    gitea.setRepositories(180);
    gitlab.setProjects(230);
    t = await startTestApp();
    auth = (await seedOrganization(t.app, 'Short tokens')).owner.auth;
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([gitea.stop(), gitlab.stop()]);
  });

  const listing = (providerId: string) => t.api.get(`/v1/git-providers/${providerId}/repositories`).set(auth);

  it('Gitea: listings of 4 pages and a test-connection use the fresh 60-second token without refreshing it', async () => {
    const { providerId } = await giteaProvider(t, auth, gitea);
    const before = gitea.refreshCount;
    const pagesBefore = gitea.apiRequests().filter((r) => r.path === '/user/repos').length;
    for (let i = 0; i < 3; i++) {
      const res = await listing(providerId);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.total).toBe(180);
    }
    expect((await t.api.post(`/v1/git-providers/${providerId}/test-connection`).set(auth)).status).toBe(200);
    expect(gitea.apiRequests().filter((r) => r.path === '/user/repos').length - pagesBefore).toBeGreaterThanOrEqual(16);
    expect(gitea.refreshCount - before).toBe(0);
  });

  it('Gitea: a token the forge no longer accepts is refreshed once for the whole listing', async () => {
    const { providerId } = await giteaProvider(t, auth, gitea);
    gitea.expireAccessTokens();
    const before = gitea.refreshCount;
    const res = await listing(providerId);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.total).toBe(180);
    expect(gitea.refreshCount - before).toBe(1);
  });

  it('GitLab: listings of 3 pages use the fresh 60-second token without refreshing it; an expired one costs one refresh', async () => {
    const { providerId } = await gitlabProvider(t, auth, gitlab);
    const before = gitlab.refreshCount;
    for (let i = 0; i < 3; i++) {
      const res = await listing(providerId);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.total).toBe(230);
    }
    expect(gitlab.refreshCount - before).toBe(0);

    gitlab.expireAccessTokens();
    const res = await listing(providerId);
    expect(res.status).toBe(200);
    expect(gitlab.refreshCount - before).toBe(1);
  });
});
