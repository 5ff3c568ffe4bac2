import { type Knex } from '@mikro-orm/postgresql';

interface PgConnection {
  query<T>(config: { name?: string; text: string; values: readonly unknown[] }): Promise<{ rows: T[] }>;
}

interface PooledClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<void>;
}

/**
 * Plain SQL for a hot path (ADR 0014): statements go straight to a `pg` connection of the ORM's own pool, skipping
 * the query builder, and a named statement is prepared once per connection, so PostgreSQL parses and plans it once.
 * Parameters are `$1…$n`. Each call is one round trip and, outside an explicit transaction, its own transaction.
 */
export class PreparedStatements {
  private readonly pool: PooledClient;

  constructor(knex: Knex) {
    this.pool = knex.client as unknown as PooledClient;
  }

  /** `name` identifies the statement text: the same name must always come with the same text. */
  async query<T>(name: string | undefined, text: string, values: readonly unknown[]): Promise<T[]> {
    const connection = await this.pool.acquireConnection();
    try {
      return (await connection.query<T>(name ? { name, text, values } : { text, values })).rows;
    } finally {
      await this.pool.releaseConnection(connection);
    }
  }
}
