import { Migration } from '@mikro-orm/migrations';

export class Migration20261125000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table organization (
      id uuid primary key,
      name text not null,
      created_at timestamptz not null
    );`);
    this.addSql(`create table member (
      organization_id uuid not null references organization(id) on delete cascade,
      user_id text not null,
      role text not null check (role in ('owner', 'admin', 'member')),
      api_key_hash text not null unique,
      created_at timestamptz not null,
      key_rotated_at timestamptz not null,
      primary key (organization_id, user_id)
    );`);
    this.addSql(`create table git_provider (
      id uuid primary key,
      organization_id uuid not null references organization(id) on delete cascade,
      created_by text not null,
      name text not null,
      type text not null check (type in ('github', 'gitlab', 'bitbucket', 'gitea')),
      shared_with_organization boolean not null default false,
      status text not null,
      settings jsonb not null,
      secrets text not null,
      reauthorization_required boolean not null default false,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      version integer not null default 1,
      constraint git_provider_name_unique unique (organization_id, name)
    );`);
    this.addSql(`create index git_provider_org_type on git_provider (organization_id, type);`);
    this.addSql(`create table service_source (
      service_type text not null check (service_type in ('application', 'compose')),
      service_id text not null,
      organization_id uuid not null references organization(id) on delete cascade,
      source_type text not null check (source_type in ('git', 'none')),
      provider_id uuid references git_provider(id),
      provider_type text,
      repository text,
      owner text,
      branch text,
      trigger_type text check (trigger_type in ('push', 'tag')),
      watch_paths jsonb,
      auto_deploy boolean not null,
      build_path text not null,
      compose_path text,
      status text not null check (status in ('idle', 'running', 'done', 'error')),
      webhook jsonb not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      version integer not null default 1,
      primary key (service_type, service_id)
    );`);
    // Webhook matching reads only this index: cost does not grow with the number of services.
    this.addSql(
      `create index service_source_match on service_source (provider_id, lower(repository), trigger_type, branch) where source_type = 'git';`,
    );
    this.addSql(`create index service_source_org on service_source (organization_id);`);
    // txid orders the feed: rows with txid below the oldest running transaction can no longer be overtaken.
    this.addSql(`create table outbox (
      position bigserial primary key,
      id uuid not null unique,
      txid xid8 not null default pg_current_xact_id(),
      type text not null,
      organization_id uuid not null,
      aggregate_id text not null,
      occurred_at timestamptz not null,
      data jsonb not null,
      published_at timestamptz,
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      last_error text
    );`);
    this.addSql(`create index outbox_pending on outbox (txid, position) where published_at is null;`);
    this.addSql(`create index outbox_pending_aggregate on outbox (aggregate_id, txid, position) where published_at is null;`);
    this.addSql(`create index outbox_feed on outbox (organization_id, txid, position);`);
    this.addSql(`create table consumed_state (
      nonce text primary key,
      expires_at timestamptz not null
    );`);
    this.addSql(`create table repository_hook (
      provider_id uuid not null references git_provider(id) on delete cascade,
      repository text not null,
      hook_id text,
      url text not null,
      secret text not null,
      created_at timestamptz not null,
      primary key (provider_id, repository)
    );`);
    this.addSql(`create table webhook_delivery (
      id uuid primary key,
      provider_id uuid not null,
      organization_id uuid not null,
      delivery_id text not null,
      event text,
      received_at timestamptz not null,
      outcome text not null check (outcome in ('deployed', 'ignored', 'duplicate', 'rejected')),
      reason text,
      deployments integer not null default 0
    );`);
    // The idempotency guarantee: two copies racing at two instances cannot both insert a first delivery.
    this.addSql(`create unique index webhook_delivery_once on webhook_delivery (provider_id, delivery_id) where outcome <> 'duplicate';`);
    this.addSql(`create index webhook_delivery_list on webhook_delivery (organization_id, received_at desc, id desc);`);
  }

  override async down(): Promise<void> {
    for (const table of [
      'webhook_delivery',
      'repository_hook',
      'consumed_state',
      'outbox',
      'service_source',
      'git_provider',
      'member',
      'organization',
    ]) {
      this.addSql(`drop table if exists ${table} cascade;`);
    }
  }
}
