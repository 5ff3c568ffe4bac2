import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { type CommitStatusOutcome, type Metrics, type OAuthRefreshResult, type WebhookOutcome } from '../../shared/metrics.js';

/** What the outbox looks like right now (read at scrape time, never on a request's path). */
export interface OutboxBacklog {
  readonly pending: number;
  /** Age of the oldest unpublished event; 0 when none is pending. */
  readonly oldestPendingAgeSeconds: number;
  /** Event subscriptions whose last delivery attempt failed (they retry with backoff, holding back their later events). */
  readonly failingSubscriptions: number;
}

/**
 * The Prometheus adapter of the {@link Metrics} port, plus the HTTP metrics the express app reports and the
 * outbox gauges read from PostgreSQL at scrape time. One registry per application instance (tests run several
 * in one process). Label children are cached, so a hot-path increment is a map lookup and an addition.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly children = new Map<object, Map<string, unknown>>();
  private readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  private readonly httpDuration: Histogram<'route' | 'method'>;
  private readonly webhookDeliveries: Counter<'forge' | 'outcome'>;
  private readonly eventsPublished: Counter<'type' | 'transport'>;
  private readonly forgeRequests: Counter<'forge' | 'status'>;
  private readonly forgeDuration: Histogram<'forge'>;
  private readonly forgeRateLimit: Gauge<'forge' | 'provider_id'>;
  private readonly oauthRefreshes: Counter<'forge' | 'result'>;
  private readonly commitStatuses: Counter<'forge' | 'outcome'>;
  /** The outbox read of the scrape in progress (both gauges share it). */
  private backlog?: Promise<OutboxBacklog | undefined>;

  constructor(readOutbox: () => Promise<OutboxBacklog>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: 'forgelink_http_requests_total',
      help: 'HTTP requests answered, by route template, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'forgelink_http_request_duration_seconds',
      help: 'Time from a request arriving to its answer being sent, by route template and method',
      labelNames: ['route', 'method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'forgelink_webhook_deliveries_total',
      help: 'Webhook deliveries answered, by forge and outcome (deployed, ignored, duplicate, rejected)',
      labelNames: ['forge', 'outcome'],
      registers,
    });
    this.eventsPublished = new Counter({
      name: 'forgelink_events_published_total',
      help: 'Events handed to a transport, by event type and transport (in-process, nats-jetstream, http-subscription: an endpoint answered 2xx)',
      labelNames: ['type', 'transport'],
      registers,
    });
    const backlog = (): Promise<OutboxBacklog | undefined> => this.outboxBacklog(readOutbox);
    new Gauge({
      name: 'forgelink_outbox_pending',
      help: 'Committed events not yet published by the relay (all instances)',
      registers,
      async collect() {
        const value = await backlog();
        if (value) this.set(value.pending);
      },
    });
    new Gauge({
      name: 'forgelink_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest committed event not yet published (0 when none is pending)',
      registers,
      async collect() {
        const value = await backlog();
        if (value) this.set(value.oldestPendingAgeSeconds);
      },
    });
    new Gauge({
      name: 'forgelink_event_subscriptions_failing',
      help: 'Event subscriptions whose last delivery attempt failed (all instances)',
      registers,
      async collect() {
        const value = await backlog();
        if (value) this.set(value.failingSubscriptions);
      },
    });
    this.forgeRequests = new Counter({
      name: 'forgelink_forge_requests_total',
      help: 'HTTP exchanges with forges (every attempt), by forge and HTTP status (or timeout, connection_error)',
      labelNames: ['forge', 'status'],
      registers,
    });
    this.forgeDuration = new Histogram({
      name: 'forgelink_forge_request_duration_seconds',
      help: 'Duration of one HTTP exchange with a forge, by forge',
      labelNames: ['forge'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.forgeRateLimit = new Gauge({
      name: 'forgelink_forge_rate_limit_remaining',
      help: 'Requests left in the forge’s rate-limit window for a provider’s credentials, as the forge last reported',
      labelNames: ['forge', 'provider_id'],
      registers,
    });
    this.oauthRefreshes = new Counter({
      name: 'forgelink_oauth_refreshes_total',
      help: 'OAuth access-token refreshes, by forge and result (ok, revoked, failed)',
      labelNames: ['forge', 'result'],
      registers,
    });
    this.commitStatuses = new Counter({
      name: 'forgelink_commit_statuses_total',
      help: 'Commit statuses handled by the commit-status worker, by forge and outcome (posted, retry, superseded, forbidden, failed)',
      labelNames: ['forge', 'outcome'],
      registers,
    });
  }

  httpRequest(route: string, method: string, status: number, seconds: number): void {
    this.counter(this.httpRequests, route, method, String(status)).inc();
    this.histogram(this.httpDuration, route, method).observe(seconds);
  }

  webhookDelivery(forge: string, outcome: WebhookOutcome): void {
    this.counter(this.webhookDeliveries, forge, outcome).inc();
  }

  eventPublished(type: string, transport: string): void {
    this.counter(this.eventsPublished, type, transport).inc();
  }

  forgeRequest(forge: string, status: string, seconds: number): void {
    this.counter(this.forgeRequests, forge, status).inc();
    this.histogram(this.forgeDuration, forge).observe(seconds);
  }

  forgeRateLimitRemaining(forge: string, providerId: string, remaining: number): void {
    this.forgeRateLimit.labels(forge, providerId).set(remaining);
  }

  oauthRefresh(forge: string, result: OAuthRefreshResult): void {
    this.counter(this.oauthRefreshes, forge, result).inc();
  }

  commitStatus(forge: string, outcome: CommitStatusOutcome): void {
    this.counter(this.commitStatuses, forge, outcome).inc();
  }

  /** The Prometheus text exposition of every metric. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    this.backlog = undefined;
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private counter(metric: Counter<string>, ...values: string[]): { inc(): void } {
    return this.cached(metric, values, () => metric.labels(...values));
  }

  private histogram(metric: Histogram<string>, ...values: string[]): { observe(v: number): void } {
    return this.cached(metric, values, () => metric.labels(...values));
  }

  private cached<T>(metric: object, values: readonly string[], make: () => T): T {
    let byLabels = this.children.get(metric);
    if (!byLabels) this.children.set(metric, (byLabels = new Map()));
    const key = values.join('\u0000');
    let child = byLabels.get(key) as T | undefined;
    if (child === undefined) {
      child = make();
      byLabels.set(key, child);
    }
    return child;
  }

  /** Both outbox gauges share one query per scrape; a database that does not answer leaves them at their last value. */
  private outboxBacklog(read: () => Promise<OutboxBacklog>): Promise<OutboxBacklog | undefined> {
    this.backlog ??= read().catch(() => undefined);
    return this.backlog;
  }
}
