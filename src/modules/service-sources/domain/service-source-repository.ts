import { type ServiceSource, type ServiceType } from './service-source.js';

export interface ServiceSourceRepository {
  /** Any organisation's source for this service; tenant checks are the caller's. */
  find(serviceType: ServiceType, serviceId: string): Promise<ServiceSource | null>;
  findConnectedToProvider(providerId: string): Promise<ServiceSource[]>;
  save(source: ServiceSource): Promise<void>;
}

export const SERVICE_SOURCE_REPOSITORY = Symbol.for('ServiceSourceRepository');
