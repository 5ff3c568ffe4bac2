import { Migration } from '@mikro-orm/migrations';

/**
 * Service ids are scoped per organisation (API contract): two organisations may link the same service id
 * independently, and neither can block or probe the other's. The organisation joins the primary key.
 */
export class Migration20261130100000_service_source_per_organisation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table service_source drop constraint service_source_pkey;`);
    this.addSql(`alter table service_source add constraint service_source_pkey primary key (organization_id, service_type, service_id);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table service_source drop constraint service_source_pkey;`);
    this.addSql(`alter table service_source add constraint service_source_pkey primary key (service_type, service_id);`);
  }
}
