import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { type AggregateRoot } from '../../shared/aggregate-root.js';
import { FailureError } from '../../shared/failure.js';
import { type UnitOfWork } from '../../shared/unit-of-work.js';
import { OUTBOX_COLUMNS, outboxRecords, outboxRecordset } from '../outbox/outbox-sql.js';

/** What repositories over this unit of work send statements to: the transaction's connection, or the pool. */
export interface SqlExecutor {
  query<R extends pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>>;
}

interface Scope {
  readonly client: pg.PoolClient;
  readonly tracked: Set<AggregateRoot>;
}

/**
 * A unit of work over a plain `pg` pool, without MikroORM: what the CLI's short commands use, so they start without
 * loading the ORM (docs/benchmarks.md, P6). Same guarantees as MikroOrmUnitOfWork: one transaction per run(),
 * nested calls join it, tracked aggregates' events are written to the outbox in the same commit, a unique
 * violation is a CONFLICT and a lost connection UNAVAILABLE.
 */
export class PgUnitOfWork implements UnitOfWork {
  private readonly scopes = new AsyncLocalStorage<Scope>();

  constructor(private readonly pool: pg.Pool) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.scopes.getStore()) return work();
    const client = await this.pool.connect().catch((error: unknown) => {
      throw translate(error);
    });
    let broken: unknown;
    try {
      await client.query('begin');
      const scope: Scope = { client, tracked: new Set() };
      const value = await this.scopes.run(scope, work);
      const events = [...scope.tracked].flatMap((aggregate) => aggregate.pullDomainEvents());
      if (events.length > 0) {
        await client.query(`insert into outbox (${OUTBOX_COLUMNS}) select ${OUTBOX_COLUMNS} from ${outboxRecordset('$1')}`, [
          outboxRecords(events),
        ]);
      }
      await client.query('commit');
      return value;
    } catch (error) {
      await client.query('rollback').catch((rollbackError: unknown) => (broken = rollbackError));
      throw translate(error);
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async read<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translate(error);
    }
  }

  track(aggregate: AggregateRoot): void {
    const scope = this.scopes.getStore();
    if (!scope) throw new Error('Aggregates can only be saved inside UnitOfWork.run()');
    scope.tracked.add(aggregate);
  }

  /** The transaction's connection inside run(); the pool (one statement, its own transaction) inside read(). */
  get sql(): SqlExecutor {
    return this.scopes.getStore()?.client ?? this.pool;
  }
}

const CONNECTION_FAILURE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|08\w{3}|57P0[1-3])$/;

function translate(error: unknown): unknown {
  const code = String((error as { code?: unknown }).code ?? '');
  if (code === '23505') return new FailureError({ code: 'CONFLICT', detail: 'The resource already exists' });
  if (code === '40001') {
    return new FailureError({ code: 'CONFLICT', detail: 'The resource was changed by someone else; reload it and try again' });
  }
  if (CONNECTION_FAILURE.test(code))
    return new FailureError({ code: 'UNAVAILABLE', detail: 'The database is unavailable', retryAfterSeconds: 5 });
  return error;
}
