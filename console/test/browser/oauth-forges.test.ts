import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Page, type Response } from 'playwright-core';
import { seedOrganization } from '../../../test/support/app.js';
import { FakeGitLab } from '../../../test/fakes/gitlab-server.js';
import { FakeGitea } from '../../../test/fakes/gitea-server.js';
import { FakeBitbucket } from '../../../test/fakes/bitbucket-server.js';
import { FakeBitbucketDatacenter } from '../../../test/fakes/bitbucket-datacenter-server.js';
import { browserAvailable, launchBrowser, screenshot, signIn, startConsoleApp, type Browser, type ConsoleApp } from './support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;

/**
 * GitLab and Gitea (OAuth round trips through the fake forges' consent pages), Bitbucket (API token), and the
 * attacks a browser session invites: a forged cross-site form, a planted session cookie.
 */
describe.skipIf(!browserAvailable)('console in Chromium: GitLab, Gitea, Bitbucket; CSRF and session fixation', () => {
  const gitlab = new FakeGitLab({ consentPage: true });
  const gitea = new FakeGitea({ consentPage: true });
  const bitbucket = new FakeBitbucket();
  const datacenter = new FakeBitbucketDatacenter();
  let app: ConsoleApp;
  let browser: Browser;
  let page: Page;
  let org: Org;

  beforeAll(async () => {
    await Promise.all([gitlab.start(), gitea.start(), bitbucket.start(), datacenter.start()]);
    app = await startConsoleApp({ bitbucketApiUrl: bitbucket.apiUrl });
    org = await seedOrganization(app.t.app, 'OAuth console');
    gitlab.addApplication({ clientId: 'gl-app', clientSecret: 'gl-secret', redirectUri: `${app.url}/v1/callbacks/gitlab` });
    gitlab.setProjects(12);
    gitea.addApplication({ clientId: 'gt-app', clientSecret: 'gt-secret', redirectUri: `${app.url}/v1/callbacks/gitea` });
    gitea.setRepositories(8);
    bitbucket.addApiToken('dev@acme.test', 'bb-token');
    bitbucket.setRepositories('acme', 4);
    datacenter.addToken('dc-token');
    datacenter.setRepositories(6);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await signIn(page, app.url, org.owner.apiKey);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail')
      await screenshot(page, `failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await Promise.all([gitlab.stop(), gitea.stop(), bitbucket.stop(), datacenter.stop()]);
  });

  const button = (label: string) => page.getByRole('button', { name: label, exact: true });
  /** A polite status message (role=status) with exactly this text is on the page. */
  const says = (text: string) => expect.poll(() => page.getByRole('status').filter({ hasText: text }).allTextContents()).toContain(text);
  const add = async (forge: string) => {
    await page.goto(`${app.url}/#/providers`);
    await button('Add Git Provider').click();
    await page.getByRole('link', { name: forge, exact: true }).click();
  };

  it('GitLab: Save, then Authorise through GitLab’s consent page and back: ready, Test Connection', async () => {
    await add('GitLab');
    await page.getByLabel('Name', { exact: true }).fill('Team GitLab');
    await page.getByLabel('GitLab URL').fill(gitlab.url);
    expect(await page.getByRole('textbox', { name: 'Redirect URI' }).inputValue()).toBe(`${app.url}/v1/callbacks/gitlab`);
    await page.getByLabel('Application ID').fill('gl-app');
    await page.getByLabel('Secret', { exact: true }).fill('gl-secret');
    await button('Save').click();
    await page.waitForURL(`${app.url}/#/providers/*`);
    await expect.poll(() => page.getByText('Authorise forgelink on GitLab to finish the connection.').isVisible()).toBe(true);
    await screenshot(page, '14-gitlab-pending-authorization');

    await button('Authorise').click();
    await page.waitForURL(`${gitlab.url}/oauth/authorize**`);
    await screenshot(page, '15-fake-gitlab-consent');
    await button('Authorize').click();
    await page.waitForURL(`${app.url}/#/providers/*`);
    await says('“Team GitLab” is connected and ready.');
    expect(gitlab.tokenExchangeCount).toBe(1);
    await button('Test Connection').click();
    await expect.poll(() => page.getByText('Found 12 repositories').isVisible()).toBe(true);
    await screenshot(page, '16-gitlab-ready');
  });

  it('Gitea: Cancel on the consent page comes back as an error in plain words; Authorise again succeeds', async () => {
    await add('Gitea');
    await page.getByLabel('Name', { exact: true }).fill('Codeberg-like');
    await page.getByLabel('Gitea URL').fill(gitea.url);
    expect(await page.getByRole('textbox', { name: 'Redirect URI' }).inputValue()).toBe(`${app.url}/v1/callbacks/gitea`);
    await page.getByLabel('Client ID').fill('gt-app');
    await page.getByLabel('Client Secret').fill('gt-secret');
    await button('Save').click();
    await page.waitForURL(`${app.url}/#/providers/*`);

    await button('Authorise').click();
    await page.waitForURL(`${gitea.url}/login/oauth/authorize**`);
    await button('Cancel').click();
    await page.waitForURL(`${app.url}/#/providers/*`);
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('“Codeberg-like” was not connected: access was declined on the forge.');
    expect(gitea.tokenExchangeCount).toBe(0);
    await screenshot(page, '17-gitea-declined');

    await button('Authorise').click();
    await page.waitForURL(`${gitea.url}/login/oauth/authorize**`);
    await button('Authorize Application').click();
    await page.waitForURL(`${app.url}/#/providers/*`);
    await says('“Codeberg-like” is connected and ready.');
    await button('Test Connection').click();
    await expect.poll(() => page.getByText('Found 8 repositories').isVisible()).toBe(true);
  });

  it('Bitbucket: Save with an API token; a duplicate name is refused in plain words', async () => {
    await add('Bitbucket');
    await page.getByLabel('Name', { exact: true }).fill('Acme Bitbucket');
    await page.getByLabel('Username').fill('dev');
    await page.getByLabel('Email').fill('dev@acme.test');
    await page.getByLabel('Workspace').fill('acme');
    await page.getByLabel('API Token').fill('bb-token');
    await screenshot(page, '18-add-bitbucket');
    await button('Save').click();
    await page.waitForURL(`${app.url}/#/providers/*`);
    await button('Test Connection').click();
    await expect.poll(() => page.getByText('Found 4 repositories').isVisible()).toBe(true);

    await add('Bitbucket');
    await page.getByLabel('Name', { exact: true }).fill('Acme Bitbucket');
    await page.getByLabel('Username').fill('dev');
    await page.getByLabel('Email').fill('dev@acme.test');
    await page.getByLabel('Workspace').fill('acme');
    await page.getByLabel('API Token').fill('bb-token');
    await button('Save').click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('A git provider named "Acme Bitbucket" already exists in the organisation');
  });

  it('Bitbucket Data Center: Save with an HTTP access token; the page shows the server and never the token', async () => {
    await add('Bitbucket Data Center');
    await page.getByLabel('Name', { exact: true }).fill('Acme Data Center');
    await page.getByLabel('Server URL').fill(datacenter.serverUrl);
    await page.getByLabel('HTTP Access Token').fill('dc-token');
    await screenshot(page, '19a-add-bitbucket-datacenter');
    await button('Save').click();
    await page.waitForURL(`${app.url}/#/providers/*`);
    await expect.poll(() => page.getByText(datacenter.serverUrl).first().isVisible()).toBe(true);
    expect(await page.getByText('dc-token').count()).toBe(0);
    await button('Test Connection').click();
    await expect.poll(() => page.getByText('Found 6 repositories').isVisible()).toBe(true);
  });

  it('the list shows every provider with its status; readable at a phone’s width', async () => {
    await page.goto(`${app.url}/#/providers`);
    await expect.poll(() => page.getByRole('row').count()).toBe(5);
    await screenshot(page, '19-providers-list');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await expect.poll(() => page.getByRole('row').count()).toBe(5);
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    expect(overflow).toBe(0);
    await screenshot(page, '20-providers-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('cross-site request forgery: another origin’s form and fetch carry the cookie (same host, other port) but change nothing', async () => {
    const before = (await app.t.api.get('/v1/git-providers').set(org.owner.auth)).body.items.length as number;
    let attacker: Server | undefined;
    let evil: Page | undefined;
    try {
      // The attacker's page: a form posting JSON-looking text/plain to /v1/members, and a no-cors fetch creating a provider.
      // The test drives each step itself, so each one has its own bounded wait. The form posts into an iframe: a page
      // whose top frame had navigated to the forged POST's answer sometimes took 30 s to close in headless Chromium.
      attacker = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><body>
          <iframe name="sink" title="sink"></iframe>
          <form id="f" method="post" action="${app.url}/v1/members" enctype="text/plain" target="sink"><input name='{"userId":"mallory","role":"owner","x":"' value='"}'><button id="go">Win a prize</button></form>
          <script>
            window.forge = () => fetch('${app.url}/v1/git-providers/gitea', { method: 'POST', credentials: 'include', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
              body: JSON.stringify({ name: 'pwned', giteaUrl: '${gitea.url}', clientId: 'x', clientSecret: 'y' }) }).then(() => 'sent');
          </script></body>`);
      });
      await new Promise<void>((resolve) => attacker?.listen(0, '127.0.0.1', resolve));
      const attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
      evil = await browser.context.newPage();
      await evil.goto(attackerUrl);
      const forged = (path: string) => (r: Response) => r.url() === `${app.url}${path}` && r.request().method() === 'POST';

      const [fetched, sent] = await Promise.all([evil.waitForResponse(forged('/v1/git-providers/gitea')), evil.evaluate('window.forge()')]);
      expect(sent).toBe('sent');
      const [posted] = await Promise.all([evil.waitForResponse(forged('/v1/members')), evil.locator('#go').click({ noWaitAfter: true })]);
      // 403, not 401: the browser did send the session cookie (same site), and forgelink refused it without the token.
      expect([fetched.status(), posted.status()]).toEqual([403, 403]);
    } finally {
      await evil?.close().catch(() => undefined);
      attacker?.closeAllConnections();
      await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
    }
    const items = (await app.t.api.get('/v1/git-providers').set(org.owner.auth)).body.items as { name: string }[];
    expect(items.map((p) => p.name)).not.toContain('pwned');
    expect(items).toHaveLength(before);
    const members = await app.t.app.orm.em.getKnex().raw(`select user_id from member where user_id = 'mallory'`);
    expect(members.rows).toEqual([]);
  });

  it('session fixation: a cookie planted before sign-in is replaced, and the planted value opens nothing', async () => {
    await button('Sign out').click();
    const planted = 'P'.repeat(43);
    await browser.context.addCookies([{ name: 'forgelink_session', value: planted, url: app.url }]);
    await signIn(page, app.url, org.admin.apiKey);
    const cookies = await browser.context.cookies(app.url);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]?.value).not.toBe(planted);
    expect((await app.t.api.get('/v1/me').set('Cookie', `forgelink_session=${planted}`)).status).toBe(401);
    expect((await app.t.api.get('/v1/me').set('Cookie', `forgelink_session=${cookies[0]?.value ?? ''}`)).body.userId).toBe(
      org.admin.userId,
    );
  });
});
