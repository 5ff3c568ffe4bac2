import { Migration } from '@mikro-orm/migrations';

/**
 * Previews and hook health (issue #12).
 * - `service_source.previews`: the source's opt-in to pull/merge request previews, `{enabled, fromForks}`, both off by
 *   default (a fork's request runs a stranger's code). Preview candidates are read through service_source_match_id.
 * - `webhook_delivery.repository_id`: the forge's id of the repository a delivery concerned, so a source can show its
 *   repository's last delivery from an index (webhook_delivery_repository) instead of the hot path writing a
 *   per-repository row that every concurrent delivery would contend for (ADR 0014, ADR 0019).
 */
export class Migration20261201300000_previews_and_hook_health extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table service_source add column previews jsonb not null default '{"enabled": false, "fromForks": false}'::jsonb;`);
    this.addSql(`alter table webhook_delivery add column repository_id text;`);
    this.addSql(
      `create index webhook_delivery_repository on webhook_delivery (provider_id, repository_id, received_at desc) where repository_id is not null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists webhook_delivery_repository;`);
    this.addSql(`alter table webhook_delivery drop column if exists repository_id;`);
    this.addSql(`alter table service_source drop column if exists previews;`);
  }
}
