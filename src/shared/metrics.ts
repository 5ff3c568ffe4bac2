/**
 * What forgelink counts, as a port: use cases and adapters report facts here, and only the platform's Prometheus
 * adapter knows how they are exported (`GET /metrics`, names in docs/operations.md). Every label value passed in
 * must come from a small closed set (forge kinds, outcomes, event types, HTTP statuses, provider ids): never a
 * repository name, a user id or a URL, so the number of series stays bounded and no tenant data leaves in a label.
 */
export interface Metrics {
  /** One webhook delivery answered. `forge` is the provider's type (`unknown` for an unknown provider id). */
  webhookDelivery(forge: string, outcome: WebhookOutcome): void;
  /**
   * One event handed to a transport: by the outbox relay (`in-process`, `nats-jetstream`), or accepted (2xx) by one
   * event-subscription endpoint (`http-subscription`: once per subscription that received it).
   */
  eventPublished(type: string, transport: string): void;
  /**
   * One HTTP exchange with a forge (each attempt of a retried call counts): `status` is the HTTP status, or
   * `timeout` / `connection_error` when none came back.
   */
  forgeRequest(forge: string, status: string, seconds: number): void;
  /** The forge's own rate-limit budget left for a provider's credentials, from its `*RateLimit-Remaining` header. */
  forgeRateLimitRemaining(forge: string, providerId: string, remaining: number): void;
  /** One OAuth refresh attempt (GitLab, Gitea/Forgejo). */
  oauthRefresh(forge: string, result: OAuthRefreshResult): void;
  /** One commit status settled or retried by the commit-status worker (ADR 0018). */
  commitStatus(forge: string, outcome: CommitStatusOutcome): void;
}

/** `retry`: an attempt failed and the row waits for its backoff; the others are the row's final outcome. */
export type CommitStatusOutcome = 'posted' | 'retry' | 'superseded' | 'forbidden' | 'failed';

export type WebhookOutcome = 'deployed' | 'ignored' | 'duplicate' | 'rejected';

/** `ok` new tokens stored; `revoked` the forge refused the grant (the provider needs re-authorising); `failed` the forge or network failed. */
export type OAuthRefreshResult = 'ok' | 'revoked' | 'failed';

/** For wiring that has no metrics (unit tests, tools). */
export const NO_METRICS: Metrics = {
  webhookDelivery: () => undefined,
  eventPublished: () => undefined,
  forgeRequest: () => undefined,
  forgeRateLimitRemaining: () => undefined,
  oauthRefresh: () => undefined,
  commitStatus: () => undefined,
};
