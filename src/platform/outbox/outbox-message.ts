import { EntitySchema } from '@mikro-orm/core';
import { type DomainEvent } from '../../shared/domain-event.js';

/** A row of the outbox; `position` and `txid` are assigned by PostgreSQL at insert. */
export class OutboxMessage {
  id!: string;
  type!: string;
  organizationId!: string;
  aggregateId!: string;
  occurredAt!: Date;
  data!: Record<string, unknown>;

  static from(event: DomainEvent): OutboxMessage {
    const message = new OutboxMessage();
    message.id = event.id;
    message.type = event.type;
    message.organizationId = event.organizationId;
    message.aggregateId = event.aggregateId;
    message.occurredAt = event.occurredAt;
    message.data = event.data;
    return message;
  }
}

export const OutboxMessageSchema = new EntitySchema<OutboxMessage>({
  class: OutboxMessage,
  tableName: 'outbox',
  properties: {
    id: { type: 'uuid', primary: true },
    type: { type: 'text' },
    organizationId: { type: 'uuid', fieldName: 'organization_id' },
    aggregateId: { type: 'text', fieldName: 'aggregate_id' },
    occurredAt: { type: 'Date', fieldName: 'occurred_at', columnType: 'timestamptz' },
    data: { type: 'json', columnType: 'jsonb' },
  },
});
