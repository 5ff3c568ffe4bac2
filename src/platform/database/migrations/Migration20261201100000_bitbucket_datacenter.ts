import { Migration } from '@mikro-orm/migrations';

/** Bitbucket Data Center (issue #13) is a fifth provider type: the type check of git_provider admits it. */
export class Migration20261201100000_bitbucket_datacenter extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table git_provider drop constraint git_provider_type_check;`);
    this.addSql(
      `alter table git_provider add constraint git_provider_type_check check (type in ('github', 'gitlab', 'bitbucket', 'gitea', 'bitbucket-datacenter'));`,
    );
  }

  /** Fails while Bitbucket Data Center providers exist: remove them through the API first (their hooks go with them). */
  override async down(): Promise<void> {
    this.addSql(`alter table git_provider drop constraint git_provider_type_check;`);
    this.addSql(
      `alter table git_provider add constraint git_provider_type_check check (type in ('github', 'gitlab', 'bitbucket', 'gitea'));`,
    );
  }
}
