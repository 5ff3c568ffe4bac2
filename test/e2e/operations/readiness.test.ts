import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import supertest from 'supertest';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type DestinationStream } from 'pino';
import { type Migrator } from '@mikro-orm/migrations';
import { createApplication, type Application } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { generateMasterKey, SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { createLogger } from '../../../src/platform/logging/logger.js';
import { openDatabase } from '../../../src/database.js';
import { migrationsList } from '../../../src/platform/database/migrations/index.js';
import { withDatabase } from '../../support/global-setup.js';
import { subscriptionSecretPurpose } from '../../../src/platform/crypto/secret-purposes.js';
import { commandLines, forgelink, startServer } from '../../support/cli.js';

// The contract's /readyz (database, migrations, master key) and start-up refusing, in one line, what would
// make every call fail. Real PostgreSQL: fresh databases created here, dropped at the end.
const created: string[] = [];
/** A test that starts several forgelink processes one after another (each a Node start, through tsx when dist/ is stale). */
const SPAWNS_SEVERAL = 180_000;
const admin = () => new pg.Client({ connectionString: inject('adminDatabaseUrl') });

async function freshDatabase(): Promise<string> {
  const name = `forgelink_ready_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const client = admin();
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  created.push(name);
  return withDatabase(inject('adminDatabaseUrl'), name);
}

async function sql(databaseUrl: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/** The real app in-process on a database, relay off (nothing to publish), answering over supertest. */
async function appOn(
  databaseUrl: string,
  masterKey: string,
  oldKeys: string[] = [],
): Promise<{ app: Application; api: ReturnType<typeof supertest>; logs: () => string }> {
  const lines: string[] = [];
  const sink: DestinationStream = { write: (chunk: string) => void lines.push(chunk) };
  const logger = createLogger('info', sink);
  const config = { ...loadConfig({}), databaseUrl, masterKey, oldMasterKeys: oldKeys, logLevel: 'info' };
  const app = await createApplication(config, { logger, startRelay: false, poolMax: 2 });
  return { app, api: supertest(app.http), logs: () => lines.join('') };
}

const env = (databaseUrl: string, masterKey: string, extra: Record<string, string> = {}): Record<string, string> => ({
  DATABASE_URL: databaseUrl,
  FORGELINK_MASTER_KEY: masterKey,
  PORT: '0',
  LOG_LEVEL: 'warn',
  ...extra,
});

afterAll(async () => {
  const client = admin();
  await client.connect();
  for (const name of created) await client.query(`drop database if exists ${name} with (force)`);
  await client.end();
});

describe('/readyz', () => {
  it('is 200 on a migrated database whose key check the configured key decrypts', async () => {
    const t = await appOn(inject('databaseUrl'), inject('masterKey'));
    try {
      const res = await t.api.get('/readyz');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ready' });
    } finally {
      await t.app.close();
    }
  });

  it('on an unmigrated database: 503 problem naming the migrations and what to run; logged once, not per probe', async () => {
    const databaseUrl = await freshDatabase();
    const t = await appOn(databaseUrl, generateMasterKey());
    try {
      for (let i = 0; i < 3; i++) {
        const res = await t.api.get('/readyz');
        expect(res.status).toBe(503);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.headers['retry-after']).toBe('5');
        expect(res.body).toEqual({
          type: 'https://forgelink.dev/problems/unavailable',
          title: 'Service unavailable',
          status: 503,
          code: 'UNAVAILABLE',
          check: 'migrations',
          detail:
            'the database has no forgelink schema (no migration applied): run `forgelink migrate` (`npm start` migrates before serving)',
        });
      }
      expect(t.logs().match(/not ready: /g)).toHaveLength(1);
    } finally {
      await t.app.close();
    }
  });

  it('with a migration missing: 503 naming it', async () => {
    const databaseUrl = await freshDatabase();
    const masterKey = generateMasterKey();
    const orm = await openDatabase({ databaseUrl, cipher: new SecretCipher(masterKey), poolMax: 1 });
    await (orm.getMigrator() as Migrator).up({ to: migrationsList[0]!.name });
    await orm.close(true);
    const t = await appOn(databaseUrl, masterKey);
    try {
      const res = await t.api.get('/readyz');
      expect(res.status).toBe(503);
      const missing = migrationsList.slice(1).map((m) => m.name);
      expect(res.body).toMatchObject({
        check: 'migrations',
        detail: `${missing.length} of ${migrationsList.length} migrations are not applied (${missing.join(', ')}): run \`forgelink migrate\` (\`npm start\` migrates before serving)`,
      });
    } finally {
      await t.app.close();
    }
  });

  it('with the wrong master key: 503 naming FORGELINK_MASTER_KEY, without key ids; 200 again with the right key listed as old', async () => {
    const wrongKey = generateMasterKey();
    const t = await appOn(inject('databaseUrl'), wrongKey);
    try {
      const res = await t.api.get('/readyz');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        code: 'UNAVAILABLE',
        check: 'masterKey',
        detail:
          'FORGELINK_MASTER_KEY does not decrypt the stored secrets: set the key this database was set up with, or list it in FORGELINK_MASTER_KEYS_OLD during a rotation',
      });
      expect(JSON.stringify(res.body)).not.toContain(new SecretCipher(wrongKey).currentKeyId);
      // The operator's log line carries the key ids that tell which key is which.
      expect(t.logs()).toContain(`the configured key has id ${new SecretCipher(wrongKey).currentKeyId}`);
    } finally {
      await t.app.close();
    }
    const rotating = await appOn(inject('databaseUrl'), wrongKey, [inject('masterKey')]);
    try {
      expect((await rotating.api.get('/readyz')).status).toBe(200);
    } finally {
      await rotating.app.close();
    }
  });
});

describe('start-up names the problem in one line and says what to run', () => {
  it('serve on an unmigrated database exits 1 at once: one line, no stack', async () => {
    const databaseUrl = await freshDatabase();
    const run = await forgelink(['serve'], env(databaseUrl, generateMasterKey()));
    expect(run.code).toBe(1);
    expect(commandLines(run.stderr)).toEqual([
      'forgelink: the database has no forgelink schema (no migration applied): run `forgelink migrate` (`npm start` migrates before serving)',
    ]);
    expect(run.stdout).toBe('');
  });

  it('serve with the wrong FORGELINK_MASTER_KEY exits 1 with one line naming both key ids', async () => {
    const wrongKey = generateMasterKey();
    const run = await forgelink(['serve'], env(inject('databaseUrl'), wrongKey));
    expect(run.code).toBe(1);
    const stored = new SecretCipher(inject('masterKey')).currentKeyId;
    expect(commandLines(run.stderr)).toEqual([
      `forgelink: FORGELINK_MASTER_KEY does not decrypt the stored secrets (written with key id ${stored}; the configured key has id ${new SecretCipher(wrongKey).currentKeyId}): set the key this database was set up with, or list it in FORGELINK_MASTER_KEYS_OLD during a rotation`,
    ]);
    expect(run.stderr).not.toContain(wrongKey);
  });

  it('serve with an unreachable database exits 1 with one line naming DATABASE_URL (and not its password)', async () => {
    const run = await forgelink(['serve'], env('postgres://forgelink:hunter2secret@127.0.0.1:9/forgelink', generateMasterKey()));
    expect(run.code).toBe(1);
    const lines = commandLines(run.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^forgelink: the database does not answer \(.*ECONNREFUSED.*\): check DATABASE_URL and that PostgreSQL is running$/,
    );
    expect(run.stderr).not.toContain('hunter2secret');
  });

  it(
    'migrate prints progress on stderr and the applied names on stdout, stores the key check, and serve then starts ready',
    async () => {
      const databaseUrl = await freshDatabase();
      const masterKey = generateMasterKey();
      const run = await forgelink(['migrate'], env(databaseUrl, masterKey));
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ applied: migrationsList.map((m) => m.name) });
      const names = migrationsList.map((m) => m.name);
      expect(commandLines(run.stderr)).toEqual([
        `forgelink: applying ${names.length} migrations in one transaction`,
        ...names.flatMap((name) => [
          `forgelink:   ${name} …`,
          expect.stringMatching(new RegExp(`^forgelink:   ${name} done \\(\\d+ ms\\)$`)),
        ]),
        `forgelink: applied ${names.length} migrations`,
      ]);
      const check = await sql(databaseUrl, 'select value from key_check');
      expect(check.rows).toHaveLength(1);
      expect(check.rows[0].value).toMatch(new RegExp(`^v1\\.${new SecretCipher(masterKey).currentKeyId}\\.`));

      const again = await forgelink(['migrate'], env(databaseUrl, masterKey));
      expect(JSON.parse(again.stdout)).toEqual({ applied: [] });
      expect(commandLines(again.stderr)).toEqual(['forgelink: database schema is up to date']);

      const server = await startServer(['serve'], env(databaseUrl, masterKey));
      try {
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      } finally {
        server.child.kill('SIGTERM');
      }
      expect(await server.exited).toBe(0);
    },
    SPAWNS_SEVERAL,
  );

  it(
    'a database with secrets but no key check (written before it existed): a wrong key is refused and not recorded; the right one is',
    async () => {
      const databaseUrl = await freshDatabase();
      const rightKey = generateMasterKey();
      expect((await forgelink(['migrate'], env(databaseUrl, rightKey))).code).toBe(0);
      const cipher = new SecretCipher(rightKey);
      const org = await sql(
        databaseUrl,
        `insert into organization (id, name, created_at) values (gen_random_uuid(), 'Old', now()) returning id`,
      );
      await sql(
        databaseUrl,
        `insert into git_provider (id, organization_id, created_by, name, type, status, settings, secrets, created_at, updated_at, version)
       values (gen_random_uuid(), $1, 'alice', 'old', 'bitbucket', 'ready', '{}', $2, now(), now(), 1)`,
        [org.rows[0].id, JSON.stringify({ apiToken: cipher.encrypt('tok', 'apiToken') })],
      ).catch(async (error: Error) => {
        throw new Error(`seeding git_provider failed (columns changed?): ${error.message}`);
      });
      await sql(databaseUrl, 'delete from key_check');

      const wrong = await forgelink(['migrate'], env(databaseUrl, generateMasterKey()));
      expect(wrong.code).toBe(1);
      expect(commandLines(wrong.stderr).at(-1)).toMatch(
        /^forgelink: FORGELINK_MASTER_KEY does not decrypt the stored secrets \(written with key id /,
      );
      expect((await sql(databaseUrl, 'select * from key_check')).rows).toHaveLength(0);

      const serve = await startServer(['serve'], env(databaseUrl, rightKey));
      try {
        expect((await fetch(`${serve.url}/readyz`)).status).toBe(200);
      } finally {
        serve.child.kill('SIGTERM');
      }
      expect(await serve.exited).toBe(0);
      expect((await sql(databaseUrl, 'select * from key_check')).rows).toHaveLength(1);
    },
    SPAWNS_SEVERAL,
  );

  it(
    "a database whose only secret is an event subscription's: the key is proved on it before the key check is written",
    async () => {
      const databaseUrl = await freshDatabase();
      const rightKey = generateMasterKey();
      expect((await forgelink(['migrate'], env(databaseUrl, rightKey))).code).toBe(0);
      const org = await sql(
        databaseUrl,
        `insert into organization (id, name, created_at) values (gen_random_uuid(), 'Subs', now()) returning id`,
      );
      const id = '01a22b00-0000-7000-8000-000000000001';
      await sql(
        databaseUrl,
        `insert into event_subscription (id, organization_id, url, secret, created_by, created_at, cursor_txid, cursor_position)
       values ($1, $2, 'https://deployer.example/hook', $3, 'alice', now(), '0'::xid8, 0)`,
        [id, org.rows[0].id, new SecretCipher(rightKey).encrypt('whsec', subscriptionSecretPurpose(id))],
      );
      await sql(databaseUrl, 'delete from key_check');
      const wrong = await forgelink(['migrate'], env(databaseUrl, generateMasterKey()));
      expect(wrong.code).toBe(1);
      expect(commandLines(wrong.stderr).at(-1)).toMatch(/^forgelink: FORGELINK_MASTER_KEY does not decrypt the stored secrets/);
      expect((await sql(databaseUrl, 'select * from key_check')).rows).toHaveLength(0);
      expect((await forgelink(['migrate'], env(databaseUrl, rightKey))).code).toBe(0);
      expect((await sql(databaseUrl, 'select * from key_check')).rows).toHaveLength(1);
    },
    SPAWNS_SEVERAL,
  );

  it(
    'org create on an unmigrated database migrates first (progress on stderr, key check stored); member add twice is a conflict',
    async () => {
      const databaseUrl = await freshDatabase();
      const masterKey = generateMasterKey();
      const org = await forgelink(['org', 'create', '--name', 'First'], env(databaseUrl, masterKey));
      expect(org.code, org.stderr).toBe(0);
      const orgId = (JSON.parse(org.stdout) as { id: string }).id;
      expect(commandLines(org.stderr)).toContain(`forgelink: applied ${migrationsList.length} migrations`);
      expect((await sql(databaseUrl, 'select name from organization where id = $1', [orgId])).rows).toEqual([{ name: 'First' }]);
      expect((await sql(databaseUrl, 'select count(*)::int as n from key_check')).rows).toEqual([{ n: 1 }]);

      const added = await forgelink(['member', 'add', '--org', orgId, '--user', 'dana', '--role', 'owner'], env(databaseUrl, masterKey));
      expect(added.code, added.stderr).toBe(0);
      expect(commandLines(added.stderr)).toEqual([]);
      const again = await forgelink(['member', 'add', '--org', orgId, '--user', 'dana', '--role', 'member'], env(databaseUrl, masterKey));
      expect(again.code).toBe(1);
      expect(again.stdout).toBe('');
      expect(commandLines(again.stderr)).toEqual(['forgelink: User dana is already a member']);
      const rows = await sql(databaseUrl, 'select role, api_key_hash from member where organization_id = $1', [orgId]);
      expect(rows.rows).toEqual([
        { role: 'owner', api_key_hash: createHash('sha256').update(JSON.parse(added.stdout).apiKey).digest('hex') },
      ]);
      expect((await forgelink(['key', 'rotate', '--org', orgId, '--user', 'nobody'], env(databaseUrl, masterKey))).stderr).toMatch(
        /Member not found/,
      );
    },
    SPAWNS_SEVERAL,
  );

  it(
    'a key rotation: serve needs the old key listed until `secrets rewrap` (which reports progress) re-encrypts the key check too',
    async () => {
      const databaseUrl = await freshDatabase();
      const oldKey = generateMasterKey();
      const newKey = generateMasterKey();
      expect((await forgelink(['migrate'], env(databaseUrl, oldKey))).code).toBe(0);

      expect((await forgelink(['serve'], env(databaseUrl, newKey))).code).toBe(1);
      const rewrap = await forgelink(['secrets', 'rewrap'], env(databaseUrl, newKey, { FORGELINK_MASTER_KEYS_OLD: oldKey }));
      expect(rewrap.code, rewrap.stderr).toBe(0);
      expect(JSON.parse(rewrap.stdout)).toEqual({ providers: 0, hooks: 0, subscriptions: 0 });
      expect(commandLines(rewrap.stderr)).toEqual([
        `forgelink: re-encrypting under key ${new SecretCipher(newKey).currentKeyId}: checking 0 providers`,
        'forgelink:   0 of 0 providers re-encrypted',
        'forgelink: checking 0 repository hook secrets',
        'forgelink:   0 of 0 hook secrets re-encrypted',
        'forgelink: checking 0 event subscription secrets',
        'forgelink:   0 of 0 subscription secrets re-encrypted',
        'forgelink:   master-key check re-encrypted',
        'forgelink: committing',
      ]);

      const server = await startServer(['serve'], env(databaseUrl, newKey));
      try {
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      } finally {
        server.child.kill('SIGTERM');
      }
      expect(await server.exited).toBe(0);
    },
    SPAWNS_SEVERAL,
  );
});
