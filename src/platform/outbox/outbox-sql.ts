import { type DomainEvent } from '../../shared/domain-event.js';

/**
 * Outbox rows written by plain SQL, in the statement that writes the state they belong to (the webhook hot path):
 * `insert into outbox (${OUTBOX_COLUMNS}) select ${OUTBOX_COLUMNS} from ${outboxRecordset('$n')}` with
 * `outboxRecords(events)` as parameter $n. Same columns as the OutboxMessage mapping the unit of work flushes.
 */
export const OUTBOX_COLUMNS = 'id, type, organization_id, aggregate_id, occurred_at, data';

/**
 * The events parameter (a placeholder such as `$10`) as rows of the outbox's columns, plus `extra` columns carried
 * beside them (a column definition list such as `delivery uuid, n int`, for a statement writing several states' events).
 */
export const outboxRecordset = (placeholder: string, extra?: string): string =>
  `jsonb_to_recordset(${placeholder}::jsonb) as e(id uuid, type text, organization_id uuid, aggregate_id text, occurred_at timestamptz, data jsonb${extra ? `, ${extra}` : ''})`;

/** One event as a row of outboxRecordset, with the values of its `extra` columns. */
export const outboxRecord = (e: DomainEvent, extra: Readonly<Record<string, unknown>> = {}): Record<string, unknown> => ({
  id: e.id,
  type: e.type,
  organization_id: e.organizationId,
  aggregate_id: e.aggregateId,
  occurred_at: e.occurredAt.toISOString(),
  data: e.data,
  ...extra,
});

/** The events as one jsonb parameter for outboxRecordset. */
export function outboxRecords(events: readonly DomainEvent[]): string {
  return JSON.stringify(events.map((e) => outboxRecord(e)));
}
