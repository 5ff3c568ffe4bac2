import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ForgeError, type OAuthClient } from '../../../src/modules/git-providers/application/ports/forge.js';
import { ConditionalCache, ForgeHttp } from '../../../src/forges/shared/forge-http.js';
import { UrlGuard } from '../../../src/forges/shared/url-guard.js';
import { createGitLabOAuth } from '../../../src/forges/gitlab/gitlab-oauth.js';
import { createGitLabApi } from '../../../src/forges/gitlab/gitlab-api.js';
import { FakeGitLab, undocumentedGitLabRequests } from '../../fakes/gitlab-server.js';

const guard = new UrlGuard(['127.0.0.1']);
const app = { clientId: 'app-123', clientSecret: 'shh-secret', redirectUri: 'https://forgelink.example.com/v1/callbacks/gitlab' };
const fake = new FakeGitLab();

const http = (g: UrlGuard = guard) => new ForgeHttp({ forge: 'gitlab', guard: g, cache: new ConditionalCache(), retryBaseMs: 1 });
let oauth: OAuthClient;

async function forgeError(promise: Promise<unknown>): Promise<ForgeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ForgeError);
  return error as ForgeError;
}

const exchange = (code: string) =>
  oauth.exchangeCode({ code, clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: app.redirectUri });
const refresh = (refreshToken: string) =>
  oauth.refresh({ refreshToken, clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: app.redirectUri });
const tokenRequests = () => fake.requests.filter((r) => r.template === 'POST /oauth/token');

beforeAll(async () => {
  await fake.start();
  fake.addApplication(app);
  oauth = createGitLabOAuth(http(), fake.url);
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  fake.options.omitExpiresIn = false;
  fake.options.accessTokenTtlSeconds = 7200;
  fake.clearLog();
  fake.clearFailures();
});

describe('GitLab OAuth', () => {
  it('builds the authorize URL with the scopes forgelink needs, on self-hosted paths too', () => {
    const url = new URL(
      createGitLabOAuth(http(), 'https://git.example.com/gitlab/').authorizeUrl({
        clientId: 'cid',
        redirectUri: app.redirectUri,
        state: 's t&1',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://git.example.com/gitlab/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'cid',
      redirect_uri: app.redirectUri,
      response_type: 'code',
      state: 's t&1',
      scope: 'api read_user read_repository',
    });
  });

  it('follows the authorize redirect and exchanges the code for a working token pair', async () => {
    const authorize = oauth.authorizeUrl({ clientId: app.clientId, redirectUri: app.redirectUri, state: 'state-42' });
    const response = await fetch(authorize, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const callback = new URL(response.headers.get('location') ?? '');
    expect(callback.origin + callback.pathname).toBe(app.redirectUri);
    expect(callback.searchParams.get('state')).toBe('state-42');
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();

    const before = Date.now();
    const tokens = await exchange(code ?? '');

    expect(fake.isAccessTokenValid(tokens.accessToken)).toBe(true);
    expect(tokens.refreshToken).toBeTruthy();
    const expiresAt = tokens.expiresAt?.getTime() ?? 0;
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 7200_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 7200_000);
    expect(fake.tokenExchangeCount).toBe(1);
    expect(undocumentedGitLabRequests(fake.requests)).toEqual([]);

    fake.setProjects(['acme/app']);
    const api = createGitLabApi(http(), { gitlabUrl: fake.url, cacheScope: 'oauth', accessToken: async () => tokens.accessToken });
    expect((await api.listRepositories()).map((r) => r.fullName)).toEqual(['acme/app']);
  });

  it('refuses a code used twice with invalid_grant', async () => {
    const code = fake.issueCode(app.clientId);
    await exchange(code);
    expect((await forgeError(exchange(code))).kind).toBe('invalid_grant');
  });

  it('refresh returns a new pair; the old refresh and access tokens are then dead (gitlab#372358)', async () => {
    const first = await exchange(fake.issueCode(app.clientId));
    const second = await refresh(first.refreshToken ?? '');

    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).toBeTruthy();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(fake.refreshCount).toBe(1);
    expect(fake.isAccessTokenValid(first.accessToken)).toBe(false);
    expect(fake.isAccessTokenValid(second.accessToken)).toBe(true);

    const reuse = await forgeError(refresh(first.refreshToken ?? ''));
    expect(reuse).toMatchObject({ forge: 'gitlab', kind: 'invalid_grant', status: 400 });
    expect(fake.isAccessTokenValid(second.accessToken)).toBe(true);
  });

  it('sends the refresh once: a 5xx is not retried, because a lost answer would burn the new pair', async () => {
    const tokens = await exchange(fake.issueCode(app.clientId));
    fake.clearLog();
    fake.failNext(503, 1);

    expect((await forgeError(refresh(tokens.refreshToken ?? ''))).kind).toBe('unavailable');
    expect(tokenRequests()).toHaveLength(1);
  });

  it('leaves expiresAt undefined, never NaN, when GitLab omits expires_in (Dokploy#4362)', async () => {
    fake.options.omitExpiresIn = true;
    const tokens = await exchange(fake.issueCode(app.clientId));
    expect(tokens.expiresAt).toBeUndefined();
    const refreshed = await refresh(tokens.refreshToken ?? '');
    expect(refreshed.expiresAt).toBeUndefined();
    expect(refreshed).not.toHaveProperty('expiresAt', expect.any(Date));
  });

  it('answers invalid_grant once the user revoked the grant', async () => {
    const tokens = await exchange(fake.issueCode(app.clientId));
    fake.revokeGrant();
    expect((await forgeError(refresh(tokens.refreshToken ?? ''))).kind).toBe('invalid_grant');
    expect(fake.isAccessTokenValid(tokens.accessToken)).toBe(false);
  });

  it('reports a wrong client secret as unauthorized, not as a lost grant', async () => {
    const code = fake.issueCode(app.clientId);
    const error = await forgeError(
      oauth.exchangeCode({ code, clientId: app.clientId, clientSecret: 'wrong', redirectUri: app.redirectUri }),
    );
    expect(error).toMatchObject({ kind: 'unauthorized', status: 401 });
  });

  it('refuses a code exchanged with another redirect URI', async () => {
    const code = fake.issueCode(app.clientId);
    const error = await forgeError(
      oauth.exchangeCode({ code, clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: 'https://evil.example.com/cb' }),
    );
    expect(error.kind).toBe('invalid_grant');
  });

  it('does not reach a token endpoint the SSRF guard refuses', async () => {
    const blocked = createGitLabOAuth(http(new UrlGuard([])), fake.url);
    expect(
      (
        await forgeError(
          blocked.refresh({ refreshToken: 'r', clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: app.redirectUri }),
        )
      ).kind,
    ).toBe('blocked_url');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('GitLab token expiry arithmetic', () => {
  // A stub fetch stands in for the server so the clock values are exact.
  const answering = (body: unknown) =>
    createGitLabOAuth(
      new ForgeHttp({
        forge: 'gitlab',
        guard,
        fetch: async () => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } }),
      }),
      'http://127.0.0.1:9',
    );
  const run = (body: unknown) =>
    answering(body).refresh({ refreshToken: 'r', clientId: 'c', clientSecret: 's', redirectUri: 'https://x.example.com' });

  it('counts from created_at when GitLab sends it', async () => {
    const createdAt = Math.floor(Date.now() / 1000) - 120;
    const tokens = await run({ access_token: 'a', refresh_token: 'r2', expires_in: 7200, created_at: createdAt });
    expect(tokens.expiresAt?.getTime()).toBe((createdAt + 7200) * 1000);
  });

  it('counts from now when created_at is missing or from a badly skewed clock', async () => {
    for (const createdAt of [undefined, Math.floor(Date.now() / 1000) - 86_400]) {
      const before = Date.now();
      const tokens = await run({ access_token: 'a', refresh_token: 'r2', expires_in: 60, created_at: createdAt });
      expect(tokens.expiresAt?.getTime()).toBeGreaterThanOrEqual(before + 60_000);
      expect(tokens.expiresAt?.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
    }
  });

  it('ignores an expires_in that is not a positive number', async () => {
    for (const expiresIn of [null, 'soon', 0, -5]) {
      const tokens = await run({ access_token: 'a', expires_in: expiresIn, created_at: Math.floor(Date.now() / 1000) });
      expect(tokens.expiresAt).toBeUndefined();
    }
  });

  it('rejects an answer without an access token as bad_response', async () => {
    expect((await forgeError(run({ token_type: 'Bearer' }))).kind).toBe('bad_response');
  });
});
