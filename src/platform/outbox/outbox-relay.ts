import { type Knex } from '@mikro-orm/postgresql';
import { type EventEnvelope, type EventPublisher } from '../events/event-publisher.js';
import { type Metrics, NO_METRICS } from '../../shared/metrics.js';
import { Poller } from '../background/poller.js';

export interface RelayLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface RelayOptions {
  readonly batchSize?: number;
  readonly pollIntervalMs?: number;
  /**
   * After a local commit the relay runs at once, but at most once per this many milliseconds (default 10): under a
   * stream of deliveries one round publishes what accumulated instead of one round (four statements) per commit.
   */
  readonly kickGapMs?: number;
  /** Backoff after a failed publish: base × 2^(attempts-1), capped. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /**
   * A batch stops claiming and publishing after this long and commits what it has done. The relay holds a
   * transaction while it publishes, and the event feed only shows commits older than the oldest open
   * transaction: a slow or unreachable broker must not freeze the feed (or hold row locks) for long.
   */
  readonly batchBudgetMs?: number;
}

/** An outbox row as the relay and the event feed read it. */
export interface OutboxRow {
  position: string;
  id: string;
  type: string;
  organization_id: string;
  aggregate_id: string;
  occurred_at: Date;
  data: Record<string, unknown>;
  attempts: number;
}

/**
 * Publishes committed outbox rows at least once, in order per aggregate. Several relays (app instances)
 * may run at once: rows are claimed with FOR UPDATE SKIP LOCKED, and a row is only claimable when no
 * earlier row of the same aggregate is still unpublished, so a retrying event holds back its successors.
 */
export class OutboxRelay {
  private readonly poller: Poller;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly batchBudgetMs: number;

  constructor(
    private readonly knex: Knex,
    private readonly publishers: readonly EventPublisher[],
    private readonly logger: RelayLogger,
    options: RelayOptions = {},
    private readonly metrics: Pick<Metrics, 'eventPublished'> = NO_METRICS,
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.retryBaseMs = options.retryBaseMs ?? 1_000;
    this.retryMaxMs = options.retryMaxMs ?? 5 * 60_000;
    this.batchBudgetMs = options.batchBudgetMs ?? 2_000;
    this.poller = new Poller(
      async () => (await this.runBatch()).claimed === this.batchSize,
      this.pollIntervalMs,
      (error) => this.logger.error({ err: error }, 'outbox relay batch failed'),
      options.kickGapMs ?? 10,
    );
  }

  start(): void {
    this.poller.start();
  }

  async stop(): Promise<void> {
    await this.poller.stop();
  }

  /** Called after a local commit: publish now rather than at the next poll. */
  kick(): void {
    this.poller.kick();
  }

  /** Publishes until nothing is claimable; returns how many events were published. For tests and shutdown. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const { published, claimed } = await this.runBatch();
      total += published;
      if (claimed === 0 || published === 0) return total;
    }
  }

  async runBatch(): Promise<{ claimed: number; published: number }> {
    const deadline = Date.now() + this.batchBudgetMs;
    return this.knex.transaction(async (trx) => {
      let claimed = 0;
      let published = 0;
      const blocked = new Set<string>();
      // An aggregate's rows are claimed through its oldest unpublished row (its head): a relay that locks the head owns
      // the aggregate, because no other relay can claim a later row while an earlier one is unpublished. So one claim
      // takes the heads (FOR UPDATE SKIP LOCKED) and, in the same statement, the rows that follow them in order: a
      // service receiving many deliveries is published in runs, not one round trip per event. Once this transaction
      // marks rows published, what follows them is claimable here (other relays still see them unpublished until
      // commit), so claim again.
      while (claimed < this.batchSize && Date.now() < deadline) {
        const limit = this.batchSize - claimed;
        const { rows } = (await trx.raw(
          `with heads as (
             select o.aggregate_id
               from outbox o
              where o.published_at is null
                and o.next_attempt_at <= now()
                and not exists (
                  select 1 from outbox p
                   where p.aggregate_id = o.aggregate_id and p.published_at is null
                     and (p.txid, p.position) < (o.txid, o.position))
              order by o.txid, o.position
              limit ?
              for update of o skip locked)
           select o.position, o.id, o.type, o.organization_id, o.aggregate_id, o.occurred_at, o.data, o.attempts, o.next_attempt_at <= now() as due
             from outbox o
            where o.published_at is null and o.aggregate_id in (select aggregate_id from heads)
            order by o.txid, o.position
            limit ?`,
          [limit, limit],
        )) as { rows: (OutboxRow & { due: boolean })[] };
        if (rows.length === 0) break;
        claimed += rows.length;
        const done: string[] = [];
        for (const row of rows) {
          if (Date.now() >= deadline) break;
          if (!row.due) blocked.add(row.aggregate_id); // waiting for its retry: what follows it waits too
          if (blocked.has(row.aggregate_id)) continue;
          const envelope = toEnvelope(row);
          try {
            for (const publisher of this.publishers) {
              await publisher.publish(envelope);
              this.metrics.eventPublished(row.type, publisher.name);
            }
            done.push(row.position);
          } catch (error) {
            blocked.add(row.aggregate_id);
            const attempts = row.attempts + 1;
            const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (attempts - 1));
            const message = error instanceof Error ? error.message : String(error);
            await trx.raw(
              `update outbox set attempts = ?, last_error = ?, next_attempt_at = now() + (? * interval '1 millisecond') where position = ?`,
              [attempts, message.slice(0, 500), delay, row.position],
            );
            this.logger.warn(
              { eventId: row.id, type: row.type, attempts, retryInMs: delay, error: message },
              'publishing an event failed; will retry',
            );
          }
        }
        // One statement marks the round's published rows, before the next claim: that claim must see them published
        // to release their successors, and must not claim them again (this transaction holds their locks).
        if (done.length > 0) {
          await trx.raw(
            'update outbox set published_at = now(), attempts = attempts + 1, last_error = null where position = any(?::bigint[])',
            [done],
          );
          published += done.length;
        }
        // Fewer rows than asked for: every head free then was taken with its whole run, so a claim now would find
        // only rows committed since, which the next round takes.
        if (done.length === 0 || rows.length < limit) break;
      }
      return { claimed, published };
    });
  }
}

export function toEnvelope(
  row: Pick<OutboxRow, 'id' | 'type' | 'occurred_at' | 'organization_id' | 'aggregate_id' | 'data'>,
): EventEnvelope {
  return {
    id: row.id,
    type: row.type,
    occurredAt: new Date(row.occurred_at).toISOString(),
    organizationId: row.organization_id,
    aggregateId: row.aggregate_id,
    data: row.data,
  };
}

/**
 * The backlog the outbox gauges report: unpublished events (every instance's), the age of the oldest, and how many
 * event subscriptions are failing (their last attempt failed; they keep their own cursors past the relay).
 */
export async function outboxBacklog(
  knex: Knex,
): Promise<{ pending: number; oldestPendingAgeSeconds: number; failingSubscriptions: number }> {
  const { rows } = (await knex.raw(
    `select count(*)::int as pending, coalesce(extract(epoch from now() - min(occurred_at)), 0)::float8 as age,
            (select count(*)::int from event_subscription where failing) as failing
       from outbox where published_at is null`,
  )) as { rows: { pending: number; age: number; failing: number }[] };
  const row = rows[0];
  return { pending: row?.pending ?? 0, oldestPendingAgeSeconds: Math.max(0, row?.age ?? 0), failingSubscriptions: row?.failing ?? 0 };
}
