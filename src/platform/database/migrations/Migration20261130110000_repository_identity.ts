import { Migration } from '@mikro-orm/migrations';

/**
 * Repository identity (contract "Repository identity"): sources and registered hooks record the forge's stable
 * repository id. Rows written before this migration keep a null id and are matched by name (case-insensitively)
 * until their next authentic delivery or re-connect fills it in (docs/api.md: "Repository identity").
 */
export class Migration20261130110000_repository_identity extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table service_source add column repository_id text;`);
    // Webhook matching by id reads only this index; the name index stays for rows without an id.
    this.addSql(
      `create index service_source_match_id on service_source (provider_id, repository_id, trigger_type, branch) where source_type = 'git';`,
    );
    this.addSql(`alter table repository_hook add column repository_id text;`);
    // One hook per provider + repository id: the name is only its current spelling, which may change.
    this.addSql(`alter table repository_hook drop constraint repository_hook_pkey;`);
    this.addSql(
      `create unique index repository_hook_by_id on repository_hook (provider_id, repository_id) where repository_id is not null;`,
    );
    this.addSql(`create index repository_hook_by_name on repository_hook (provider_id, lower(repository));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists repository_hook_by_name;`);
    this.addSql(`drop index if exists repository_hook_by_id;`);
    this.addSql(`alter table repository_hook drop column repository_id;`);
    this.addSql(`alter table repository_hook add primary key (provider_id, repository);`);
    this.addSql(`drop index if exists service_source_match_id;`);
    this.addSql(`alter table service_source drop column repository_id;`);
  }
}
