import { EntitySchema } from '@mikro-orm/core';
import { ConsoleSession } from '../../domain/console-session.js';

export const ConsoleSessionSchema = new EntitySchema<ConsoleSession>({
  class: ConsoleSession,
  tableName: 'console_session',
  properties: {
    idHash: { type: 'text', primary: true, fieldName: 'id_hash' },
    organizationId: { type: 'uuid', fieldName: 'organization_id' },
    userId: { type: 'text', fieldName: 'user_id' },
    apiKeyHash: { type: 'text', fieldName: 'api_key_hash' },
    createdAt: { type: 'Date', fieldName: 'created_at', columnType: 'timestamptz' },
    lastSeenAt: { type: 'Date', fieldName: 'last_seen_at', columnType: 'timestamptz' },
    expiresAt: { type: 'Date', fieldName: 'expires_at', columnType: 'timestamptz' },
  },
});
