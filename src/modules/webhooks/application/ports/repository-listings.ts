/** The cached repositories lists of the git-providers module, as the webhook pipeline needs them. */
export interface RepositoryListings {
  /** The forge reported a change to the provider's list (a repository created, deleted, renamed, added or removed). */
  invalidate(providerId: string): Promise<void>;
}
