import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Page } from 'playwright-core';
import { seedOrganization } from '../../../test/support/app.js';
import { browserAvailable, launchBrowser, screenshot, signIn, startConsoleApp, type Browser, type ConsoleApp } from './support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;

describe.skipIf(!browserAvailable)('console in Chromium: sign in, sign out', () => {
  let app: ConsoleApp;
  let browser: Browser;
  let page: Page;
  let org: Org;

  beforeAll(async () => {
    app = await startConsoleApp();
    org = await seedOrganization(app.t.app, 'Console');
    browser = await launchBrowser();
    page = await browser.context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('a wrong key is refused in plain words; the right one opens Git Providers with an HttpOnly cookie and no key in storage', async () => {
    await page.goto(app.url);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    await screenshot(page, '01-sign-in');
    await page.getByLabel('API key').fill('flk_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Unknown API key');

    await signIn(page, app.url, org.owner.apiKey);
    expect(await page.getByRole('heading', { name: 'Git Providers', level: 1 }).isVisible()).toBe(true);
    await screenshot(page, '02-providers-empty');
    const cookies = await browser.context.cookies(app.url);
    expect(cookies).toEqual([expect.objectContaining({ name: 'forgelink_session', httpOnly: true, sameSite: 'Strict', path: '/' })]);
    // Evaluated in the page (a string: the test's TypeScript has no DOM types).
    const stored = String(
      await page.evaluate('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie })'),
    );
    expect(stored).not.toContain(org.owner.apiKey);
    expect(stored).not.toContain(cookies[0]?.value);
  });

  it('a reload keeps the session; Sign out ends it on the server and shows the sign-in form', async () => {
    await page.reload();
    await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
    const before = (await browser.context.cookies(app.url))[0]?.value ?? '';
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await page.getByText('You signed out.').isVisible()).toBe(true);
    expect(await browser.context.cookies(app.url)).toEqual([]);
    // The old cookie value no longer opens anything.
    expect((await app.t.api.get('/v1/me').set('Cookie', `forgelink_session=${before}`)).status).toBe(401);
    await page.reload();
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
  });
});
