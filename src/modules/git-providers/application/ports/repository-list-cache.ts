import { type ForgeRepository } from './forge.js';

/** What the cache knows about one provider's repositories list. */
export interface CachedListing {
  /** The provider's invalidation generation now: a listing fetched from here on is stored under it. */
  readonly generation: string;
  /**
   * The list, when one fetched with these credentials is young enough and was not invalidated since. The same array
   * on every hit while it is cached (never changed), so what is derived from it (its JSON) can be kept with it.
   */
  repositoriesFor(credentials: string): readonly ForgeRepository[] | undefined;
}

/**
 * The picker cache (contract "Git providers"): a provider's repositories list, served for at most 60 s, bypassed with
 * `?refresh=true`, and dropped on every instance by the forge events that change the list. Callers authorise first.
 */
export interface RepositoryListCache {
  /**
   * Reads the provider's generation (no authorisation needed: it reveals nothing, so it may start while the caller
   * is authorised). `credentials`, given to repositoriesFor, identifies what a list was fetched with (a change is a miss).
   */
  get(providerId: string): Promise<CachedListing>;
  /** Stores a list fetched after get() returned `generation`; an invalidation meanwhile makes it a miss later. */
  put(providerId: string, credentials: string, generation: string, repositories: readonly ForgeRepository[]): void;
  /** The provider's list changed on the forge: every instance fetches it again on the next open. */
  invalidate(providerId: string): Promise<void>;
}
