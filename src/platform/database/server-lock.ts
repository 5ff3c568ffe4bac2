import { existsSync, linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Who holds a data folder's server lock. */
export interface LockHolder {
  readonly pid: number;
  readonly startedAt: string;
}

export class ServerLockedError extends Error {
  override readonly name = 'ServerLockedError';
  constructor(
    readonly holder: LockHolder,
    dataDir: string,
  ) {
    super(
      `another forgelink server (pid ${holder.pid}, started ${holder.startedAt}) is using the embedded database in ${dataDir}: ` +
        `stop it first (Ctrl-C in its terminal, or kill -TERM ${holder.pid}), or give this one its own FORGELINK_DATA_DIR or a DATABASE_URL`,
    );
  }
}

export interface ServerLock {
  release(): void;
}

const LOCK_FILE = 'server.lock';

/**
 * One `forgelink serve`/`start` per data folder with the embedded PostgreSQL: two servers would share one
 * cluster that whichever stops first shuts down under the other. Short CLI commands do not lock; they reuse
 * the running cluster. The lock is `<dataDir>/server.lock` holding the owner's pid, created atomically (link);
 * a lock whose process is gone (a crash, SIGKILL) is stale and taken over.
 */
export function acquireServerLock(dataDir: string): ServerLock {
  const lockPath = path.join(dataDir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, startedAt: new Date().toISOString() };
  const staging = `${lockPath}.${process.pid}`;
  writeFileSync(staging, JSON.stringify(mine), { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(staging, lockPath);
        return lockFor(lockPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readHolder(lockPath);
      if (holder && isRunningForgelink(holder.pid)) throw new ServerLockedError(holder, dataDir);
      // Stale: move it aside (only one contender's rename succeeds), and make sure what moved is the stale one.
      const aside = `${lockPath}.stale.${process.pid}`;
      try {
        renameSync(lockPath, aside);
      } catch {
        continue;
      }
      const moved = readHolder(aside);
      if (moved && moved.pid !== holder?.pid && isRunningForgelink(moved.pid)) {
        // Another contender won the lock between our read and our rename: give it back.
        try {
          linkSync(aside, lockPath);
        } catch {
          // It already holds a new one.
        }
        unlinkQuietly(aside);
        throw new ServerLockedError(moved, dataDir);
      }
      unlinkQuietly(aside);
    }
    throw new Error(`could not take ${lockPath}: it keeps changing; is another forgelink starting?`);
  } finally {
    unlinkQuietly(staging);
  }
}

/** The live server holding the data folder's lock, if any (short commands use it to leave the cluster running). */
export function serverLockHolder(dataDir: string): LockHolder | undefined {
  const holder = readHolder(path.join(dataDir, LOCK_FILE));
  return holder && holder.pid !== process.pid && isRunningForgelink(holder.pid) ? holder : undefined;
}

function lockFor(lockPath: string): ServerLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    if (readHolder(lockPath)?.pid === process.pid) unlinkQuietly(lockPath);
  };
  process.once('exit', release);
  return { release };
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return Number.isInteger(value.pid) && (value.pid ?? 0) > 0
      ? { pid: value.pid!, startedAt: String(value.startedAt ?? 'unknown') }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Alive, and (where /proc tells) a forgelink process, so a pid reused by something else after a crash is not mistaken for it. */
function isRunningForgelink(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    return /forgelink/i.test(readFileSync(cmdline, 'utf8'));
  } catch {
    return false;
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}
