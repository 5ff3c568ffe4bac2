import { Migration } from '@mikro-orm/migrations';

/** Signed HTTP event subscriptions: one row per endpoint with its durable delivery cursor into the outbox (ADR 0012). */
export class Migration20261130160000_event_subscriptions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table event_subscription (
      id uuid primary key,
      organization_id uuid not null references organization(id) on delete cascade,
      url text not null,
      types text[],
      description text,
      secret text not null,
      created_by text not null,
      created_at timestamptz not null,
      cursor_txid xid8 not null,
      cursor_position bigint not null,
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      lease_token uuid,
      lease_expires_at timestamptz,
      failing boolean not null default false,
      last_delivery_at timestamptz,
      last_status integer,
      last_error text
    );`);
    this.addSql(`create index event_subscription_organization on event_subscription (organization_id, created_at);`);
    this.addSql(`create index event_subscription_due on event_subscription (next_attempt_at);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists event_subscription;`);
  }
}
