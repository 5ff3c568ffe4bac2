import { Migration } from '@mikro-orm/migrations';

/**
 * The replay index leads with the body's hash (ADR 0021). The webhook path looks a delivery up by provider + delivery
 * id (webhook_delivery_once) and by body hash (this index) in one cached plan. With both indexes led by provider_id,
 * a plan made while the table was small could serve the hash lookup from webhook_delivery_once (the same estimated
 * cost then) and go on scanning every delivery of the provider as the table grew. Led by the hash, only this index
 * answers a hash lookup. Same rows, same uniqueness; built in the migration's transaction (writes to
 * webhook_delivery wait for it; the table holds FORGELINK_RETENTION_DAYS of deliveries).
 */
export class Migration20261203100000_body_hash_index_order extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create unique index webhook_delivery_body_once_by_hash on webhook_delivery (body_sha256, provider_id) where outcome <> 'duplicate' and body_sha256 is not null;`,
    );
    this.addSql(`drop index webhook_delivery_body_once;`);
    this.addSql(`alter index webhook_delivery_body_once_by_hash rename to webhook_delivery_body_once;`);
  }

  override async down(): Promise<void> {
    this.addSql(
      `create unique index webhook_delivery_body_once_by_provider on webhook_delivery (provider_id, body_sha256) where outcome <> 'duplicate' and body_sha256 is not null;`,
    );
    this.addSql(`drop index webhook_delivery_body_once;`);
    this.addSql(`alter index webhook_delivery_body_once_by_provider rename to webhook_delivery_body_once;`);
  }
}
