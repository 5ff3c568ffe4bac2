/** A fact that happened inside an aggregate; becomes an outbox row in the same transaction. */
export interface DomainEvent<TData extends object = Record<string, unknown>> {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: Date;
  readonly organizationId: string;
  readonly aggregateId: string;
  readonly data: TData;
}
