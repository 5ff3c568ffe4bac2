import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Page } from 'playwright-core';
import { seedOrganization } from '../../../test/support/app.js';
import { FakeGitHub } from '../../../test/fakes/github-server.js';
import { signGitHub } from '../../../test/support/webhook-signing.js';
import { clone, fixtureJson } from '../../../test/unit/webhooks/fixtures.js';
import { browserAvailable, launchBrowser, screenshot, signIn, startConsoleApp, type Browser, type ConsoleApp } from './support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;

/**
 * The GitHub walkthrough of the seed in a real Chromium: Create GitHub App through GitHub's (fake) app-creation and
 * install pages, Test Connection, a service connected by searching a 5,000-repository installation, a signed push
 * seen under Deliveries, sharing as the creator and as another member, Update, Disconnect, Delete.
 */
describe.skipIf(!browserAvailable)('console in Chromium: GitHub providers, services, deliveries', () => {
  const github = new FakeGitHub();
  let app: ConsoleApp;
  let browser: Browser;
  let page: Page;
  let org: Org;
  let providerId = '';
  const name = 'Acme GitHub';

  beforeAll(async () => {
    await github.start();
    github.repositoriesOnInstall = 5000;
    app = await startConsoleApp();
    org = await seedOrganization(app.t.app, 'GitHub console');
    browser = await launchBrowser();
    page = await browser.context.newPage();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail')
      await screenshot(page, `failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await github.stop();
  });

  const button = (label: string) => page.getByRole('button', { name: label, exact: true });
  /** A polite status message (role=status) with exactly this text is on the page. */
  const says = (text: string) => expect.poll(() => page.getByRole('status').filter({ hasText: text }).allTextContents()).toContain(text);

  it('Create GitHub App: the manifest goes to GitHub, the App comes back, Install finishes it', async () => {
    await signIn(page, app.url, org.owner.apiKey);
    await button('Add Git Provider').click();
    await screenshot(page, '03-add-git-provider');
    // Every forge has its form, Bitbucket Data Center included.
    expect(await page.getByRole('link', { name: 'Bitbucket Data Center' }).count()).toBe(1);
    await page.getByRole('link', { name: 'GitHub', exact: true }).click();
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('GitHub URL').fill(github.url);
    await screenshot(page, '04-add-github');
    await button('Create GitHub App').click();

    // GitHub's page, showing the manifest forgelink posted.
    await page.waitForURL(`${github.url}/settings/apps/new**`);
    expect(await page.getByText(`Webhook URL: ${app.url}/v1/webhooks/`).isVisible()).toBe(true);
    await screenshot(page, '05-fake-github-create-app');
    await button('Create GitHub App for acme').click();

    // Back in the console (DASHBOARD_URL = PUBLIC_URL): the App exists, installing it is next.
    await page.waitForURL(`${app.url}/#/providers/*`);
    providerId = decodeURIComponent(page.url().split('/').pop() ?? '');
    await says('GitHub App “Acme GitHub” was created. Next: install it (Install GitHub App).');
    expect(await page.getByText('Pending installation').isVisible()).toBe(true);
    const webhookUrl = await page.getByRole('textbox', { name: 'Webhook URL' }).inputValue();
    expect(webhookUrl).toBe(`${app.url}/v1/webhooks/${providerId}`);
    expect(new URL(page.url()).search).toBe('');
    await screenshot(page, '06-github-pending-installation');

    await page.getByRole('link', { name: 'Install GitHub App' }).click();
    await page.waitForURL(`${github.url}/apps/acme-github/installations/new**`);
    await button('Install').click();
    await page.waitForURL(`${app.url}/#/providers/${providerId}`);
    await says('“Acme GitHub” is connected and ready.');
    expect(await page.getByText('Ready', { exact: true }).isVisible()).toBe(true);
    const stored = await app.t.api.get(`/v1/git-providers/${providerId}`).set(org.owner.auth);
    expect(stored.body).toMatchObject({
      status: 'ready',
      github: {
        appSlug: 'acme-github',
        installationId: github.createdApps[0]?.installationId,
        hasPrivateKey: true,
        hasWebhookSecret: true,
      },
    });
    await screenshot(page, '07-github-ready');
  });

  it('Test Connection says how many repositories the installation sees', async () => {
    await button('Test Connection').click();
    await expect.poll(() => page.getByText('Found 5000 repositories').isVisible(), { timeout: 20_000 }).toBe(true);
  });

  it('Services: the Repository picker searches all 5,000 repositories; Connect shows the webhook', async () => {
    await page.getByRole('link', { name: 'Services' }).click();
    await page.getByLabel('Service ID').fill('app-web');
    await expect.poll(() => page.getByLabel('Provider').inputValue()).toBe(providerId);
    const picker = page.getByRole('combobox', { name: 'Repository' });
    await picker.fill('repo-04321');
    const options = page.getByRole('listbox', { name: 'Repositories' }).getByRole('option');
    await expect.poll(() => options.allTextContents(), { timeout: 20_000 }).toEqual(['acme/repo-04321 (private)']);
    expect(await page.getByText('1 matching repositories').isVisible()).toBe(true);
    // Keyboard: down to the option, Enter picks it.
    await picker.press('ArrowDown');
    await picker.press('Enter');
    expect(await picker.inputValue()).toBe('acme/repo-04321');
    await expect.poll(() => page.getByLabel('Branch').inputValue()).toBe('main');
    await page.getByLabel('Watch paths').fill('src/**');
    await screenshot(page, '08-services-connect');
    await button('Connect').click();
    await says('Connected application app-web to acme/repo-04321@main.');
    expect(await page.getByText('Registered (the GitHub App’s)').isVisible()).toBe(true);
    await screenshot(page, '09-service-connected');
  });

  it('Deliveries: a signed push shows up, newest first, with its outcome', async () => {
    const repo = (await app.t.api.get(`/v1/git-providers/${providerId}/repositories`).query({ search: 'repo-04321' }).set(org.owner.auth))
      .body.items[0] as { id: string };
    const payload = clone(fixtureJson('github', 'push.json'));
    const repository = payload.repository as Record<string, unknown>;
    Object.assign(repository, {
      id: Number(repo.id),
      name: 'repo-04321',
      full_name: 'acme/repo-04321',
      owner: { ...(repository.owner as object), login: 'acme', name: 'acme' },
      default_branch: 'main',
    });
    payload.ref = 'refs/heads/main';
    // The watch path (src/**) matches what the pushed commits changed.
    payload.commits = (payload.commits as Record<string, unknown>[]).map((c) => ({
      ...c,
      added: [],
      removed: [],
      modified: ['src/index.ts'],
    }));
    payload.head_commit = { ...(payload.head_commit as Record<string, unknown>), added: [], removed: [], modified: ['src/index.ts'] };
    const secret = github.createdApps[0]?.app.webhookSecret ?? '';
    const pushes: [Record<string, unknown>, number][] = [[payload, 202]];
    const other = clone(payload);
    other.ref = 'refs/heads/feature/x';
    pushes.push([other, 200]);
    for (const [body, status] of pushes) {
      const text = JSON.stringify(body);
      const res = await app.t.api.post(`/v1/webhooks/${providerId}`).set(signGitHub(text, secret)).send(text);
      expect(res.status, res.text).toBe(status);
    }
    await page.getByRole('link', { name: 'Deliveries' }).click();
    const rows = page.getByRole('row');
    await expect.poll(() => rows.count()).toBe(3);
    const cells = async (i: number) => (await rows.nth(i).getByRole('cell').allTextContents()).slice(1);
    expect(await cells(1)).toEqual([name, 'push', 'ignored', 'no_matching_source', '0']);
    expect(await cells(2)).toEqual([name, 'push', 'deployed', '—', '1']);
    await page.getByLabel('Provider').selectOption({ label: name });
    await expect.poll(() => rows.count()).toBe(3);
    await screenshot(page, '10-deliveries');
  });

  it('Deliveries: Older pages back through the history, Newest returns', async () => {
    const secret = github.createdApps[0]?.app.webhookSecret ?? '';
    const base = clone(fixtureJson('github', 'push.json'));
    base.ref = 'refs/heads/feature/paging';
    for (let i = 0; i < 20; i++) {
      const text = JSON.stringify({ ...base, after: `${String(i).padStart(2, '0')}${'a'.repeat(38)}` });
      const res = await app.t.api.post(`/v1/webhooks/${providerId}`).set(signGitHub(text, secret)).send(text);
      expect(res.status, res.text).toBe(200);
    }
    await button('Refresh').click();
    const rows = page.getByRole('row');
    await expect.poll(() => rows.count()).toBe(21);
    await button('Older').click();
    await expect.poll(() => rows.count()).toBe(3);
    expect((await rows.nth(2).getByRole('cell').allTextContents()).slice(3)).toEqual(['deployed', '—', '1']);
    expect(await button('Older').count()).toBe(0);
    await button('Newest').click();
    await expect.poll(() => rows.count()).toBe(21);
  });

  it('Share with organisation: the creator switches it; another member sees it disabled and why, and cannot delete', async () => {
    await page.goto(`${app.url}/#/providers/${providerId}`);
    const share = page.getByRole('switch', { name: 'Share with organisation' });
    expect(await share.isChecked()).toBe(false);
    await share.click();
    await says('Shared with the organisation.');
    await expect.poll(() => share.isChecked()).toBe(true);
    await share.click();
    await expect.poll(() => share.isChecked()).toBe(false);
    expect((await app.t.api.get(`/v1/git-providers/${providerId}`).set(org.owner.auth)).body.sharedWithOrganization).toBe(false);
    await share.click();
    await expect.poll(() => share.isChecked()).toBe(true);

    await button('Sign out').click();
    await signIn(page, app.url, org.member.apiKey);
    expect(await button('Add Git Provider').isDisabled()).toBe(true);
    await page.getByRole('link', { name }).click();
    const memberShare = page.getByRole('switch', { name: 'Share with organisation' });
    await expect.poll(() => memberShare.isDisabled()).toBe(true);
    expect(await memberShare.isChecked()).toBe(true);
    expect(
      await page
        .getByText(`Only the creator (${org.owner.userId}) can share or unshare this provider; you are not its creator.`)
        .isVisible(),
    ).toBe(true);
    expect(await button('Delete').isDisabled()).toBe(true);
    expect(await page.getByRole('link', { name: 'Install GitHub App' }).count()).toBe(0);
    await screenshot(page, '11-provider-as-member');

    // The member tries the owner's actions anyway, from the console's own page with its session and CSRF token:
    // the API refuses them exactly as it refuses the member's API key.
    const attempts = (await page.evaluate(`(async () => {
      const { csrfToken } = await (await fetch('/v1/session')).json();
      const send = (method, path, body) => fetch(path, { method, headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken }, body: body && JSON.stringify(body) })
        .then(async (r) => [r.status, (await r.json()).code]);
      return [
        await send('PUT', '/v1/git-providers/${providerId}/sharing', { sharedWithOrganization: false }),
        await send('DELETE', '/v1/git-providers/${providerId}'),
        await send('PATCH', '/v1/git-providers/${providerId}/github', { installationId: 1 }),
        await send('POST', '/v1/git-providers/github/manifest', { name: 'member app', githubUrl: '${github.url}' }),
      ];
    })()`)) as [number, string][];
    expect(attempts).toEqual([
      [403, 'UNAUTHORIZED'],
      [403, 'UNAUTHORIZED'],
      [403, 'UNAUTHORIZED'],
      [403, 'UNAUTHORIZED'],
    ]);
    const after = await app.t.api.get(`/v1/git-providers/${providerId}`).set(org.owner.auth);
    expect(after.body).toMatchObject({ sharedWithOrganization: true, github: { installationId: github.createdApps[0]?.installationId } });
    expect((await app.t.api.get('/v1/git-providers').set(org.owner.auth)).body.items).toHaveLength(1);
    await button('Sign out').click();
  });

  it('GitHub by hand: Save with the App’s details, then Update the installation', async () => {
    const hand = github.addApp({ appId: 4242, slug: 'by-hand' });
    github.addInstallation(4242, 55_001, 'acme');
    github.addInstallation(4242, 55_002, 'acme');
    github.setRepositories(55_001, 2);
    github.setRepositories(55_002, 7);
    await signIn(page, app.url, org.admin.apiKey);
    await page.goto(`${app.url}/#/providers/new/github`);
    await page.getByLabel('Name', { exact: true }).fill('By hand');
    await page.getByLabel('GitHub URL').fill(github.url);
    await page.getByLabel("Enter an existing App's details").check();
    await page.getByLabel('App ID').fill('4242');
    await page.getByLabel('Installation ID').fill('55001');
    await page.getByLabel('Private Key').fill(hand.privateKey);
    await page.getByLabel('Webhook Secret').fill(hand.webhookSecret);
    await button('Save').click();
    await page.waitForURL(`${app.url}/#/providers/*`);
    await expect.poll(() => page.getByRole('heading', { name: 'By hand' }).isVisible()).toBe(true);
    await button('Test Connection').click();
    await expect.poll(() => page.getByText('Found 2 repositories').isVisible()).toBe(true);

    await page.getByLabel('Installation ID').fill('55002');
    await button('Update').click();
    await expect.poll(() => page.getByText('Saved.').isVisible()).toBe(true);
    await button('Test Connection').click();
    await expect.poll(() => page.getByText('Found 7 repositories').isVisible()).toBe(true);
    // A bad value is explained in plain words, not as JSON.
    await page.getByLabel('App ID').fill('not a number');
    await button('Update').click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^App ID: /);
    await screenshot(page, '12-github-update');
    await button('Sign out').click();
  });

  it('Disconnect Git Provider, then Delete (asks to confirm; Cancel keeps it)', async () => {
    await signIn(page, app.url, org.owner.apiKey);
    await page.getByRole('link', { name: 'Services' }).click();
    await page.getByLabel('Service ID').fill('app-web');
    await button('Open').click();
    await expect.poll(() => button('Disconnect Git Provider').isVisible()).toBe(true);
    // No report with a commit yet: no commit-status line.
    expect(await page.getByText('Commit statuses', { exact: true }).count()).toBe(0);
    // Commit statuses: the deployer reports a commit; the source page says whether posting it to GitHub works.
    const repository = 'acme/repo-04321';
    const report = async (commitSha: string): Promise<void> => {
      github.statuses.addCommit(repository, commitSha);
      const res = await app.t.api.put('/v1/services/application/app-web/status').set(org.owner.auth).send({ status: 'done', commitSha });
      expect(res.status, res.text).toBe(200);
    };
    const posted = 'c0ffee'.padEnd(40, '1');
    await report(posted);
    await expect.poll(() => github.statuses.on(repository, posted).length, { timeout: 15_000 }).toBe(1);
    await button('Open').click();
    await expect.poll(() => page.getByText(/^Reported ok; last posted /).isVisible()).toBe(true);
    github.statuses.deny(repository);
    try {
      await report('c0ffee'.padEnd(40, '2'));
      await expect
        .poll(
          async () => (await app.t.api.get('/v1/services/application/app-web/source').set(org.owner.auth)).body.statusReporting?.state,
          {
            timeout: 15_000,
          },
        )
        .toBe('forbidden');
    } finally {
      github.statuses.deny(repository, false);
    }
    await button('Open').click();
    await expect
      .poll(() =>
        page.getByText(/^Forbidden: GitHub refused access to commit statuses of acme\/repo-04321 \(403.*Grant it on the forge/).isVisible(),
      )
      .toBe(true);
    await screenshot(page, '09b-service-commit-statuses');
    // Deploy: the branch's current head, as the forge tells it, and the event the deployer receives.
    await button('Deploy').click();
    await expect.poll(() => page.getByText(/^Deploy requested: [0-9a-f]{12}/).isVisible()).toBe(true);
    const shown = /Deploy requested: ([0-9a-f]{12})/.exec((await page.getByText(/^Deploy requested: /).textContent()) ?? '')?.[1];
    await expect
      .poll(async () => {
        const feed = await app.t.api.get('/v1/events').query({ type: 'deployment.requested', limit: 500 }).set(org.owner.auth);
        return (feed.body.items as { data: Record<string, any> }[]) // eslint-disable-line @typescript-eslint/no-explicit-any
          .filter((e) => e.data['serviceId'] === 'app-web' && e.data['trigger'] === 'manual')
          .map((e) => (e.data['commit']['sha'] as string).slice(0, 12));
      })
      .toEqual([shown]);
    await button('Disconnect Git Provider').click();
    await expect.poll(() => page.getByText('Not connected to a Git provider.').isVisible()).toBe(true);
    expect((await app.t.api.get('/v1/services/application/app-web/source').set(org.owner.auth)).body.sourceType).toBe('none');

    await page.getByRole('link', { name: 'Git Providers' }).click();
    await page.getByRole('link', { name }).click();
    await page.getByRole('heading', { name, level: 1 }).waitFor();
    await button('Delete').click();
    const dialog = page.getByRole('dialog', { name: `Delete “${name}”?` });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await screenshot(page, '13-delete-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect((await app.t.api.get(`/v1/git-providers/${providerId}`).set(org.owner.auth)).status).toBe(200);
    await button('Delete').click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(`${app.url}/#/providers`);
    await expect.poll(() => page.getByRole('link', { name }).count()).toBe(0);
    expect((await app.t.api.get(`/v1/git-providers/${providerId}`).set(org.owner.auth)).status).toBe(404);
    await button('Sign out').click();
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
  });
});
