import { type OAuthClient } from '../../modules/git-providers/application/ports/forge.js';
import { type ForgeHttp } from '../shared/forge-http.js';
import { createOAuth2Client } from '../shared/oauth2-client.js';
import { gitlabBaseUrl } from './gitlab-urls.js';

/** The scopes forgelink asks for: `api` to manage project hooks, the read scopes for listing and cloning. */
export const GITLAB_OAUTH_SCOPES = 'api read_user read_repository';

// A server clock further off than this makes created_at useless: expiry then counts from our own clock.
const MAX_CLOCK_SKEW_MS = 10 * 60_000;

export function createGitLabOAuth(http: ForgeHttp, gitlabUrl: string): OAuthClient {
  if (http.forge !== 'gitlab') throw new Error(`createGitLabOAuth needs a ForgeHttp for gitlab, got ${http.forge}`);
  const base = gitlabBaseUrl(gitlabUrl);
  return createOAuth2Client(http, {
    label: 'GitLab',
    authorizeUrl: `${base}/oauth/authorize`,
    authorizeParams: { scope: GITLAB_OAUTH_SCOPES },
    tokenUrl: `${base}/oauth/token`,
    expiresAt({ expiresIn, createdAt }, now) {
      const issuedMs = createdAt !== undefined && Math.abs(createdAt * 1000 - now) <= MAX_CLOCK_SKEW_MS ? createdAt * 1000 : now;
      return new Date(issuedMs + expiresIn * 1000);
    },
    classifyError({ status, error, what }) {
      if (error === 'invalid_grant')
        return { kind: 'invalid_grant', message: `GitLab rejected the grant while ${what}: authorise forgelink on GitLab again` };
      if (error === 'invalid_client')
        return {
          kind: 'unauthorized',
          message: `GitLab rejected the OAuth application while ${what}: check the application id and secret`,
        };
      return { kind: 'bad_response', message: `GitLab answered ${status}${error ? ` (${error})` : ''} while ${what}` };
    },
  });
}
