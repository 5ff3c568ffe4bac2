import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { ForgeError, type OAuthClient } from '../../../src/modules/git-providers/application/ports/forge.js';
import { ForgeHttp } from '../../../src/forges/shared/forge-http.js';
import { UrlGuard } from '../../../src/forges/shared/url-guard.js';
import { createGiteaOAuth } from '../../../src/forges/gitea/index.js';
import { FakeGitea, type FakeGiteaOptions } from '../../fakes/gitea-server.js';

const app = { clientId: 'client-1', clientSecret: 'shh', redirectUri: 'http://127.0.0.1:9/v1/callbacks/gitea' };
const credentials = { clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: app.redirectUri };

async function failure(promise: Promise<unknown>): Promise<ForgeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ForgeError);
  return error as ForgeError;
}

describe.each(['gitea', 'forgejo'] as const)('Gitea OAuth2 client against a %s server', (flavor) => {
  let fake: FakeGitea;
  let oauth: OAuthClient;

  async function start(options: FakeGiteaOptions = {}, guard = new UrlGuard(['127.0.0.1'])): Promise<void> {
    await fake?.stop();
    fake = new FakeGitea({ flavor, ...options });
    await fake.start();
    fake.addApplication(app);
    oauth = createGiteaOAuth(new ForgeHttp({ forge: 'gitea', guard, retryBaseMs: 1 }), `${fake.url}/`);
  }

  const tokenRequests = () => fake.requests.filter((r) => r.path === '/login/oauth/access_token');

  beforeEach(() => start());
  afterEach(() => fake.stop());

  it('builds the authorize URL the server redirects back from with a code and the state', async () => {
    const url = oauth.authorizeUrl({ clientId: app.clientId, redirectUri: app.redirectUri, state: 'st@te/1' });

    const parsed = new URL(url);
    expect(`${parsed.origin}${parsed.pathname}`).toBe(`${fake.url}/login/oauth/authorize`);
    expect(Object.fromEntries(parsed.searchParams)).toEqual({
      client_id: app.clientId,
      redirect_uri: app.redirectUri,
      response_type: 'code',
      state: 'st@te/1',
    });

    const answer = await fetch(url, { redirect: 'manual' });
    expect(answer.status).toBe(302);
    const back = new URL(answer.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(app.redirectUri);
    expect(back.searchParams.get('state')).toBe('st@te/1');
    const code = back.searchParams.get('code');
    expect(code).toBeTruthy();

    const tokens = await oauth.exchangeCode({ ...credentials, code: code ?? '' });
    expect(fake.isAccessTokenValid(tokens.accessToken)).toBe(true);
  });

  it('exchanges a code once; a second use is invalid_grant', async () => {
    const code = fake.issueCode(app.clientId);
    const before = Date.now();

    const tokens = await oauth.exchangeCode({ ...credentials, code });

    expect(tokens.refreshToken).toBeTruthy();
    expect(tokens.expiresAt?.getTime()).toBeGreaterThanOrEqual(before + 3600_000);
    expect(tokens.expiresAt?.getTime()).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect((await failure(oauth.exchangeCode({ ...credentials, code }))).kind).toBe('invalid_grant');
    expect(fake.tokenExchangeCount).toBe(2);
  });

  it('reports a wrong client secret as unauthorized, not as a grant to re-authorise', async () => {
    const code = fake.issueCode(app.clientId);

    const error = await failure(oauth.exchangeCode({ ...credentials, clientSecret: 'wrong', code }));

    expect(error.kind).toBe('unauthorized');
    expect(error.message).toContain('client secret');
  });

  it('refreshes once per refresh token: the old pair is dead, reusing the old refresh token is invalid_grant', async () => {
    const first = await oauth.exchangeCode({ ...credentials, code: fake.issueCode(app.clientId) });

    const second = await oauth.refresh({ ...credentials, refreshToken: first.refreshToken ?? '' });

    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(fake.isAccessTokenValid(second.accessToken)).toBe(true);
    expect(fake.isAccessTokenValid(first.accessToken)).toBe(false);
    expect((await failure(oauth.refresh({ ...credentials, refreshToken: first.refreshToken ?? '' }))).kind).toBe('invalid_grant');
    expect(fake.refreshCount).toBe(2);
    // the failed reuse did not hurt the current pair
    expect(fake.isAccessTokenValid(second.accessToken)).toBe(true);
  });

  it('never retries the token request, so a refresh cannot burn the pair it just received', async () => {
    const { refreshToken } = fake.issueTokens(app.clientId);
    fake.failNext(503, 1, {}, { path: '/login/oauth/access_token' });

    expect((await failure(oauth.refresh({ ...credentials, refreshToken }))).kind).toBe('unavailable');
    expect(tokenRequests()).toHaveLength(1);
  });

  it('answers invalid_grant after the user revoked the application', async () => {
    const { refreshToken } = fake.issueTokens(app.clientId);
    fake.revokeGrant();

    expect((await failure(oauth.refresh({ ...credentials, refreshToken }))).kind).toBe('invalid_grant');
  });

  it('leaves expiresAt undefined (never NaN) when the server omits expires_in', async () => {
    await start({ tokenLifetimeSeconds: null });

    const tokens = await oauth.exchangeCode({ ...credentials, code: fake.issueCode(app.clientId) });

    expect(tokens.accessToken).toBeTruthy();
    expect('expiresAt' in tokens).toBe(false);
    expect(tokens.expiresAt).toBeUndefined();
  });

  it('maps a token answer without an access token, or not JSON, to bad_response', async () => {
    fake.failNext(200, 1, {}, { path: '/login/oauth/access_token', body: '{"token_type":"bearer"}' });
    expect((await failure(oauth.exchangeCode({ ...credentials, code: 'x' }))).kind).toBe('bad_response');

    fake.failNext(200, 1, {}, { path: '/login/oauth/access_token', body: '<html>login</html>' });
    expect((await failure(oauth.exchangeCode({ ...credentials, code: 'x' }))).kind).toBe('bad_response');
  });

  it('refuses a server the SSRF guard does not allow, without sending the client secret', async () => {
    await start({}, new UrlGuard([]));

    expect((await failure(oauth.exchangeCode({ ...credentials, code: fake.issueCode(app.clientId) }))).kind).toBe('blocked_url');
    expect(fake.requests).toHaveLength(0);
  });
});
