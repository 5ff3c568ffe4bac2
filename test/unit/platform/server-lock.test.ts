import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { acquireServerLock, serverLockHolder, ServerLockedError } from '../../../src/platform/database/server-lock.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'forgelink-lock-'));
  dirs.push(dir);
  return dir;
};
/** A live process whose command line does (or does not) name forgelink. */
const live = (namesForgelink: boolean): number => {
  const args = ['-e', 'setTimeout(() => {}, 60000)', ...(namesForgelink ? ['bin/forgelink.js', 'start'] : ['something-else'])];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
};
const holderFile = (dir: string, pid: number) =>
  writeFileSync(path.join(dir, 'server.lock'), JSON.stringify({ pid, startedAt: '2026-11-30T00:00:00.000Z' }));

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the server lock of a data folder', () => {
  it('is taken, refused to a second taker while held by a live forgelink, and removed on release', async () => {
    const dir = tempDir();
    const lock = acquireServerLock(dir);
    expect(JSON.parse(readFileSync(path.join(dir, 'server.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
    expect(existsSync(path.join(dir, 'server.lock'))).toBe(false);

    const other = live(true);
    await new Promise((r) => setTimeout(r, 100));
    holderFile(dir, other);
    expect(() => acquireServerLock(dir)).toThrow(ServerLockedError);
    expect(() => acquireServerLock(dir)).toThrow(
      `another forgelink server (pid ${other}, started 2026-11-30T00:00:00.000Z) is using the embedded database in ${dir}: stop it first (Ctrl-C in its terminal, or kill -TERM ${other}), or give this one its own FORGELINK_DATA_DIR or a DATABASE_URL`,
    );
    expect(serverLockHolder(dir)).toEqual({ pid: other, startedAt: '2026-11-30T00:00:00.000Z' });
    // The refused taker left the holder's lock alone and no staging files behind.
    expect(JSON.parse(readFileSync(path.join(dir, 'server.lock'), 'utf8'))).toMatchObject({ pid: other });
    expect(readdirSync(dir)).toEqual(['server.lock']);
  });

  it('takes over a lock whose process is gone (a crash) or whose pid now belongs to something else', async () => {
    const dir = tempDir();
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.on('close', r));
    holderFile(dir, gone.pid!);
    expect(serverLockHolder(dir)).toBeUndefined();
    acquireServerLock(dir).release();

    const reused = live(false);
    await new Promise((r) => setTimeout(r, 100));
    holderFile(dir, reused);
    const lock = acquireServerLock(dir);
    expect(JSON.parse(readFileSync(path.join(dir, 'server.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('a garbled lock file counts as stale', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'server.lock'), 'not json');
    acquireServerLock(dir).release();
  });
});
