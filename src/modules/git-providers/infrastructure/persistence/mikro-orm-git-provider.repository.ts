import { LockMode } from '@mikro-orm/core';
import { GitProvider, type ProviderKinds } from '../../domain/git-provider.js';
import { type GitProviderRepository } from '../../domain/git-provider-repository.js';
import { type MikroOrmUnitOfWork } from '../../../../platform/database/unit-of-work.js';

/** Loaded providers get their forge's kind (the plug-in's rules for its settings) before anyone sees them. */
export class MikroOrmGitProviderRepository implements GitProviderRepository {
  constructor(
    private readonly uow: MikroOrmUnitOfWork,
    private readonly kinds: ProviderKinds,
  ) {}

  // Not async: outside a unit of work `uow.em` throws at once, as every repository does.
  findById(id: string): Promise<GitProvider | null> {
    return this.uow.em.findOne(GitProvider, { id }).then((provider) => provider?.withKind(this.kinds) ?? null);
  }

  findByIdForUpdate(id: string): Promise<GitProvider | null> {
    return this.uow.em
      .findOne(GitProvider, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })
      .then((provider) => provider?.withKind(this.kinds) ?? null);
  }

  async resume(provider: GitProvider): Promise<void> {
    // Managed from here with its state as loaded: the flush updates what changes next, checking the version.
    this.uow.em.merge(provider);
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
