import { type Knex } from '@mikro-orm/postgresql';
import { type ForgeRepository } from '../application/ports/forge.js';
import { type CachedListing, type RepositoryListCache } from '../application/ports/repository-list-cache.js';

export interface ListingCacheOptions {
  /** How old a served list may be (contract: at most 60 s); 0 turns the cache off. */
  readonly maxAgeMs?: number;
  /** Repositories kept over all providers (≈ 0.5 KB each); the least recently used providers go first. */
  readonly maxRepositories?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly credentials: string;
  readonly generation: string;
  readonly fetchedAt: number;
  readonly repositories: readonly ForgeRepository[];
}

/**
 * Lists in this instance's memory; the provider's generation in PostgreSQL (table repository_listing) decides whether
 * one may be served, so an invalidation that reached any instance holds for all of them. A hit costs one primary-key
 * read and no forge request; a miss (or a list older than maxAge) lists again, and the forge adapters revalidate
 * each page with If-None-Match (a 304 is free in rate limit).
 */
export class InProcessRepositoryListCache implements RepositoryListCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxAgeMs: number;
  private readonly maxRepositories: number;
  private readonly now: () => number;
  private held = 0;

  constructor(
    private readonly knex: Knex,
    options: ListingCacheOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.maxRepositories = options.maxRepositories ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  async get(providerId: string): Promise<CachedListing> {
    const { rows } = (await this.knex.raw('select generation::text as generation from repository_listing where provider_id = ?', [
      providerId,
    ])) as { rows: { generation: string }[] };
    const generation = rows[0]?.generation ?? '0';
    return { generation, repositoriesFor: (credentials) => this.lookup(providerId, credentials, generation) };
  }

  private lookup(providerId: string, credentials: string, generation: string): readonly ForgeRepository[] | undefined {
    const entry = this.entries.get(providerId);
    if (!entry) return undefined;
    if (entry.credentials !== credentials || entry.generation !== generation || this.now() - entry.fetchedAt > this.maxAgeMs) {
      this.drop(providerId);
      return undefined;
    }
    this.entries.delete(providerId);
    this.entries.set(providerId, entry);
    return entry.repositories;
  }

  put(providerId: string, credentials: string, generation: string, repositories: readonly ForgeRepository[]): void {
    this.drop(providerId);
    if (this.maxAgeMs <= 0 || repositories.length > this.maxRepositories) return;
    this.entries.set(providerId, { credentials, generation, fetchedAt: this.now(), repositories });
    this.held += repositories.length;
    for (const [oldest] of this.entries) {
      if (this.held <= this.maxRepositories) break;
      this.drop(oldest);
    }
  }

  async invalidate(providerId: string): Promise<void> {
    this.drop(providerId);
    await this.knex.raw(
      `insert into repository_listing (provider_id, generation, invalidated_at) select id, 1, now() from git_provider where id = ?
       on conflict (provider_id) do update set generation = repository_listing.generation + 1, invalidated_at = now()`,
      [providerId],
    );
  }

  private drop(providerId: string): void {
    const entry = this.entries.get(providerId);
    if (!entry) return;
    this.held -= entry.repositories.length;
    this.entries.delete(providerId);
  }
}
