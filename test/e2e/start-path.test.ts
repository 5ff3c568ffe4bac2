import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { migrationsList } from '../../src/platform/database/migrations/index.js';
import { withDatabase } from '../support/global-setup.js';

// bin/forgelink.js runs dist/ when it was compiled from the src/ on disk, and src/ through tsx otherwise
// (docs/adr/0011-compiled-start-path.md). Each case runs in a throwaway copy of the project (node_modules linked).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const made: string[] = [];

function project(options: { src?: Record<string, string>; realSrc?: boolean; nodeModules?: 'linked' | 'empty' }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'forgelink-start-'));
  made.push(dir);
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(path.join(root, file), path.join(dir, file));
  for (const folder of ['bin', 'scripts']) cpSync(path.join(root, folder), path.join(dir, folder), { recursive: true });
  if (options.realSrc) cpSync(path.join(root, 'src'), path.join(dir, 'src'), { recursive: true });
  for (const [file, text] of Object.entries(options.src ?? {})) {
    mkdirSync(path.dirname(path.join(dir, 'src', file)), { recursive: true });
    writeFileSync(path.join(dir, 'src', file), text);
  }
  if (options.nodeModules === 'empty') mkdirSync(path.join(dir, 'node_modules'));
  else symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

const run = (dir: string, args: string[], env: Record<string, string> = {}) => {
  const result = spawnSync(process.execPath, [path.join(dir, 'bin/forgelink.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};
const build = (dir: string) =>
  spawnSync(process.execPath, [path.join(dir, 'scripts/build.js')], { cwd: dir, encoding: 'utf8', timeout: 240_000 });

// The tiny cli says which file ran and reads an asset beside it, as a module with static files would.
const cli = (word: string) => `import { readFileSync } from 'node:fs';
const asset: string = readFileSync(new URL('./asset.txt', import.meta.url), 'utf8').trim();
process.stdout.write(JSON.stringify({ word: '${word}', file: new URL(import.meta.url).pathname, asset }) + '\\n');
`;

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('the start path: dist/ when current, src/ when it changed', () => {
  it('runs dist/ after a build, src/ through tsx (saying so) once a source changes, and dist/ again after a rebuild', () => {
    const dir = project({ src: { 'cli.ts': cli('one'), 'asset.txt': 'beside the code\n' } });

    const unbuilt = run(dir, []);
    expect(unbuilt.code).toBe(0);
    expect(JSON.parse(unbuilt.stdout)).toEqual({ word: 'one', file: path.join(dir, 'src/cli.ts'), asset: 'beside the code' });
    expect(unbuilt.stderr).toMatch(/dist\/ is not built: running src\/ through tsx/);

    const first = build(dir);
    expect(first.status, first.stderr).toBe(0);
    const built = run(dir, []);
    expect(built.code).toBe(0);
    expect(JSON.parse(built.stdout)).toEqual({ word: 'one', file: path.join(dir, 'dist/cli.js'), asset: 'beside the code' });
    expect(built.stderr).toBe('');

    // An edit, even one that keeps the file's size and an older mtime, is seen: the check hashes contents.
    writeFileSync(path.join(dir, 'src/cli.ts'), cli('two'));
    const edited = run(dir, []);
    expect(JSON.parse(edited.stdout)).toMatchObject({ word: 'two', file: path.join(dir, 'src/cli.ts') });
    expect(edited.stderr).toMatch(/src\/ has changed since dist\/ was built: running src\/ through tsx/);

    // A new file counts too (it could be imported by a module that did not change).
    writeFileSync(path.join(dir, 'src/cli.ts'), cli('one'));
    expect(run(dir, []).stderr).toBe('');
    writeFileSync(path.join(dir, 'src/extra.ts'), 'export const x = 1;\n');
    expect(JSON.parse(run(dir, []).stdout)).toMatchObject({ file: path.join(dir, 'src/cli.ts') });

    expect(build(dir).status).toBe(0);
    expect(JSON.parse(run(dir, []).stdout)).toMatchObject({ word: 'one', file: path.join(dir, 'dist/cli.js') });
    expect(existsSync(path.join(dir, 'dist/extra.js'))).toBe(true);

    // A build that fails to compile leaves the previous dist/ in place, and the start path does not use it.
    writeFileSync(path.join(dir, 'src/cli.ts'), 'const n: number = "not a number";\n');
    const broken = build(dir);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/tsc failed.*dist\/ left as it was/);
    expect(readFileSync(path.join(dir, 'dist/cli.js'), 'utf8')).toContain("word: 'one'");
    expect(readdirSync(dir).filter((entry) => entry.startsWith('.dist-build-'))).toEqual([]);
  }, 240_000);

  it('a packed artifact (dist/ without src/) runs dist/; `prepare` there has nothing to build', () => {
    const dir = project({ src: { 'cli.ts': cli('packed'), 'asset.txt': 'x' } });
    expect(build(dir).status).toBe(0);
    rmSync(path.join(dir, 'src'), { recursive: true });
    expect(JSON.parse(run(dir, []).stdout)).toMatchObject({ word: 'packed', file: path.join(dir, 'dist/cli.js') });
    const prepare = build(dir);
    expect(prepare.status).toBe(0);
    expect(prepare.stderr).toMatch(/no src\/; using the shipped dist\//);
  }, 240_000);

  it('without dist/ and without tsx it stops with one line saying what to run; --version needs neither', () => {
    const dir = project({ src: { 'cli.ts': cli('x') }, nodeModules: 'empty' });
    const result = run(dir, ['org', 'create', '--name', 'x']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/dist\/ is not built and tsx is not installed to run src\/: run `npm run build`/);
    expect(run(dir, ['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const prepare = build(dir);
    expect(prepare.status).toBe(1);
    expect(prepare.stderr).toMatch(/TypeScript is not installed/);
  });

  it('the real sources compile; the compiled CLI finds every migration and applies it to an empty database', async () => {
    const dir = project({ realSrc: true });
    const compiled = build(dir);
    expect(compiled.status, compiled.stderr).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'dist/build-info.json'), 'utf8'))).toMatchObject({
      version,
      sourceHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    const name = `forgelink_startpath_${Date.now()}`;
    const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
    await admin.connect();
    await admin.query(`create database ${name}`);
    try {
      const env = { DATABASE_URL: withDatabase(inject('adminDatabaseUrl'), name), FORGELINK_MASTER_KEY: inject('masterKey') };
      const migrated = run(dir, ['migrate'], env);
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.stderr).not.toMatch(/tsx/);
      expect(JSON.parse(migrated.stdout)).toEqual({ applied: migrationsList.map((m) => m.name) });
      expect(run(dir, ['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }, 240_000);
});
