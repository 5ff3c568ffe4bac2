import { z } from 'zod';
import { type OAuthClient, type OAuthTokens } from '../../../application/ports/forge.js';
import { type ForgeHttp } from '../shared/forge-http.js';
import { gitlabBaseUrl } from './gitlab-urls.js';

/** The scopes forgelink asks for: `api` to manage project hooks, the read scopes for listing and cloning. */
export const GITLAB_OAUTH_SCOPES = 'api read_user read_repository';

// A server clock further off than this makes created_at useless: expiry then counts from our own clock.
const MAX_CLOCK_SKEW_MS = 10 * 60_000;

const positiveSeconds = z.preprocess(
  (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
  z.number().finite().positive().optional().catch(undefined),
);

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional().nullable(),
  // Self-hosted GitLab may omit expires_in (Dokploy#4362 stored NaN and then refreshed on every call).
  expires_in: positiveSeconds,
  created_at: positiveSeconds,
});

const errorAnswer = z.object({ error: z.string(), error_description: z.string().optional() }).partial();

export function createGitLabOAuth(http: ForgeHttp, gitlabUrl: string): OAuthClient {
  if (http.forge !== 'gitlab') throw new Error(`createGitLabOAuth needs a ForgeHttp for gitlab, got ${http.forge}`);
  const base = gitlabBaseUrl(gitlabUrl);
  const tokenUrl = `${base}/oauth/token`;

  const requestTokens = async (params: Record<string, string>, what: string): Promise<OAuthTokens> => {
    const response = await http.request<unknown>({
      method: 'POST',
      url: tokenUrl,
      body: new URLSearchParams(params),
      allowStatus: [400, 401],
      // Refresh tokens are single-use: retrying after a lost answer would burn the pair GitLab just issued.
      retry: false,
      what,
    });
    if (response.status === 400 || response.status === 401) {
      const parsed = errorAnswer.safeParse(response.data);
      const error = parsed.success ? parsed.data.error : undefined;
      if (error === 'invalid_grant') {
        throw http.error('invalid_grant', `GitLab rejected the grant while ${what}: authorise forgelink on GitLab again`, response.status);
      }
      if (error === 'invalid_client') {
        throw http.error('unauthorized', `GitLab rejected the OAuth application while ${what}: check the application id and secret`, response.status);
      }
      throw http.error('bad_response', `GitLab answered ${response.status}${error ? ` (${error})` : ''} while ${what}`, response.status);
    }
    const parsed = tokenAnswer.safeParse(response.data);
    if (!parsed.success) throw http.error('bad_response', `GitLab answered ${what} without an access token`, response.status);
    return {
      accessToken: parsed.data.access_token,
      refreshToken: parsed.data.refresh_token ?? undefined,
      expiresAt: expiresAt(parsed.data.expires_in, parsed.data.created_at),
    };
  };

  return {
    authorizeUrl({ clientId, redirectUri, state }) {
      const query = [
        ['client_id', clientId],
        ['redirect_uri', redirectUri],
        ['response_type', 'code'],
        ['state', state],
        ['scope', GITLAB_OAUTH_SCOPES],
      ]
        .map(([key, value]) => `${key}=${encodeURIComponent(value ?? '')}`)
        .join('&');
      return `${base}/oauth/authorize?${query}`;
    },

    exchangeCode({ code, clientId, clientSecret, redirectUri }) {
      return requestTokens(
        { grant_type: 'authorization_code', code, client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri },
        'exchanging the authorization code',
      );
    },

    refresh({ refreshToken, clientId, clientSecret, redirectUri }) {
      return requestTokens(
        { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri },
        'refreshing the access token',
      );
    },
  };
}

function expiresAt(expiresIn: number | undefined, createdAt: number | undefined, now = Date.now()): Date | undefined {
  if (expiresIn === undefined) return undefined;
  const issuedMs = createdAt !== undefined && Math.abs(createdAt * 1000 - now) <= MAX_CLOCK_SKEW_MS ? createdAt * 1000 : now;
  return new Date(issuedMs + expiresIn * 1000);
}
