import { type Knex } from '@mikro-orm/postgresql';

export interface HousekeepingLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface PruneResult {
  readonly events: number;
  readonly deliveries: number;
  readonly states: number;
  readonly commitStatuses: number;
}

/**
 * Keeps the history tables bounded: published outbox events, webhook delivery records and settled commit statuses
 * older than the retention are deleted, and so are expired OAuth state nonces. Unpublished events, events an event
 * subscription has yet to receive, and commit statuses still pending are never touched.
 * Every instance may run it; the deletes are idempotent.
 */
export class Housekeeping {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly knex: Knex,
    private readonly retentionDays: number,
    private readonly logger: HousekeepingLogger,
    private readonly intervalMs = 60 * 60_000,
  ) {}

  start(): void {
    if (this.retentionDays <= 0 || this.timer) return;
    const run = (): void => {
      this.prune().catch((error: unknown) => this.logger.warn({ err: error }, 'housekeeping failed; will try again'));
    };
    this.timer = setInterval(run, this.intervalMs);
    this.timer.unref();
    setTimeout(run, 5_000).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async prune(now = new Date()): Promise<PruneResult> {
    const cutoff = new Date(now.getTime() - this.retentionDays * 24 * 60 * 60_000);
    // An event an event subscription has not received yet stays, whatever its age (its endpoint may be down).
    const events = await this.count(
      `delete from outbox o where o.published_at is not null and o.published_at < ?
          and not exists (select 1 from event_subscription s
                           where s.organization_id = o.organization_id and (s.cursor_txid, s.cursor_position) < (o.txid, o.position))`,
      [cutoff],
    );
    const deliveries = await this.count(`delete from webhook_delivery where received_at < ?`, [cutoff]);
    const states = await this.count(`delete from consumed_state where expires_at < ?`, [now]);
    // Settled commit statuses (ADR 0018); a pending one stays until the worker settles it.
    const commitStatuses = await this.count(`delete from commit_status where outcome <> 'pending' and created_at < ?`, [cutoff]);
    if (events + deliveries + states + commitStatuses > 0)
      this.logger.info({ events, deliveries, states, commitStatuses, retentionDays: this.retentionDays }, 'pruned history');
    return { events, deliveries, states, commitStatuses };
  }

  private async count(sql: string, params: Knex.RawBinding[]): Promise<number> {
    const result = (await this.knex.raw(sql, params)) as { rowCount?: number };
    return result.rowCount ?? 0;
  }
}
