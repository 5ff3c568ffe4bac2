import { AsyncLocalStorage } from 'node:async_hooks';
import { type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import { OptimisticLockError, UniqueConstraintViolationException, ConnectionException } from '@mikro-orm/core';
import { type AggregateRoot } from '../../shared/aggregate-root.js';
import { FailureError } from '../../shared/failure.js';
import { type UnitOfWork } from '../../shared/unit-of-work.js';
import { OutboxMessage } from '../outbox/outbox-message.js';

interface Scope {
  readonly em: EntityManager;
  readonly tracked: Set<AggregateRoot>;
  readonly readOnly?: boolean;
}

/**
 * A MikroORM transaction per unit of work. At the end it pulls every tracked aggregate's events into
 * outbox rows and flushes once, so state and events commit (or roll back) together.
 */
export class MikroOrmUnitOfWork implements UnitOfWork {
  private readonly scopes = new AsyncLocalStorage<Scope>();
  private readonly commitListeners: (() => void)[] = [];

  constructor(private readonly orm: MikroORM) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.scopes.getStore()) return work();
    let result: T;
    try {
      result = await this.orm.em.fork().transactional(async (em) => {
        const scope: Scope = { em, tracked: new Set() };
        const value = await this.scopes.run(scope, work);
        for (const aggregate of scope.tracked) {
          for (const event of aggregate.pullDomainEvents()) em.persist(OutboxMessage.from(event));
        }
        await em.flush();
        return value;
      });
    } catch (error) {
      throw translate(error);
    }
    this.committed();
    return result;
  }

  /** Tells the commit listeners (the outbox relay) that events were committed outside run(): a single-statement write. */
  committed(): void {
    for (const listener of this.commitListeners) listener();
  }

  async read<T>(work: () => Promise<T>): Promise<T> {
    if (this.scopes.getStore()) return work();
    try {
      return await this.scopes.run({ em: this.orm.em.fork(), tracked: new Set(), readOnly: true }, work);
    } catch (error) {
      throw translate(error);
    }
  }

  track(aggregate: AggregateRoot): void {
    const scope = this.scope();
    if (scope.readOnly) throw new Error('Aggregates can only be saved inside UnitOfWork.run()');
    scope.tracked.add(aggregate);
  }

  /** The transaction's entity manager; repositories may only be used inside run(). */
  get em(): EntityManager {
    return this.scope().em;
  }

  onCommit(listener: () => void): void {
    this.commitListeners.push(listener);
  }

  private scope(): Scope {
    const scope = this.scopes.getStore();
    if (!scope) throw new Error('Repositories must be used inside UnitOfWork.run() or read()');
    return scope;
  }
}

function translate(error: unknown): unknown {
  if (error instanceof OptimisticLockError) {
    return new FailureError({ code: 'CONFLICT', detail: 'The resource was changed by someone else; reload it and try again' });
  }
  if (error instanceof UniqueConstraintViolationException) {
    const constraint = (error as { constraint?: string }).constraint ?? '';
    const detail = constraint.includes('name')
      ? 'A git provider with this name already exists in the organisation'
      : 'The resource already exists';
    return new FailureError({ code: 'CONFLICT', detail });
  }
  if (error instanceof ConnectionException) {
    return new FailureError({ code: 'UNAVAILABLE', detail: 'The database is unavailable', retryAfterSeconds: 5 });
  }
  return error;
}
