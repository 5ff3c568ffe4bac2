import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/platform/database/embedded-postgres.js';
import { SecretCipher } from '../../src/platform/crypto/secret-cipher.js';
import { migrate, openDatabase } from '../../src/database.js';

export interface BenchDatabase {
  /** A fresh, migrated database of its own. */
  readonly databaseUrl: string;
  readonly masterKey: string;
}

export interface BenchServer {
  /** "DATABASE_URL server" or "embedded PostgreSQL". */
  readonly where: string;
  createDatabase(): Promise<BenchDatabase>;
  /** Drops every database created here and stops the embedded server, if one was started. Every call waits for the same stop. */
  stop(): Promise<void>;
}

/**
 * The PostgreSQL server the benches create their databases on, as test/support/global-setup.ts does for tests:
 * DATABASE_URL's server when set, else an embedded PostgreSQL under the OS temp dir.
 */
export async function startBenchServer(): Promise<BenchServer> {
  let embedded: EmbeddedDatabase | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: path.join(os.tmpdir(), 'forgelink-bench-db'), database: 'postgres' });
    serverUrl = embedded.url;
  }
  const admin = withDatabase(serverUrl, 'postgres');
  // Ctrl-C reaches the embedded postmaster too, which then shuts down before the databases are dropped: clean up next time.
  if (embedded) await dropStale(admin);
  const created: string[] = [];
  let stopping: Promise<void> | undefined;

  const drop = async (name: string): Promise<void> => {
    await adminQuery(admin, `drop database if exists ${name} with (force)`).catch((error: unknown) => {
      console.error(
        `could not drop ${name}: ${error instanceof Error ? error.message : String(error)}${embedded ? ' (a later run drops it)' : ''}`,
      );
    });
  };

  return {
    where: embedded ? 'embedded PostgreSQL' : 'DATABASE_URL server',
    async createDatabase() {
      const name = `forgelink_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
      await adminQuery(admin, `create database ${name}`);
      created.push(name);
      const databaseUrl = withDatabase(serverUrl, name);
      const masterKey = randomBytes(32).toString('base64');
      const orm = await openDatabase({ databaseUrl, cipher: new SecretCipher(masterKey), poolMax: 2 });
      try {
        await migrate(orm);
      } finally {
        await orm.close(true);
      }
      return { databaseUrl, masterKey };
    },
    stop() {
      stopping ??= (async () => {
        for (const name of created.splice(0)) await drop(name);
        await embedded?.stop();
      })();
      return stopping;
    },
  };
}

/** Bench databases of the private embedded cluster older than half an hour: left by an interrupted run. */
async function dropStale(admin: string): Promise<void> {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(`select datname from pg_database where datname like 'forgelink\\_bench\\_%'`);
    for (const { datname } of rows) {
      const created = Number(/^forgelink_bench_(\d+)_[0-9a-f]+$/.exec(datname)?.[1]);
      if (Number.isFinite(created) && Date.now() - created > 30 * 60_000)
        await client.query(`drop database if exists ${datname} with (force)`);
    }
  } finally {
    await client.end();
  }
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
