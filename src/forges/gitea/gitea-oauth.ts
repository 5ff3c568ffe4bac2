import { type OAuthClient } from '../../modules/git-providers/application/ports/forge.js';
import { type ForgeHttp } from '../shared/forge-http.js';
import { createOAuth2Client, type OAuth2ErrorAnswer, type OAuth2Rejection } from '../shared/oauth2-client.js';

/** OAuth2 authorization-code flow of a Gitea or Forgejo instance (`<giteaUrl>/login/oauth/*`). */
export function createGiteaOAuth(http: ForgeHttp, giteaUrl: string): OAuthClient {
  const base = trimSlash(giteaUrl);
  return createOAuth2Client(http, {
    label: 'Gitea/Forgejo',
    authorizeUrl: `${base}/login/oauth/authorize`,
    tokenUrl: `${base}/login/oauth/access_token`,
    classifyError: rejection,
  });
}

/**
 * Gitea answers a used code or refresh token with `unauthorized_client` ("client is not authorized",
 * "token was already used"), a deleted grant with `invalid_grant`; a wrong client id/secret or redirect URI
 * is a configuration fault, not something re-authorising fixes.
 */
function rejection({ status, error, description, what }: OAuth2ErrorAnswer): OAuth2Rejection {
  if (error === undefined) return { kind: 'bad_response', message: `Gitea/Forgejo answered ${status} to ${what}` };
  const detail = description ? `${error}: ${description}` : error;
  const configFault = error === 'invalid_client' || /client secret|redirect uri|client id/i.test(description ?? '');
  if (configFault)
    return {
      kind: 'unauthorized',
      message: `Gitea/Forgejo rejected the OAuth2 application while ${what} (${detail}); check the client id, secret and redirect URI`,
    };
  if (error === 'invalid_grant' || error === 'unauthorized_client' || error === 'invalid_request') {
    return { kind: 'invalid_grant', message: `Gitea/Forgejo refused the grant while ${what} (${detail}); authorise again` };
  }
  return { kind: 'bad_response', message: `Gitea/Forgejo answered ${status} to ${what} (${detail})` };
}

export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
