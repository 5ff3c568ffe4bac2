import { randomUUID } from 'node:crypto';
import { type Knex } from '@mikro-orm/postgresql';
import { type SecretCipher } from '../../../platform/crypto/secret-cipher.js';
import { type OutboxRow, toEnvelope } from '../../../platform/outbox/outbox-relay.js';
import { type Metrics, NO_METRICS } from '../../../shared/metrics.js';
import { Secret } from '../../../shared/secret.js';
import { type EndpointPolicy } from '../application/event-subscriptions.js';
import { signStandardWebhook } from './standard-webhooks.js';
import { subscriptionSecretPurpose } from '../../../platform/crypto/secret-purposes.js';
import { ClaimPool } from '../../../platform/background/claim-pool.js';

export interface DispatcherLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DispatcherOptions {
  /** How often an idle instance looks for subscriptions with undelivered events. */
  readonly pollIntervalMs?: number;
  /**
   * After a local commit the instance looks at once, but at most once per this many milliseconds (default 25): a
   * stream of webhook deliveries costs one claim query per gap, not one per delivery.
   */
  readonly kickGapMs?: number;
  /** Subscriptions one instance delivers to at once (each one strictly in order). */
  readonly concurrency?: number;
  /** Events read per query. */
  readonly batchSize?: number;
  /**
   * How long a claim on a subscription lasts without progress. Renewed by every delivered event; when an
   * instance dies mid-stream, another one takes the subscription over after this long.
   */
  readonly leaseMs?: number;
  /** One POST's limit (connect + answer). */
  readonly timeoutMs?: number;
  /** Backoff after a failed attempt: base × 2^(attempts-1), capped at retryMaxMs. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
}

interface Claimed {
  id: string;
  organization_id: string;
  url: string;
  types: string[] | null;
  secret: string;
  cursor_txid: string;
  cursor_position: string;
  attempts: number;
}

/** A claimed subscription with the lease this instance holds on it (and when the lease ends, in ms since the epoch). */
type LeasedSubscription = Claimed & { lease: string; leaseUntil: number };

type EventRow = Omit<OutboxRow, 'attempts'> & { txid: string };

/** The `transport` label of forgelink_events_published_total for an event a subscription endpoint accepted (2xx). */
export const SUBSCRIPTION_TRANSPORT = 'http-subscription';

type Attempt = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/**
 * Delivers the outbox to event subscriptions (Standard Webhooks over HTTP), at least once and in commit order
 * per subscription. Each subscription has a durable cursor in event_subscription; an instance claims a
 * subscription with a short lease (FOR UPDATE SKIP LOCKED in the claim, so one instance delivers it at a time),
 * POSTs the events after the cursor one by one, and moves the cursor after each 2xx. A failure stops that
 * subscription alone until its backoff has passed. No transaction stays open during a POST: an open
 * transaction would hold back pg_snapshot_xmin, and with it the event feed and every cursor (ADR 0012).
 */
export class SubscriptionDispatcher {
  private readonly pool: ClaimPool<LeasedSubscription>;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly timeoutMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(
    private readonly knex: Knex,
    private readonly cipher: SecretCipher,
    private readonly policy: EndpointPolicy,
    private readonly logger: DispatcherLogger,
    options: DispatcherOptions = {},
    private readonly metrics: Pick<Metrics, 'eventPublished'> = NO_METRICS,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.concurrency = options.concurrency ?? 8;
    this.batchSize = options.batchSize ?? 100;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retryBaseMs = options.retryBaseMs ?? 1_000;
    this.retryMaxMs = options.retryMaxMs ?? 5 * 60_000;
    if (this.leaseMs < this.timeoutMs * 2) throw new Error('The subscription lease must be at least twice the POST timeout');
    this.pool = new ClaimPool<LeasedSubscription>(
      {
        claim: (free) => this.claim(free),
        work: (item) => this.deliver(item),
        onClaimError: (error) => this.logger.error({ err: error }, 'claiming event subscriptions failed'),
        onWorkError: (error, item) => this.logger.error({ err: error, subscriptionId: item.id }, 'event subscription delivery failed'),
      },
      this.concurrency,
      this.pollIntervalMs,
      options.kickGapMs ?? 25,
    );
  }

  start(): void {
    this.pool.start();
  }

  async stop(): Promise<void> {
    await this.pool.stop();
  }

  /** Called after a local commit: look for work now rather than at the next poll. */
  kick(): void {
    this.pool.kick();
  }

  /** Claims up to `limit` due subscriptions that have undelivered events and that no live instance holds. */
  private async claim(limit: number): Promise<LeasedSubscription[]> {
    const lease = randomUUID();
    // The lease runs from the database's now() during the statement, which is after this: counting from here keeps
    // this instance's idea of its lease on the safe side however long the query takes to come back.
    const leaseUntil = Date.now() + this.leaseMs;
    const held = this.pool.held;
    const { rows } = (await this.knex.raw(
      `with due as (
         select s.id from event_subscription s
          where s.next_attempt_at <= now()
            and (s.lease_expires_at is null or s.lease_expires_at < now())
            and not (s.id = any(?::uuid[]))
            and exists (
              select 1 from outbox o
               where o.organization_id = s.organization_id
                 and o.txid < pg_snapshot_xmin(pg_current_snapshot())
                 and (o.txid, o.position) > (s.cursor_txid, s.cursor_position)
                 and (s.types is null or o.type = any(s.types)))
          order by s.next_attempt_at
          limit ?
          for update of s skip locked)
       update event_subscription s
          set lease_token = ?, lease_expires_at = now() + (? * interval '1 millisecond')
         from due where s.id = due.id
       returning s.id, s.organization_id, s.url, s.types, s.secret, s.cursor_txid::text as cursor_txid,
                 s.cursor_position::text as cursor_position, s.attempts`,
      [held, limit, lease, this.leaseMs],
    )) as { rows: Claimed[] };
    return rows.map((row) => ({ ...row, lease, leaseUntil }));
  }

  /** Delivers one claimed subscription's backlog in order until it is empty, an attempt fails, or the lease runs short. */
  private async deliver(sub: LeasedSubscription): Promise<void> {
    const secret = Secret.of(this.cipher.decrypt(sub.secret, subscriptionSecretPurpose(sub.id)));
    let cursor = { txid: sub.cursor_txid, position: sub.cursor_position };
    let leaseUntil = sub.leaseUntil;
    for (;;) {
      const events = await this.pending(sub, cursor);
      if (events.length === 0) return this.release(sub);
      for (const event of events) {
        // Stop while the lease still covers a whole POST: nobody else may start on this subscription meanwhile.
        if (this.pool.isStopped || Date.now() + this.timeoutMs + 1_000 > leaseUntil) return this.release(sub);
        const attempt = await this.post(sub.url, secret, event);
        if (!attempt.ok) return this.failed(sub, event, attempt);
        this.metrics.eventPublished(event.type, SUBSCRIPTION_TRANSPORT);
        const renewing = Date.now();
        const moved = (await this.knex.raw(
          `update event_subscription
              set cursor_txid = ?::xid8, cursor_position = ?, attempts = 0, failing = false, last_status = ?, last_error = null,
                  last_delivery_at = now(), lease_expires_at = now() + (? * interval '1 millisecond')
            where id = ? and lease_token = ?`,
          [event.txid, event.position, attempt.status, this.leaseMs, sub.id, sub.lease],
        )) as { rowCount?: number };
        // Deleted meanwhile, or the lease was lost (this instance stalled past it): another instance owns it now.
        if ((moved.rowCount ?? 0) === 0) return;
        leaseUntil = renewing + this.leaseMs;
        cursor = { txid: event.txid, position: event.position };
      }
    }
  }

  private async pending(sub: Claimed, cursor: { txid: string; position: string }): Promise<EventRow[]> {
    const { rows } = (await this.knex.raw(
      `select txid::text as txid, position::text as position, id, type, organization_id, aggregate_id, occurred_at, data
         from outbox
        where organization_id = ?
          and txid < pg_snapshot_xmin(pg_current_snapshot())
          and (txid, position) > (?::xid8, ?::bigint)
          and (?::text[] is null or type = any(?::text[]))
        -- Qualified: a bare txid/position would sort the text columns selected above ('10000' before '9999').
        order by outbox.txid, outbox.position
        limit ?`,
      [sub.organization_id, cursor.txid, cursor.position, sub.types, sub.types, this.batchSize],
    )) as { rows: EventRow[] };
    return rows;
  }

  /** One signed POST. The SSRF guard runs first, every time (DNS and FORGE_URL_ALLOWLIST may have changed); redirects are not followed. */
  private async post(url: string, secret: Secret, event: EventRow): Promise<Attempt> {
    const refused = await this.policy.check(url).catch(() => 'could not be checked');
    if (refused) return { ok: false, status: null, error: `refused by the SSRF guard: url ${refused}` };
    const body = JSON.stringify(toEnvelope(event));
    const headers = signStandardWebhook(secret, event.id, Math.floor(Date.now() / 1000), body);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'forgelink-webhooks' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      const error =
        res.status >= 300 && res.status < 400 ? `answered ${res.status} (redirects are not followed)` : `answered ${res.status}`;
      return { ok: false, status: res.status, error };
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return {
        ok: false,
        status: null,
        error: timedOut ? `no answer within ${this.timeoutMs} ms` : `request failed${cause ? ` (${cause})` : ''}`,
      };
    }
  }

  private async failed(sub: Claimed & { lease: string }, event: EventRow, attempt: Extract<Attempt, { ok: false }>): Promise<void> {
    const { rows } = (await this.knex.raw(
      `update event_subscription
          set attempts = attempts + 1, failing = true, last_status = ?, last_error = ?, last_delivery_at = now(),
              next_attempt_at = now() + (least(?::float8, ?::float8 * power(2, attempts)) * interval '1 millisecond'),
              lease_token = null, lease_expires_at = null
        where id = ? and lease_token = ?
        returning attempts, next_attempt_at`,
      [attempt.status, attempt.error.slice(0, 500), this.retryMaxMs, this.retryBaseMs, sub.id, sub.lease],
    )) as { rows: { attempts: number; next_attempt_at: Date }[] };
    const row = rows[0];
    if (!row) return;
    this.logger.warn(
      {
        subscriptionId: sub.id,
        eventId: event.id,
        type: event.type,
        status: attempt.status,
        attempts: row.attempts,
        nextAttemptAt: new Date(row.next_attempt_at).toISOString(),
        error: attempt.error,
      },
      'event subscription delivery failed; will retry',
    );
  }

  private async release(sub: Claimed & { lease: string }): Promise<void> {
    await this.knex.raw('update event_subscription set lease_token = null, lease_expires_at = null where id = ? and lease_token = ?', [
      sub.id,
      sub.lease,
    ]);
  }
}
