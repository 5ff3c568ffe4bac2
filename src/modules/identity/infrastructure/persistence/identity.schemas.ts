import { EntitySchema } from '@mikro-orm/core';
import { Member, Organization } from '../../domain/organization.js';

export const OrganizationSchema = new EntitySchema<Organization>({
  class: Organization,
  tableName: 'organization',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'text' },
    createdAt: { type: 'Date', fieldName: 'created_at', columnType: 'timestamptz' },
  },
});

export const MemberSchema = new EntitySchema<Member>({
  class: Member,
  tableName: 'member',
  properties: {
    organizationId: { type: 'uuid', primary: true, fieldName: 'organization_id' },
    userId: { type: 'text', primary: true, fieldName: 'user_id' },
    role: { type: 'text' },
    apiKeyHash: { type: 'text', fieldName: 'api_key_hash' },
    createdAt: { type: 'Date', fieldName: 'created_at', columnType: 'timestamptz' },
    keyRotatedAt: { type: 'Date', fieldName: 'key_rotated_at', columnType: 'timestamptz' },
  },
});
