import { type GitProvider } from './git-provider.js';

/** Write-side access to providers; reads for views go through queries. */
export interface GitProviderRepository {
  findById(id: string): Promise<GitProvider | null>;
  /** Loads the provider with a row lock held until the surrounding transaction ends (token refresh). */
  findByIdForUpdate(id: string): Promise<GitProvider | null>;
  save(provider: GitProvider): Promise<void>;
  remove(provider: GitProvider): Promise<void>;
  existsWithName(organizationId: string, name: string, exceptId?: string): Promise<boolean>;
}
