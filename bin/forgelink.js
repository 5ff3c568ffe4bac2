#!/usr/bin/env -S node --max-semi-space-size=4
// Runs the compiled dist/ (built by `npm run build`, which `npm install` runs as `prepare`), so no TypeScript is
// compiled at start. When src/ differs from what dist/ was built from (you edited it, or switched branch), it runs
// src/ through tsx instead and says so on stderr: never stale code. docs/adr/0011-compiled-start-path.md.
// `--max-semi-space-size=4` (here, in the npm scripts and the image's entrypoint): a young generation of 2 × 4 MB
// instead of V8's 2 × 16 MB keeps the server's resident memory under load lower at no measurable CPU cost (ADR 0021).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readBuildInfo, sourceHash } from '../scripts/source-hash.js';

const root = path.resolve(path.dirname(realpathSync(fileURLToPath(import.meta.url))), '..');
const say = (message) => process.stderr.write(`forgelink: ${message}\n`);

// Answered here, before any module loads, so it costs one file read (GET /version reads the same package.json).
if (process.argv[2] === '--version' || process.argv[2] === '-V') {
  process.stdout.write(`${JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version}\n`);
  process.exit(0);
}

const dist = path.join(root, 'dist', 'cli.js');
const built = existsSync(dist) ? readBuildInfo(root) : undefined;
if (!existsSync(path.join(root, 'src'))) {
  // A packed artifact: dist/ alone.
  await import(pathToFileURL(dist).href);
} else if (built && built.sourceHash === sourceHash(root)) {
  await import(pathToFileURL(dist).href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    say(
      `${built ? 'src/ has changed since dist/ was built' : 'dist/ is not built'} and tsx is not installed to run src/: run \`npm run build\` (needs the dev dependencies: \`npm ci\`)`,
    );
    process.exit(1);
  }
  say(
    `${built ? 'src/ has changed since dist/ was built' : 'dist/ is not built'}: running src/ through tsx (\`npm run build\` for a fast start)`,
  );
  register();
  await import(pathToFileURL(path.join(root, 'src', 'cli.ts')).href);
}
