import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/platform/database/embedded-postgres.js';
import { SecretCipher } from '../../src/platform/crypto/secret-cipher.js';
import { migrate, openDatabase } from '../../src/database.js';
import { ensureKeyCheck } from '../../src/platform/database/readiness.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** A server URL whose `postgres` database can create more databases (migration tests). */
    adminDatabaseUrl: string;
    masterKey: string;
  }
}

let embedded: EmbeddedDatabase | undefined;
let dropDatabase: (() => Promise<void>) | undefined;

/**
 * One fresh, migrated database per test run: on the server named by DATABASE_URL when set (CI, the machine's
 * PostgreSQL), else on an embedded PostgreSQL started here, so `npm test` passes on a fresh machine too.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: path.join(os.tmpdir(), 'forgelink-test-db'), database: 'postgres' });
    serverUrl = embedded.url;
  }
  const name = `forgelink_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = withDatabase(serverUrl, 'postgres');
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const databaseUrl = withDatabase(serverUrl, name);
  const masterKey = randomBytes(32).toString('base64');
  const cipher = new SecretCipher(masterKey);
  const orm = await openDatabase({ databaseUrl, cipher, poolMax: 2 });
  await migrate(orm);
  // As `forgelink migrate` does: store the master-key check, so /readyz is 200.
  await ensureKeyCheck(orm.em.getKnex(), cipher);
  await orm.close(true);

  dropDatabase = async () => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  };
  project.provide('databaseUrl', databaseUrl);
  project.provide('adminDatabaseUrl', admin);
  project.provide('masterKey', masterKey);
  return async () => {
    await dropDatabase?.().catch(() => undefined);
    await embedded?.stop();
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
