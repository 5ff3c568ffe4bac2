import { z } from 'zod';
import { type ForgeErrorKind, type OAuthClient, type OAuthTokens } from '../../modules/git-providers/application/ports/forge.js';
import { type ForgeHttp } from './forge-http.js';

/** An OAuth2 error answer (RFC 6749 §5.2) as the token endpoint sent it; `error` is absent when the body was not one. */
export interface OAuth2ErrorAnswer {
  readonly status: number;
  readonly error?: string;
  readonly description?: string;
  /** Names the call: "refreshing the access token". */
  readonly what: string;
}

/** How a forge classifies a rejected grant request. */
export interface OAuth2Rejection {
  readonly kind: ForgeErrorKind;
  readonly message: string;
}

/** What differs between the authorization-code flows of GitLab and Gitea/Forgejo. */
export interface OAuth2Dialect {
  /** Names the forge in error messages. */
  readonly label: string;
  readonly authorizeUrl: string;
  /** Sent on the authorize URL after client_id, redirect_uri, response_type and state (GitLab's scope). */
  readonly authorizeParams?: Readonly<Record<string, string>>;
  readonly tokenUrl: string;
  /** When the access token dies; only called with a positive expires_in. Counts from now unless given. */
  expiresAt?(token: { readonly expiresIn: number; readonly createdAt?: number }, now: number): Date;
  /** The ForgeError kind and message of a 400/401 from the token endpoint. */
  classifyError(answer: OAuth2ErrorAnswer): OAuth2Rejection;
}

const positiveSeconds = z.preprocess(
  (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
  z.number().finite().positive().optional().catch(undefined),
);

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().nullish(),
  // Self-hosted GitLab may omit expires_in (Dokploy#4362 stored NaN and then refreshed on every call).
  expires_in: positiveSeconds,
  created_at: positiveSeconds,
});

const errorAnswer = z.object({ error: z.string(), error_description: z.string().nullish() });

const REJECTED = [400, 401];

const fromNow = ({ expiresIn }: { readonly expiresIn: number }, now: number): Date => new Date(now + expiresIn * 1000);

export function createOAuth2Client(http: ForgeHttp, dialect: OAuth2Dialect): OAuthClient {
  const requestTokens = async (params: Record<string, string>, what: string): Promise<OAuthTokens> => {
    const response = await http.request<unknown>({
      method: 'POST',
      url: dialect.tokenUrl,
      body: new URLSearchParams(params),
      allowStatus: REJECTED,
      // Refresh tokens are single-use (GitLab, Forgejo/Codeberg): a retry after a lost answer would burn the pair just issued.
      retry: false,
      what,
    });
    if (REJECTED.includes(response.status)) {
      const parsed = errorAnswer.safeParse(response.data);
      const answer = parsed.success
        ? { error: parsed.data.error, ...(parsed.data.error_description ? { description: parsed.data.error_description } : {}) }
        : {};
      const { kind, message } = dialect.classifyError({ status: response.status, what, ...answer });
      throw http.error(kind, message, response.status);
    }
    const parsed = tokenAnswer.safeParse(response.data);
    if (!parsed.success) throw http.error('bad_response', `${dialect.label} answered ${what} without an access token`, response.status);
    const { access_token, refresh_token, expires_in, created_at } = parsed.data;
    const expiresAt =
      expires_in === undefined ? undefined : (dialect.expiresAt ?? fromNow)({ expiresIn: expires_in, createdAt: created_at }, Date.now());
    return { accessToken: access_token, ...(refresh_token ? { refreshToken: refresh_token } : {}), ...(expiresAt ? { expiresAt } : {}) };
  };

  return {
    authorizeUrl({ clientId, redirectUri, state }) {
      const query = new URLSearchParams({
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        state,
        ...dialect.authorizeParams,
      });
      return `${dialect.authorizeUrl}?${query.toString()}`;
    },
    exchangeCode({ code, clientId, clientSecret, redirectUri }) {
      return requestTokens(
        { grant_type: 'authorization_code', code, client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri },
        'exchanging the authorization code',
      );
    },
    refresh({ refreshToken, clientId, clientSecret, redirectUri }) {
      return requestTokens(
        {
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uri: redirectUri,
        },
        'refreshing the access token',
      );
    },
  };
}
