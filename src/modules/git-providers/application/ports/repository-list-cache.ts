import { type ForgeRepository } from './forge.js';

/** What the cache knows about one provider's repositories list. */
export interface CachedListing {
  /** The list, when one fetched with the same credentials is young enough and was not invalidated since. */
  readonly repositories?: readonly ForgeRepository[];
  /** The provider's invalidation generation now: a listing fetched from here on is stored under it. */
  readonly generation: string;
}

/**
 * The picker cache (contract "Git providers"): a provider's repositories list, served for at most 60 s, bypassed with
 * `?refresh=true`, and dropped on every instance by the forge events that change the list. Callers authorise first.
 */
export interface RepositoryListCache {
  /** `credentials` identifies what the list was fetched with (a change of credentials is a miss). */
  get(providerId: string, credentials: string): Promise<CachedListing>;
  /** Stores a list fetched after get() returned `generation`; an invalidation meanwhile makes it a miss later. */
  put(providerId: string, credentials: string, generation: string, repositories: readonly ForgeRepository[]): void;
  /** The provider's list changed on the forge: every instance fetches it again on the next open. */
  invalidate(providerId: string): Promise<void>;
}
