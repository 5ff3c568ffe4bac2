import { Migration } from '@mikro-orm/migrations';

/**
 * The picker cache (contract "Git providers": the repositories list may be served from a cache at most 60 s old,
 * invalidated by the forge events that change it). Each instance keeps listings in memory; this row is what makes an
 * invalidation seen by every instance: a listing is only served while the provider's generation is the one it was
 * fetched under.
 */
export class Migration20261130130000_repository_listing extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table repository_listing (
      provider_id uuid primary key references git_provider(id) on delete cascade,
      generation bigint not null,
      invalidated_at timestamptz not null
    );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists repository_listing;');
  }
}
