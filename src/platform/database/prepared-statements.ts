import pg from 'pg';

export interface PreparedStatementsOptions {
  /** Connections at most (each batched statement of the hot path holds one while it runs). */
  readonly max?: number;
  /** An idle connection that failed (the server went away): told here instead of crashing the process. */
  readonly onIdleError?: (error: Error) => void;
}

/**
 * Plain SQL for a hot path (ADR 0014, 0021), on a small pool of its own: statements go straight to `pg`, skipping the
 * ORM's query builder, and a named statement is prepared once per connection, so PostgreSQL parses and plans it
 * once. Parameters are `$1…$n`. Each call is one round trip and its own transaction.
 *
 * The pool's sessions run with `enable_seqscan = off`: a plan PostgreSQL caches for a named statement is made once,
 * for the tables as they are then, and on a new installation's nearly empty tables it would scan them — and go on
 * scanning them, at every delivery, as they grow, until the next ANALYZE. Every statement sent here reads through
 * indexes (its lookups are index keys), so with sequential scans ruled out its cached plan stays right at any size.
 * They also run with `jit = off`: these are index lookups of a few milliseconds, and a plan whose estimate crossed
 * `jit_above_cost` (a cached plan keeps its estimate) would be compiled again at every execution (≈ 30 ms each).
 * Only this pool's sessions are affected; the ORM's are not.
 */
export class PreparedStatements {
  private readonly pool: pg.Pool;

  constructor(databaseUrl: string, options: PreparedStatementsOptions = {}) {
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      max: options.max ?? 4,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      // A connection is replaced after this many statements: its named statements are prepared again, planned for
      // the tables as they are then, so no cached plan outlives much growth even between two ANALYZEs.
      maxUses: 20_000,
      options: '-c enable_seqscan=off -c jit=off',
    });
    this.pool.on('error', (error) => options.onIdleError?.(error));
  }

  /** `name` identifies the statement text: the same name must always come with the same text. */
  async query<T>(name: string | undefined, text: string, values: readonly unknown[]): Promise<T[]> {
    const result = await this.pool.query<T & pg.QueryResultRow>(name ? { name, text, values: [...values] } : { text, values: [...values] });
    return result.rows;
  }

  /** Closes every connection; queries after this fail. */
  async close(): Promise<void> {
    await this.pool.end();
  }
}
