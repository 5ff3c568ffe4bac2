import { Migration } from '@mikro-orm/migrations';

/** Console sign-in sessions: only the SHA-256 of the session id is stored; a removed member's sessions go with them. */
export class Migration20261130140000_console_sessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table console_session (
      id_hash text primary key,
      organization_id uuid not null,
      user_id text not null,
      api_key_hash text not null,
      created_at timestamptz not null,
      last_seen_at timestamptz not null,
      expires_at timestamptz not null,
      foreign key (organization_id, user_id) references member (organization_id, user_id) on delete cascade
    );`);
    this.addSql(`create index console_session_member on console_session (organization_id, user_id);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists console_session;`);
  }
}
