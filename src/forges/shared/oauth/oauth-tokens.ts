import { Secret } from '../../../shared/secret.js';
import { type UnitOfWork } from '../../../shared/unit-of-work.js';
import { type Metrics, NO_METRICS } from '../../../shared/metrics.js';
import { type GitProvider } from '../../../modules/git-providers/domain/git-provider.js';
import { type GitProviderRepository } from '../../../modules/git-providers/domain/git-provider-repository.js';
import { ForgeError, type ForgeName, type OAuthClient } from '../../../modules/git-providers/application/ports/forge.js';

/**
 * The settings every OAuth forge keeps: its OAuth application (the field its kind names), the redirect URI, and when
 * the access token expires and was issued.
 */
export interface OAuthSettings {
  readonly redirectUri: string;
  readonly tokenExpiresAt?: string;
  readonly tokenIssuedAt?: string;
}

/** The OAuth application's client id and redirect URI as the provider holds them. */
export function oauthClientOf(provider: GitProvider): { clientId: string; redirectUri: string } {
  const field = provider.kind().oauthClientField;
  if (field === undefined) throw new Error(`Provider ${provider.id} does not use OAuth`);
  const settings = provider.settings as unknown as OAuthSettings & Record<string, unknown>;
  return { clientId: String(settings[field]), redirectUri: settings.redirectUri };
}

/**
 * Refresh this long before the forge says the token expires: 10 % of the token's lifetime, at most 2 minutes. A
 * fixed 2-minute margin refreshed a 60-second token (Gitea's ACCESS_TOKEN_EXPIRATION_TIME can be that short) on every
 * request (FORGES.md "Short-lived OAuth tokens exist"); GitLab's 2-hour tokens keep the 2 minutes.
 */
export const EARLY_REFRESH_MAX_MS = 2 * 60_000;
export const EARLY_REFRESH_FRACTION = 0.1;

/** The early-refresh margin for a token issued at `issuedAt` (ms) expiring at `expiresAt` (ms); no known issue time → the maximum. */
export function earlyRefreshMarginMs(expiresAt: number, issuedAt: number | undefined): number {
  if (issuedAt === undefined || !Number.isFinite(issuedAt) || issuedAt >= expiresAt) return EARLY_REFRESH_MAX_MS;
  return Math.min(EARLY_REFRESH_MAX_MS, (expiresAt - issuedAt) * EARLY_REFRESH_FRACTION);
}

/**
 * Access tokens of OAuth providers (every forge with an OAuth capability: GitLab, Gitea/Forgejo). Refresh tokens are single-use: two refreshes
 * at once log the user out. So a refresh happens under the provider's row lock, re-reads after taking it
 * (another instance may have refreshed already) and stores the new pair in the same transaction.
 * Concurrent callers in this process share one refresh attempt.
 */
export class OAuthTokens {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly oauthFor: (provider: GitProvider) => OAuthClient,
    private readonly now: () => Date = () => new Date(),
    private readonly metrics: Pick<Metrics, 'oauthRefresh'> = NO_METRICS,
    private readonly nameOf: (type: string) => ForgeName = (type) => ({ type, label: type }),
  ) {}

  /** A usable access token, refreshed first when it is (about to be) expired. */
  async accessToken(providerId: string): Promise<string> {
    const provider = await this.uow.read(() => this.providers.findById(providerId));
    if (!provider) throw new ForgeError('oauth', 'unauthorized', 'The provider no longer exists');
    const token = provider.secret('accessToken');
    if (token && !this.expiresSoon(provider)) return token.reveal();
    return this.refresh(providerId, token?.reveal());
  }

  /**
   * Refreshes unless someone else already replaced `staleToken` (used after a 401: a token without a
   * known expiry is only refreshed when the forge rejects it, never on every call).
   */
  refresh(providerId: string, staleToken: string | undefined): Promise<string> {
    const running = this.inFlight.get(providerId);
    if (running) return running;
    const attempt = this.refreshLocked(providerId, staleToken).finally(() => this.inFlight.delete(providerId));
    this.inFlight.set(providerId, attempt);
    return attempt;
  }

  private async refreshLocked(providerId: string, staleToken: string | undefined): Promise<string> {
    let revoked: ForgeError | undefined;
    const token = await this.uow.run(async () => {
      const provider = await this.providers.findByIdForUpdate(providerId);
      if (!provider) throw new ForgeError('oauth', 'unauthorized', 'The provider no longer exists');
      const forge = this.nameOf(provider.type);
      const current = provider.secret('accessToken')?.reveal();
      if (current && current !== staleToken && !this.expiresSoon(provider)) return current;
      const refreshToken = provider.secret('refreshToken');
      const clientSecret = provider.secret('clientSecret');
      if (!refreshToken || !clientSecret) {
        provider.requireReauthorization();
        await this.providers.save(provider);
        revoked = new ForgeError(forge, 'invalid_grant', 'The provider has no refresh token; authorise it again');
        return undefined;
      }
      const { clientId, redirectUri } = oauthClientOf(provider);
      try {
        const tokens = await this.oauthFor(provider).refresh({
          refreshToken: refreshToken.reveal(),
          clientId,
          clientSecret: clientSecret.reveal(),
          redirectUri,
        });
        provider.refreshGrant(
          {
            accessToken: Secret.of(tokens.accessToken),
            refreshToken: tokens.refreshToken ? Secret.of(tokens.refreshToken) : undefined,
            expiresAt: tokens.expiresAt,
          },
          this.now(),
        );
        await this.providers.save(provider);
        this.metrics.oauthRefresh(forge.type, 'ok');
        return tokens.accessToken;
      } catch (error) {
        if (error instanceof ForgeError && (error.kind === 'invalid_grant' || error.kind === 'unauthorized')) {
          this.metrics.oauthRefresh(forge.type, 'revoked');
          provider.requireReauthorization();
          await this.providers.save(provider);
          revoked = new ForgeError(forge, 'invalid_grant', 'The forge revoked the authorisation; authorise the provider again');
          return undefined;
        }
        this.metrics.oauthRefresh(forge.type, 'failed');
        throw error;
      }
    });
    if (revoked) throw revoked;
    return token as string;
  }

  private expiresSoon(provider: GitProvider): boolean {
    const settings = provider.settings as unknown as OAuthSettings;
    if (!settings.tokenExpiresAt) return false;
    const at = Date.parse(settings.tokenExpiresAt);
    if (Number.isNaN(at)) return true;
    const issued = settings.tokenIssuedAt ? Date.parse(settings.tokenIssuedAt) : undefined;
    return at - this.now().getTime() <= earlyRefreshMarginMs(at, issued);
  }
}
