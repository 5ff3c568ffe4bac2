#!/usr/bin/env node
// `npm run build`, and `prepare` (which npm runs after `npm install` / `npm ci` in a clone): compiles src/ to
// dist/ with tsc, copies src/'s non-TypeScript files beside it, and records what it was built from in
// dist/build-info.json. The new tree is built in a temporary folder and swapped in, so a process starting
// meanwhile sees either the old build (with its old hash) or the new one — never half of each.
// Skips when dist/ already matches src/ (`--force` rebuilds). See docs/adr/0011-compiled-start-path.md.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_INPUTS, readBuildInfo, sourceHash } from './source-hash.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (message) => process.stderr.write(`forgelink build: ${message}\n`);

if (!existsSync(path.join(root, 'src'))) {
  // A packed artifact ships dist/ without src/: nothing to build.
  say(existsSync(path.join(root, 'dist', 'cli.js')) ? 'no src/; using the shipped dist/' : 'neither src/ nor dist/ is present');
  process.exit(existsSync(path.join(root, 'dist', 'cli.js')) ? 0 : 1);
}

const hash = sourceHash(root);
if (!process.argv.includes('--force') && readBuildInfo(root)?.sourceHash === hash && existsSync(path.join(root, 'dist', 'cli.js'))) {
  say('dist/ is up to date');
  process.exit(0);
}

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  say(
    'TypeScript is not installed, so src/ cannot be compiled. Install with dev dependencies (`npm ci`), build, then `npm prune --omit=dev`; or install from a packed artifact (`npm pack`), which ships dist/.',
  );
  process.exit(1);
}

class BuildFailed extends Error {}

const staging = path.join(root, `.dist-build-${process.pid}`);
rmSync(staging, { recursive: true, force: true });
try {
  const started = Date.now();
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', staging], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new BuildFailed(`tsc failed (exit ${result.status ?? result.signal}); dist/ left as it was`);
  // Assets next to the code (e.g. static files read through import.meta.url) must sit where the compiled module looks.
  cpSync(path.join(root, 'src'), staging, { recursive: true, filter: (from) => !from.endsWith('.ts') });
  const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  writeFileSync(
    path.join(staging, 'build-info.json'),
    JSON.stringify({ version, commit: gitCommit(), sourceHash: hash, builtAt: new Date().toISOString() }, null, 2) + '\n',
  );
  rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  renameSync(staging, path.join(root, 'dist'));
  say(`compiled src/ to dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  say(
    error instanceof BuildFailed
      ? error.message
      : `build failed: ${error instanceof Error ? error.message : String(error)}; dist/ left as it was`,
  );
  process.exitCode = 1;
} finally {
  rmSync(staging, { recursive: true, force: true });
}

/**
 * The checked-out commit when building in a git clone whose src/ matches it (shown by GET /version);
 * undefined outside git, in a folder nested in another repository, or with uncommitted changes under src/.
 */
function gitCommit() {
  const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  const top = git('rev-parse', '--show-toplevel');
  if (top.status !== 0 || path.resolve(top.stdout.trim()) !== root) return undefined;
  if (git('diff', '--quiet', 'HEAD', '--', 'src', ...BUILD_INPUTS).status !== 0) return undefined;
  const commit = git('rev-parse', 'HEAD').stdout?.trim() ?? '';
  return /^[0-9a-f]{40}$/.test(commit) ? commit : undefined;
}
