import { type AggregateRoot } from './aggregate-root.js';

/**
 * One database transaction. Aggregates saved inside it have their recorded events written to the
 * outbox in the same commit. Nested calls join the outer transaction.
 */
export interface UnitOfWork {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Loads without a transaction (one round trip per query); nothing is written. Inside run() it joins the transaction. */
  read<T>(work: () => Promise<T>): Promise<T>;
  /** Called by repositories: the aggregate's pulled events go to the outbox at commit. */
  track(aggregate: AggregateRoot): void;
}
