import { Migration } from '@mikro-orm/migrations';

/**
 * Replay protection (API contract): a byte-identical body already received for the provider is a duplicate,
 * whatever its delivery id. The SHA-256 of the raw body is kept per delivery; the partial unique index makes
 * the check hold across concurrent requests and instances (older rows, without a hash, are not compared).
 */
export class Migration20261130100100_delivery_body_hash extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table webhook_delivery add column body_sha256 text;`);
    this.addSql(
      `create unique index webhook_delivery_body_once on webhook_delivery (provider_id, body_sha256) where outcome <> 'duplicate' and body_sha256 is not null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists webhook_delivery_body_once;`);
    this.addSql(`alter table webhook_delivery drop column if exists body_sha256;`);
  }
}
