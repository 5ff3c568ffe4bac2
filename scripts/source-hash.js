// What a dist/ build was compiled from: one SHA-256 over every file under src/ (path and bytes, in a fixed
// order) and the two tsconfig files. bin/forgelink.js compares it with dist/build-info.json before running
// dist/, so an edited src/ is never answered by stale compiled code (docs/adr/0011-compiled-start-path.md).
// Plain JavaScript with no dependencies: it runs before anything is compiled. ~1 MB of sources hash in a few ms.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const BUILD_INPUTS = ['tsconfig.json', 'tsconfig.build.json'];

/** @param {string} dir @returns {string[]} paths relative to dir, sorted, with forward slashes */
function filesUnder(dir, prefix = '') {
  const entries = readdirSync(path.join(dir, prefix), { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  return entries.flatMap((entry) => {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return filesUnder(dir, rel);
    return entry.isFile() ? [rel] : [];
  });
}

/**
 * @param {string} root the repository folder
 * @returns {string} hex SHA-256 of src/** and the build's tsconfig files
 */
export function sourceHash(root) {
  const hash = createHash('sha256');
  const add = (rel) => {
    hash.update(rel);
    hash.update('\0');
    try {
      hash.update(readFileSync(path.join(root, rel)));
    } catch {
      hash.update('<missing>');
    }
    hash.update('\0');
  };
  for (const rel of BUILD_INPUTS) add(rel);
  for (const rel of filesUnder(path.join(root, 'src'))) add(`src/${rel}`);
  return hash.digest('hex');
}

/** @param {string} root @returns {{ sourceHash?: string, commit?: string, version?: string } | undefined} */
export function readBuildInfo(root) {
  try {
    return JSON.parse(readFileSync(path.join(root, 'dist', 'build-info.json'), 'utf8'));
  } catch {
    return undefined;
  }
}
