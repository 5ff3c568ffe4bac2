import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/platform/database/embedded-postgres.js';
import { SecretCipher } from '../../src/platform/crypto/secret-cipher.js';
import { migrate, openDatabase } from '../../src/platform/database/orm.js';

export interface BenchDatabase {
  /** A fresh, migrated database of its own. */
  readonly databaseUrl: string;
  readonly masterKey: string;
  /** Where it runs: "DATABASE_URL server" or "embedded PostgreSQL". */
  readonly where: string;
  /** Drops the database and stops the embedded server, if one was started. Safe to call twice. */
  drop(): Promise<void>;
}

/**
 * One fresh migrated database for a bench run, as test/support/global-setup.ts does for tests: on DATABASE_URL's
 * server when set, else on an embedded PostgreSQL under the OS temp dir.
 */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: path.join(os.tmpdir(), 'forgelink-bench-db'), database: 'postgres' });
    serverUrl = embedded.url;
  }
  const name = `forgelink_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = withDatabase(serverUrl, 'postgres');
  await adminQuery(admin, `create database ${name}`);
  const databaseUrl = withDatabase(serverUrl, name);
  const masterKey = randomBytes(32).toString('base64');
  try {
    const orm = await openDatabase({ databaseUrl, cipher: new SecretCipher(masterKey), poolMax: 2 });
    await migrate(orm);
    await orm.close(true);
  } catch (error) {
    await adminQuery(admin, `drop database if exists ${name} with (force)`).catch(() => undefined);
    await embedded?.stop();
    throw error;
  }

  let dropped = false;
  return {
    databaseUrl,
    masterKey,
    where: embedded ? 'embedded PostgreSQL' : 'DATABASE_URL server',
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(admin, `drop database if exists ${name} with (force)`).catch((error: unknown) => {
        console.error(`could not drop ${name}: ${error instanceof Error ? error.message : String(error)}`);
      });
      await embedded?.stop();
    },
  };
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
