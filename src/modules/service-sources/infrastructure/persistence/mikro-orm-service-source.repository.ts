import { ServiceSource, type ServiceType } from '../../domain/service-source.js';
import { type ServiceSourceRepository } from '../../domain/service-source-repository.js';
import { type MikroOrmUnitOfWork } from '../../../../platform/database/unit-of-work.js';

export class MikroOrmServiceSourceRepository implements ServiceSourceRepository {
  constructor(private readonly uow: MikroOrmUnitOfWork) {}

  find(serviceType: ServiceType, serviceId: string): Promise<ServiceSource | null> {
    return this.uow.em.findOne(ServiceSource, { serviceType, serviceId });
  }

  findConnectedToProvider(providerId: string): Promise<ServiceSource[]> {
    return this.uow.em.find(ServiceSource, { providerId, sourceType: 'git' });
  }

  async save(source: ServiceSource): Promise<void> {
    this.uow.em.persist(source);
    this.uow.track(source);
  }
}
