import { type AggregateRoot } from '../../../src/shared/aggregate-root.js';
import { type DomainEvent } from '../../../src/shared/domain-event.js';
import { type RepositoryRef, sameRepository } from '../../../src/shared/repository-identity.js';
import { type UnitOfWork } from '../../../src/shared/unit-of-work.js';
import { type GitProvider } from '../../../src/modules/git-providers/domain/git-provider.js';
import { type GitProviderRepository } from '../../../src/modules/git-providers/domain/git-provider-repository.js';
import { type ServiceSource, type ServiceType } from '../../../src/modules/service-sources/domain/service-source.js';
import { type ServiceSourceRepository } from '../../../src/modules/service-sources/domain/service-source-repository.js';

/**
 * State-based stand-ins for handler tests: a unit of work that "commits" the tracked aggregates' events into
 * `committed` (and drops them when the work throws), and map-backed repositories.
 */
export class InMemoryUnitOfWork implements UnitOfWork {
  readonly committed: DomainEvent[] = [];
  private tracked?: Set<AggregateRoot>;

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.tracked) return work();
    this.tracked = new Set();
    try {
      const result = await work();
      for (const aggregate of this.tracked) this.committed.push(...aggregate.pullDomainEvents());
      return result;
    } finally {
      this.tracked = undefined;
    }
  }

  read<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  track(aggregate: AggregateRoot): void {
    if (!this.tracked) throw new Error('track() outside run()');
    this.tracked.add(aggregate);
  }

  types(): string[] {
    return this.committed.map((e) => e.type);
  }
}

export class InMemoryProviders implements GitProviderRepository {
  readonly rows = new Map<string, GitProvider>();

  constructor(private readonly uow: InMemoryUnitOfWork) {}

  async findById(id: string): Promise<GitProvider | null> {
    return this.rows.get(id) ?? null;
  }

  findByIdForUpdate(id: string): Promise<GitProvider | null> {
    return this.findById(id);
  }

  async resume(_provider: GitProvider): Promise<void> {}

  async save(provider: GitProvider): Promise<void> {
    this.rows.set(provider.id, provider);
    this.uow.track(provider);
  }

  async remove(provider: GitProvider): Promise<void> {
    this.uow.track(provider);
    this.rows.delete(provider.id);
  }

  async existsWithName(organizationId: string, name: string, exceptId?: string): Promise<boolean> {
    return [...this.rows.values()].some((p) => p.organizationId === organizationId && p.name === name && p.id !== exceptId);
  }
}

export class InMemorySources implements ServiceSourceRepository {
  readonly rows = new Map<string, ServiceSource>();

  constructor(private readonly uow: InMemoryUnitOfWork) {}

  async find(organizationId: string, serviceType: ServiceType, serviceId: string): Promise<ServiceSource | null> {
    return this.rows.get(`${organizationId}/${serviceType}/${serviceId}`) ?? null;
  }

  async findConnectedToProvider(providerId: string): Promise<ServiceSource[]> {
    return [...this.rows.values()].filter((s) => s.providerId === providerId && s.isConnected());
  }

  /** Connected sources of provider + repository: by id, or by name (any case) for a source without one. */
  async usersOf(providerId: string, repository: RepositoryRef): Promise<ServiceSource[]> {
    return [...this.rows.values()].filter((s) => {
      const ref = s.repositoryRef();
      return s.providerId === providerId && ref !== undefined && sameRepository(ref, repository);
    });
  }

  async save(source: ServiceSource): Promise<void> {
    this.rows.set(`${source.organizationId}/${source.serviceType}/${source.serviceId}`, source);
    this.uow.track(source);
  }
}
