import { type OAuthClient, type OAuthTokens } from '../../../application/ports/forge.js';
import { type ForgeHttp } from '../shared/forge-http.js';
import { giteaOAuthError, giteaToken } from './gitea-schemas.js';

/** OAuth2 authorization-code flow of a Gitea or Forgejo instance (`<giteaUrl>/login/oauth/*`). */
export function createGiteaOAuth(http: ForgeHttp, giteaUrl: string): OAuthClient {
  const base = trimSlash(giteaUrl);

  const tokenRequest = async (params: Record<string, string>, what: string): Promise<OAuthTokens> => {
    const response = await http.request<unknown>({
      method: 'POST',
      url: `${base}/login/oauth/access_token`,
      body: new URLSearchParams(params),
      // Forgejo/Codeberg refresh tokens are single-use: a retried refresh would burn the pair it just received
      retry: false,
      allowStatus: [400, 401],
      what,
    });
    if (response.status !== 200) throw rejection(http, response.status, response.data, what);
    const parsed = giteaToken.safeParse(response.data);
    if (!parsed.success) throw http.error('bad_response', `Gitea/Forgejo answered ${what} without an access token`, response.status);
    const { access_token, refresh_token, expires_in } = parsed.data;
    const expiresAt = typeof expires_in === 'number' && Number.isFinite(expires_in) && expires_in > 0 ? new Date(Date.now() + expires_in * 1000) : undefined;
    return { accessToken: access_token, ...(refresh_token ? { refreshToken: refresh_token } : {}), ...(expiresAt ? { expiresAt } : {}) };
  };

  return {
    authorizeUrl({ clientId, redirectUri, state }) {
      const query = new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', state });
      return `${base}/login/oauth/authorize?${query.toString()}`;
    },
    exchangeCode({ code, clientId, clientSecret, redirectUri }) {
      return tokenRequest(
        { grant_type: 'authorization_code', code, client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri },
        'exchanging the authorization code',
      );
    },
    refresh({ refreshToken, clientId, clientSecret, redirectUri }) {
      return tokenRequest(
        { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri },
        'refreshing the access token',
      );
    },
  };
}

/**
 * Gitea answers a used code or refresh token with `unauthorized_client` ("client is not authorized",
 * "token was already used"), a deleted grant with `invalid_grant`; a wrong client id/secret or redirect URI
 * is a configuration fault, not something re-authorising fixes.
 */
function rejection(http: ForgeHttp, status: number, body: unknown, what: string) {
  const parsed = giteaOAuthError.safeParse(body);
  if (!parsed.success) return http.error('bad_response', `Gitea/Forgejo answered ${status} to ${what}`, status);
  const { error, error_description } = parsed.data;
  const detail = error_description ? `${error}: ${error_description}` : error;
  const configFault = error === 'invalid_client' || /client secret|redirect uri|client id/i.test(error_description ?? '');
  if (configFault) return http.error('unauthorized', `Gitea/Forgejo rejected the OAuth2 application while ${what} (${detail}); check the client id, secret and redirect URI`, status);
  if (error === 'invalid_grant' || error === 'unauthorized_client' || error === 'invalid_request') {
    return http.error('invalid_grant', `Gitea/Forgejo refused the grant while ${what} (${detail}); authorise again`, status);
  }
  return http.error('bad_response', `Gitea/Forgejo answered ${status} to ${what} (${detail})`, status);
}

export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
