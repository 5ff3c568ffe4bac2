import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Config } from './config.js';
import { generateMasterKey } from './platform/crypto/secret-cipher.js';
import { type EmbeddedDatabase } from './platform/database/embedded-postgres.js';
import { acquireServerLock, serverLockHolder, type ServerLock } from './platform/database/server-lock.js';

export interface Runtime {
  readonly config: Config & { databaseUrl: string; masterKey: string };
  readonly embedded?: EmbeddedDatabase;
  stop(): Promise<void>;
}

/**
 * Fills in what the zero-setup default provides: with no DATABASE_URL, an embedded PostgreSQL under
 * FORGELINK_DATA_DIR and a master key generated into <dataDir>/master.key on first start.
 */
export async function prepareRuntime(config: Config, say: (message: string) => void, options: { server?: boolean } = {}): Promise<Runtime> {
  if (config.databaseUrl && config.masterKey) {
    return { config: { ...config, databaseUrl: config.databaseUrl, masterKey: config.masterKey }, stop: async () => undefined };
  }
  const dataDir = path.resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let masterKey = config.masterKey;
  if (!masterKey) {
    const keyFile = path.join(dataDir, 'master.key');
    if (!existsSync(keyFile)) {
      writeFileSync(keyFile, generateMasterKey() + '\n', { mode: 0o600 });
      say(`generated a master key in ${keyFile} (back it up: without it stored secrets cannot be decrypted)`);
    }
    masterKey = readFileSync(keyFile, 'utf8').trim();
  }
  let embedded: EmbeddedDatabase | undefined;
  let lock: ServerLock | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    // A server owns the folder's cluster (see server-lock.ts); a second server refuses, in one line, before touching it.
    if (options.server) lock = acquireServerLock(dataDir);
    say('no DATABASE_URL: starting the embedded PostgreSQL');
    try {
      // Imported only here: with a DATABASE_URL, a command never loads the embedded server's package.
      const { startEmbeddedPostgres } = await import('./platform/database/embedded-postgres.js');
      embedded = await startEmbeddedPostgres({ dataDir, log: say });
    } catch (error) {
      lock?.release();
      throw error;
    }
    databaseUrl = embedded.url;
  }
  const stop = async (): Promise<void> => {
    // A short command that started the cluster leaves it to a server that adopted it meanwhile.
    if (embedded && (options.server || !serverLockHolder(dataDir))) await embedded.stop();
    lock?.release();
  };
  return { config: { ...config, databaseUrl, masterKey }, embedded, stop };
}
