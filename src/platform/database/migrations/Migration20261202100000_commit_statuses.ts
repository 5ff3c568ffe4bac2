import { Migration } from '@mikro-orm/migrations';

/**
 * Commit statuses (issue #12, ADR 0018): what the deployer reported for a commit, written in the transaction of the
 * status report and posted to the forge by the CommitStatusWorker.
 * - `sequence` orders reports; for one (provider, repository, commit, service) only the newest row is posted and older
 *   unposted rows become `superseded`, so a late "running" never overwrites "success".
 * - `claim_token`/`claimed_until`: a lease taken with FOR UPDATE SKIP LOCKED, so two instances never post the same row
 *   (and one key has at most one post in flight).
 * - `outcome`: pending | posted | superseded | forbidden | failed; `last_error` is the forge's words, never a secret.
 */
export class Migration20261202100000_commit_statuses extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table commit_status (
      id uuid primary key,
      sequence bigint generated always as identity,
      organization_id uuid not null,
      provider_id uuid not null,
      service_type text not null,
      service_id text not null,
      repository text not null,
      repository_id text,
      commit_sha text not null,
      state text not null check (state in ('running', 'done', 'error')),
      target_url text,
      description text,
      created_at timestamptz not null default now(),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      claim_token uuid,
      claimed_until timestamptz,
      posted_at timestamptz,
      outcome text not null default 'pending' check (outcome in ('pending', 'posted', 'superseded', 'forbidden', 'failed')),
      last_error text
    );`);
    this.addSql(`create index commit_status_due on commit_status (next_attempt_at) where outcome = 'pending';`);
    this.addSql(
      `create index commit_status_key on commit_status (provider_id, lower(repository), commit_sha, organization_id, service_type, service_id, sequence);`,
    );
    this.addSql(`create index commit_status_service on commit_status (organization_id, service_type, service_id, sequence desc);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists commit_status;`);
  }
}
