import { Migration } from '@mikro-orm/migrations';

/**
 * One row holding a known value encrypted with the master key, so start-up and /readyz can tell a wrong
 * FORGELINK_MASTER_KEY before any request fails on it. The row is written by `forgelink migrate`/`start`
 * (src/platform/database/readiness.ts), which know the key; this migration only makes room for it.
 */
export class Migration20261130120000_key_check extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table key_check (
      id smallint primary key default 1 check (id = 1),
      value text not null,
      created_at timestamptz not null default now()
    );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists key_check;');
  }
}
