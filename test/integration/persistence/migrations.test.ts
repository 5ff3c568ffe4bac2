import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import { generateMasterKey, SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { migrate, openDatabase } from '../../../src/database.js';
import { migrationsList } from '../../../src/platform/database/migrations/index.js';
import { pendingOf, shippedMigrationNames } from '../../../src/platform/database/migration-state.js';
import { createScratchDatabase } from './database.js';

const TABLES = [
  'commit_status',
  'console_session',
  'consumed_state',
  'event_subscription',
  'git_provider',
  'key_check',
  'member',
  'mikro_orm_migrations',
  'organization',
  'outbox',
  'repository_hook',
  'repository_listing',
  'service_source',
  'webhook_delivery',
];
const INDEXES = [
  'git_provider_name_unique',
  'git_provider_org_type',
  'service_source_match',
  'service_source_org',
  'outbox_pending',
  'outbox_pending_aggregate',
  'outbox_feed',
  'webhook_delivery_once',
  'webhook_delivery_body_once',
  'webhook_delivery_list',
  'service_source_match_id',
  'repository_hook_by_id',
  'repository_hook_by_name',
  'console_session_member',
  'event_subscription_organization',
  'event_subscription_due',
  'commit_status_due',
  'commit_status_key',
  'commit_status_service',
];
/** Every migration, in the order index.ts lists them (each timestamp-prefixed, so the list order is the name order). */
const ALL = migrationsList.map((m) => m.name);

describe('migrations from an empty database', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let client: pg.Client;

  beforeAll(async () => {
    scratch = await createScratchDatabase(inject('adminDatabaseUrl'), 'migrations');
    client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await scratch?.drop();
  });

  it('creates every table and index, and a second migrate applies nothing', async () => {
    const before = await client.query(`select table_name from information_schema.tables where table_schema = 'public'`);
    expect(before.rows).toEqual([]);

    const orm = await openDatabase({ databaseUrl: scratch.url, cipher: new SecretCipher(generateMasterKey()), poolMax: 2 });
    try {
      expect(ALL[0]).toBe('Migration20261125000000_initial');
      expect([...ALL].sort()).toEqual(ALL);
      // The CLI's short commands find pending migrations from the folder's file names, without loading the classes.
      expect(shippedMigrationNames()).toEqual(ALL);
      const query = (sql: string) => client.query(sql);
      expect(await pendingOf(query, ALL)).toEqual(ALL);
      expect(await migrate(orm)).toEqual(ALL);
      expect(await pendingOf(query, ALL)).toEqual([]);
      expect(await pendingOf(query, [...ALL, 'Migration29991231000000_not_yet'])).toEqual(['Migration29991231000000_not_yet']);

      const tables = await client.query<{ table_name: string }>(
        `select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(TABLES);

      const indexes = await client.query<{ indexname: string; indexdef: string }>(
        `select indexname, indexdef from pg_indexes where schemaname = 'public'`,
      );
      const byName = new Map(indexes.rows.map((r) => [r.indexname, r.indexdef]));
      for (const name of INDEXES) expect(byName.has(name), name).toBe(true);
      expect(byName.get('webhook_delivery_once')).toMatch(/UNIQUE.*\(provider_id, delivery_id\).*WHERE \(outcome <> 'duplicate'::text\)/);
      expect(byName.get('commit_status_due')).toMatch(/\(next_attempt_at\) WHERE \(outcome = 'pending'::text\)/);
      expect(byName.get('outbox_pending')).toMatch(/\(txid, "?position"?\) WHERE \(published_at IS NULL\)/);
      expect(byName.get('webhook_delivery_body_once')).toMatch(/UNIQUE.*\(body_sha256, provider_id\).*WHERE/);
      // Service ids are scoped per organisation: the organisation leads the primary key.
      expect(byName.get('service_source_pkey')).toMatch(/\(organization_id, service_type, service_id\)/);
      expect(byName.get('service_source_match')).toMatch(/lower\(repository\).*WHERE \(source_type = 'git'::text\)/);
      expect(byName.get('service_source_match_id')).toMatch(
        /\(provider_id, repository_id, trigger_type, branch\) WHERE \(source_type = 'git'::text\)/,
      );
      expect(byName.get('repository_hook_by_id')).toMatch(/UNIQUE.*\(provider_id, repository_id\) WHERE \(repository_id IS NOT NULL\)/);

      const applied = await client.query<{ name: string }>('select name from mikro_orm_migrations');
      expect(applied.rows.map((r) => r.name)).toEqual(ALL);

      expect(await migrate(orm)).toEqual([]);
      const again = await client.query('select name from mikro_orm_migrations');
      expect(again.rowCount).toBe(ALL.length);
    } finally {
      await orm.close(true);
    }

    // The schema holds the rules the code relies on.
    const outbox = await client.query<{ column_name: string; data_type: string; column_default: string | null }>(
      `select column_name, data_type, column_default from information_schema.columns where table_name = 'outbox'`,
    );
    const txid = outbox.rows.find((c) => c.column_name === 'txid');
    expect(txid?.column_default).toBe('pg_current_xact_id()');
    await expect(
      client.query(
        `insert into member (organization_id, user_id, role, api_key_hash, created_at, key_rotated_at) values (gen_random_uuid(), 'u', 'member', 'h', now(), now())`,
      ),
    ).rejects.toThrow(/foreign key/);
  });
});
