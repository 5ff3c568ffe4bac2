import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A clone of this repository alone must run `npm test`, `npm start` and `npm run bench`: no file in
// src/, test/ or bench/ may name a path that leaves the repository (e.g. a folder beside the clone).
/** The fixture folder the tests once read beside the clone (spelled in two parts so this file does not name it). */
const WORKPLACE_FIXTURES = ['shared', 'fixtures'].join('/');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (entry === 'node_modules' || entry === 'fixtures') return [];
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|js|mjs|cjs)$/.test(entry) ? [full] : [];
  });
}

/** Relative path literals ('../x', "./y/../../z") in a file, resolved against the file's folder. */
export function escapingPaths(file: string, code: string): string[] {
  const literals = code.matchAll(/['"`]((?:\.\.?\/)+[^'"`\s]*)['"`]/g);
  return [...literals]
    .map((m) => m[1] ?? '')
    .filter((literal) => path.relative(root, path.resolve(path.dirname(file), literal)).startsWith('..'));
}

describe('the repository is self-contained', () => {
  it('catches a path that leaves the repository', () => {
    const file = path.join(root, 'test/unit/webhooks/fixtures.ts');
    const outside = `../../../../${WORKPLACE_FIXTURES}/webhooks`;
    expect(escapingPaths(file, `path.resolve(here, '${outside}')`)).toEqual([outside]);
    expect(escapingPaths(file, "path.resolve(here, '../../fixtures/webhooks')")).toEqual([]);
  });

  // These two hold code samples for virtual files (lint input), not paths they read.
  const samples = new Set(['test/unit/architecture.test.ts', 'test/unit/self-contained.test.ts']);

  it('no file in src/, test/ or bench/ names a path outside the repository', () => {
    const offenders = ['src', 'test', 'bench', 'bin']
      .flatMap((dir) => sourceFiles(path.join(root, dir)))
      .filter((file) => !samples.has(path.relative(root, file)))
      .flatMap((file) => escapingPaths(file, readFileSync(file, 'utf8')).map((p) => `${path.relative(root, file)}: ${p}`));
    expect(offenders).toEqual([]);
  });

  it('does not mention the fixture folder beside the clone', () => {
    const offenders = ['src', 'test', 'bench']
      .flatMap((dir) => sourceFiles(path.join(root, dir)))
      .filter((file) => file !== fileURLToPath(import.meta.url))
      .filter((file) => readFileSync(file, 'utf8').includes(WORKPLACE_FIXTURES));
    expect(offenders.map((f) => path.relative(root, f))).toEqual([]);
  });
});
