import { type ServiceSource, type ServiceType } from './service-source.js';

export interface ServiceSourceRepository {
  /** The organisation's source for this service: service ids are scoped per organisation (API contract). */
  find(organizationId: string, serviceType: ServiceType, serviceId: string): Promise<ServiceSource | null>;
  findConnectedToProvider(providerId: string): Promise<ServiceSource[]>;
  save(source: ServiceSource): Promise<void>;
}
