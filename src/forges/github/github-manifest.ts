import { createAppAuth } from '@octokit/auth-app';
import { z } from 'zod';
import { ForgeError } from '../../modules/git-providers/application/ports/forge.js';
import { type GitHubDeps, gitHubApiBase, gitHubOctokit, toForgeError, GITHUB } from './github-transport.js';

export interface AppManifestInput {
  readonly name: string;
  /** The provider's webhook URL: PUBLIC_URL/v1/webhooks/{providerId}. */
  readonly webhookUrl: string;
  /** Where GitHub sends the browser with ?code after the app is created. */
  readonly redirectUrl: string;
  /** Where GitHub sends the browser with ?installation_id after an install (or an update, via setup_on_update). */
  readonly setupUrl: string;
  /** OAuth user-authorization callback. */
  readonly callbackUrl: string;
  /** The app's homepage (the manifest requires one). */
  readonly publicUrl: string;
}

export interface ConvertedApp {
  readonly appId: number;
  readonly slug: string;
  readonly htmlUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly webhookSecret: string;
  readonly privateKey: string;
}

/**
 * The GitHub App manifest forgelink asks GitHub to create: read access to code, write access to commit statuses only
 * (the deployer's reports, ADR 0018); push and pull_request events, and repository events (created, deleted, renamed,
 * transferred), which invalidate the cached repositories list.
 */
export function buildAppManifest(input: AppManifestInput): Record<string, unknown> {
  return {
    name: input.name,
    url: input.publicUrl,
    hook_attributes: { url: input.webhookUrl, active: true },
    redirect_url: input.redirectUrl,
    callback_urls: [input.callbackUrl],
    setup_url: input.setupUrl,
    setup_on_update: true,
    public: false,
    default_permissions: { contents: 'read', metadata: 'read', pull_requests: 'read', statuses: 'write' },
    default_events: ['push', 'pull_request', 'repository'],
  };
}

/** Where the browser POSTs the manifest form; GitHub hands `state` back on the redirect. */
export function manifestPostUrl(githubUrl: string, organization?: string, state?: string): string {
  const base = githubUrl.trim().replace(/\/+$/, '');
  const path = organization ? `/organizations/${encodeURIComponent(organization)}/settings/apps/new` : '/settings/apps/new';
  return `${base}${path}${state ? `?state=${encodeURIComponent(state)}` : ''}`;
}

/** The app's install page; GitHub passes `state` on to the setup URL together with installation_id. */
export function installUrl(appHtmlUrl: string, state: string): string {
  return `${appHtmlUrl.replace(/\/+$/, '')}/installations/new?state=${encodeURIComponent(state)}`;
}

const conversionSchema = z.object({
  id: z.number().int().positive(),
  slug: z.string().min(1),
  html_url: z.string().min(1),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  webhook_secret: z.string().min(1),
  pem: z.string().min(1),
});

/**
 * Trades the one-hour, single-use manifest code for the new app's credentials (no auth needed).
 * A used, expired or unknown code is ForgeError('invalid_grant').
 */
export async function convertManifest(deps: GitHubDeps, githubUrl: string, code: string): Promise<ConvertedApp> {
  const what = 'converting the app manifest';
  // Never retried: if GitHub converted the code before failing, a retry would only meet a used code.
  const octokit = gitHubOctokit(deps, { apiBase: gitHubApiBase(githubUrl), retries: 0 });
  let data: unknown;
  try {
    data = (await octokit.request('POST /app-manifests/{code}/conversions', { code })).data;
  } catch (error) {
    const failure = toForgeError(error, what);
    if (failure.kind === 'not_found' || failure.status === 422) {
      throw new ForgeError(
        GITHUB,
        'invalid_grant',
        'GitHub rejected the manifest code: it is unknown, expired or already used; create the app again',
        failure.status,
      );
    }
    throw failure;
  }
  const parsed = conversionSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ForgeError(
      GITHUB,
      'bad_response',
      `GitHub answered ${what} with an unexpected shape${issue ? ` (${issue.path.join('.') || 'body'}: ${issue.message})` : ''}`,
    );
  }
  const app = parsed.data;
  return {
    appId: app.id,
    slug: app.slug,
    htmlUrl: app.html_url,
    clientId: app.client_id,
    clientSecret: app.client_secret,
    webhookSecret: app.webhook_secret,
    privateKey: app.pem,
  };
}

const appSchema = z.object({ id: z.number().int().positive(), slug: z.string().min(1), html_url: z.string().min(1) });

type AppConnection = { githubUrl: string; appId: number; privateKey: string };

/**
 * One request as the App itself (a JWT signed with its private key), single attempt; the answer's `data`.
 * Throws ForgeError: `unauthorized` for a key that is not a usable PEM, else the mapped failure of the request.
 */
async function requestAsApp(
  deps: GitHubDeps,
  conn: AppConnection,
  what: string,
  route: string,
  params: Record<string, unknown> = {},
): Promise<unknown> {
  let jwt: string;
  try {
    ({ token: jwt } = await createAppAuth({ appId: conn.appId, privateKey: conn.privateKey.replace(/\\n/g, '\n') })({ type: 'app' }));
  } catch {
    throw new ForgeError(GITHUB, 'unauthorized', 'The GitHub App private key is not a usable PEM key');
  }
  const octokit = gitHubOctokit(deps, { apiBase: gitHubApiBase(conn.githubUrl), retries: 0 });
  try {
    return (await octokit.request(route, { ...params, headers: { authorization: `Bearer ${jwt}` } })).data;
  } catch (error) {
    throw toForgeError(error, what);
  }
}

/**
 * The app's slug and page (`GET /app` with the app's JWT), so a provider set up by hand also gets an
 * `installUrl`. Single attempt: callers treat a failure as "not known yet".
 */
export async function describeApp(deps: GitHubDeps, conn: AppConnection): Promise<{ slug: string; htmlUrl: string }> {
  const what = 'reading the app';
  const parsed = appSchema.safeParse(await requestAsApp(deps, conn, what, 'GET /app'));
  if (!parsed.success) throw new ForgeError(GITHUB, 'bad_response', `GitHub answered ${what} with an unexpected shape`);
  if (parsed.data.id !== conn.appId)
    throw new ForgeError(GITHUB, 'bad_response', `GitHub answered ${what} for app ${parsed.data.id}, not ${conn.appId}`);
  return { slug: parsed.data.slug, htmlUrl: parsed.data.html_url };
}

const installationSchema = z.object({ id: z.number().int().positive(), app_id: z.number().int().positive() });

/**
 * Whether `installationId` is an installation of this App: `GET /app/installations/{installation_id}` with the
 * app's JWT (https://docs.github.com/en/rest/apps/apps#get-an-installation-for-the-authenticated-app).
 * 404 → false; any other failure is a ForgeError.
 */
export async function isInstallationOfApp(deps: GitHubDeps, conn: AppConnection, installationId: number): Promise<boolean> {
  const what = 'reading the installation';
  let data: unknown;
  try {
    data = await requestAsApp(deps, conn, what, 'GET /app/installations/{installation_id}', { installation_id: installationId });
  } catch (error) {
    if (error instanceof ForgeError && error.kind === 'not_found') return false;
    throw error;
  }
  const parsed = installationSchema.safeParse(data);
  if (!parsed.success) throw new ForgeError(GITHUB, 'bad_response', `GitHub answered ${what} with an unexpected shape`);
  return parsed.data.id === installationId && parsed.data.app_id === conn.appId;
}
