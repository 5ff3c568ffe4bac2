import { LockMode } from '@mikro-orm/core';
import { GitProvider } from '../../domain/git-provider.js';
import { type GitProviderRepository } from '../../domain/git-provider-repository.js';
import { type MikroOrmUnitOfWork } from '../../../../platform/database/unit-of-work.js';

export class MikroOrmGitProviderRepository implements GitProviderRepository {
  constructor(private readonly uow: MikroOrmUnitOfWork) {}

  findById(id: string): Promise<GitProvider | null> {
    return this.uow.em.findOne(GitProvider, { id });
  }

  findByIdForUpdate(id: string): Promise<GitProvider | null> {
    return this.uow.em.findOne(GitProvider, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  }

  async save(provider: GitProvider): Promise<void> {
    this.uow.em.persist(provider);
    this.uow.track(provider);
  }

  async remove(provider: GitProvider): Promise<void> {
    this.uow.track(provider);
    this.uow.em.remove(provider);
  }

  async existsWithName(organizationId: string, name: string, exceptId?: string): Promise<boolean> {
    const found = await this.uow.em.findOne(
      GitProvider,
      { organizationId, name, ...(exceptId ? { id: { $ne: exceptId } } : {}) },
      { fields: ['id'] },
    );
    return found !== null;
  }
}
