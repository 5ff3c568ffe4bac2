import { type GitProvider } from './git-provider.js';

/** Write-side access to providers; reads for views go through queries. */
export interface GitProviderRepository {
  findById(id: string): Promise<GitProvider | null>;
  /** Loads the provider with a row lock held until the surrounding transaction ends (token refresh). */
  findByIdForUpdate(id: string): Promise<GitProvider | null>;
  /**
   * Continues, inside a transaction, with a provider an earlier read loaded (the checks before a write ran on it):
   * saved from here, a change someone made in between fails the commit (CONFLICT), as its version moved.
   */
  resume(provider: GitProvider): Promise<void>;
  save(provider: GitProvider): Promise<void>;
  remove(provider: GitProvider): Promise<void>;
  existsWithName(organizationId: string, name: string, exceptId?: string): Promise<boolean>;
}
