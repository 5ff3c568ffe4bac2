import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/shared/secret.js';
import { EARLY_REFRESH_MAX_MS, OAuthTokens, earlyRefreshMarginMs } from '../../../src/forges/shared/oauth/oauth-tokens.js';
import { type OAuthClient, type OAuthTokens as Grant } from '../../../src/modules/git-providers/application/ports/forge.js';
import { aGitLabProvider, aGiteaProvider } from '../../builders/git-providers.js';
import { InMemoryProviders, InMemoryUnitOfWork } from '../../fakes/in-memory/persistence.js';

/** A token endpoint that issues `lifetimeMs` tokens and counts refreshes (state, not call expectations). */
class TokenEndpoint implements OAuthClient {
  refreshes = 0;
  constructor(
    private readonly clock: { now: number },
    private readonly lifetimeMs: number,
  ) {}
  authorizeUrl(): string {
    return 'https://forge.test/authorize';
  }
  async exchangeCode(): Promise<Grant> {
    return this.issue();
  }
  async refresh(): Promise<Grant> {
    this.refreshes++;
    return this.issue();
  }
  private issue(): Grant {
    return {
      accessToken: `access-${this.refreshes}`,
      refreshToken: `refresh-${this.refreshes}`,
      expiresAt: new Date(this.clock.now + this.lifetimeMs),
    };
  }
}

describe('early refresh margin: a fraction of the token lifetime', () => {
  it('is 10 % of the lifetime, at most 2 minutes; unknown issue time → 2 minutes', () => {
    expect(earlyRefreshMarginMs(60_000, 0)).toBe(6_000);
    expect(earlyRefreshMarginMs(7_200_000, 0)).toBe(EARLY_REFRESH_MAX_MS);
    expect(earlyRefreshMarginMs(1_000_000, undefined)).toBe(EARLY_REFRESH_MAX_MS);
    expect(earlyRefreshMarginMs(1_000, 2_000)).toBe(EARLY_REFRESH_MAX_MS);
  });

  it.each([
    ['Gitea, 60-second tokens', aGiteaProvider, 60_000, 54_001, 53_000],
    ['GitLab, 2-hour tokens', aGitLabProvider, 7_200_000, 7_080_001, 7_070_000],
  ] as const)(
    '%s: no refresh while the token is fresh (each page of a listing), one once inside the margin',
    async (_, builder, lifetimeMs, inside, outside) => {
      const clock = { now: Date.parse('2026-11-30T10:00:00Z') };
      const start = clock.now;
      const endpoint = new TokenEndpoint(clock, lifetimeMs);
      const uow = new InMemoryUnitOfWork();
      const providers = new InMemoryProviders(uow);
      const provider = builder().build();
      provider.authorize(
        { accessToken: Secret.of('first'), refreshToken: Secret.of('first-refresh'), expiresAt: new Date(clock.now + lifetimeMs) },
        new Date(clock.now),
      );
      providers.rows.set(provider.id, provider);
      const tokens = new OAuthTokens(
        uow,
        providers,
        () => endpoint,
        () => new Date(clock.now),
      );

      // Twenty pages over the token's first 90 %: the same token, no refresh (a fixed 2-minute margin refreshed a
      // 60-second token on every one of them).
      for (let page = 0; page < 20; page++) {
        clock.now = start + Math.floor((outside * page) / 19);
        expect(await tokens.accessToken(provider.id)).toBe('first');
      }
      expect(endpoint.refreshes).toBe(0);

      clock.now = start + inside;
      const renewed = await tokens.accessToken(provider.id);
      expect(renewed).toBe('access-1');
      expect(endpoint.refreshes).toBe(1);
      // The new token is fresh again: the next calls use it without refreshing.
      for (let page = 0; page < 5; page++) expect(await tokens.accessToken(provider.id)).toBe('access-1');
      expect(endpoint.refreshes).toBe(1);
    },
  );
});
