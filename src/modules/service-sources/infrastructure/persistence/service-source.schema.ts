import { EntitySchema } from '@mikro-orm/core';
import { ServiceSource } from '../../domain/service-source.js';

export const ServiceSourceSchema = new EntitySchema<ServiceSource>({
  class: ServiceSource,
  tableName: 'service_source',
  properties: {
    organizationId: { type: 'uuid', primary: true, fieldName: 'organization_id' },
    serviceType: { type: 'text', primary: true, fieldName: 'service_type' },
    serviceId: { type: 'text', primary: true, fieldName: 'service_id' },
    sourceType: { type: 'text', fieldName: 'source_type' },
    providerId: { type: 'uuid', nullable: true, fieldName: 'provider_id' },
    providerType: { type: 'text', nullable: true, fieldName: 'provider_type' },
    repository: { type: 'text', nullable: true },
    repositoryId: { type: 'text', nullable: true, fieldName: 'repository_id' },
    owner: { type: 'text', nullable: true },
    branch: { type: 'text', nullable: true },
    triggerType: { type: 'text', nullable: true, fieldName: 'trigger_type' },
    watchPaths: { type: 'json', nullable: true, columnType: 'jsonb', fieldName: 'watch_paths' },
    autoDeploy: { type: 'boolean', fieldName: 'auto_deploy' },
    buildPath: { type: 'text', fieldName: 'build_path' },
    composePath: { type: 'text', nullable: true, fieldName: 'compose_path' },
    previews: { type: 'json', columnType: 'jsonb' },
    status: { type: 'text' },
    webhook: { type: 'json', columnType: 'jsonb' },
    createdAt: { type: 'Date', fieldName: 'created_at', columnType: 'timestamptz' },
    updatedAt: { type: 'Date', fieldName: 'updated_at', columnType: 'timestamptz' },
    version: { type: 'integer', version: true },
  },
});
