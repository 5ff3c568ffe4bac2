import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { type Config } from '../../../src/config.js';

/** Debian's Chromium (apt `chromium`); .ci/run installs it. */
export const CHROMIUM = '/usr/bin/chromium';
export const browserAvailable = existsSync(CHROMIUM) || Boolean(process.env.CI);
if (!browserAvailable)
  console.warn(`No Chromium at ${CHROMIUM}: skipping the console's browser tests (CI installs it: apt-get install chromium)`);

/** Where the test run leaves a screenshot of each page (git-ignored). */
export const SCREENSHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');

export interface ConsoleApp {
  readonly t: TestApp;
  /** http://127.0.0.1:PORT — also PUBLIC_URL and DASHBOARD_URL, so forges send the browser back here. */
  readonly url: string;
  close(): Promise<void>;
}

/** The real app listening on 127.0.0.1 (PUBLIC_URL = its own address, as with `npm start`). */
export async function startConsoleApp(overrides: Partial<Config> = {}): Promise<ConsoleApp> {
  const t = await startTestApp({ publicUrl: undefined, dashboardUrl: undefined, ...overrides });
  const server: Server = createServer(t.app.http);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.app.urls.setDefault(url);
  return {
    t,
    url,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.close();
    },
  };
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** One headless Chromium per test file, with an empty profile of its own; only 127.0.0.1 is reached. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'forgelink-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(10_000);
  // Anything but loopback is refused before it leaves the browser.
  await context.route(/^(?!https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/)/, (route) => route.abort('blockedbyclient'));
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A screenshot of the page as it is now, into console/test/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, url: string, apiKey: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
