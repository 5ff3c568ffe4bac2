import { describe, it, expect } from 'vitest';
import { invalidGlob, matchesWatchPaths } from '../../../src/modules/service-sources/domain/watch-paths.js';

describe('matchesWatchPaths', () => {
  it('matches everything when no globs are set', () => {
    expect(matchesWatchPaths([], ['anything.txt'])).toBe(true);
  });

  it('matches when any changed file is selected by any glob', () => {
    expect(matchesWatchPaths(['src/**', 'package.json'], ['README.md', 'src/app/main.ts'])).toBe(true);
    expect(matchesWatchPaths(['src/**', 'package.json'], ['package.json'])).toBe(true);
    expect(matchesWatchPaths(['src/**'], ['README.md', 'docs/src/x.md'])).toBe(false);
  });

  it('does not match when no file changed', () => {
    expect(matchesWatchPaths(['src/**'], [])).toBe(false);
  });

  it('includes dot files and dot directories', () => {
    expect(matchesWatchPaths(['**'], ['.github/workflows/ci.yml'])).toBe(true);
    expect(matchesWatchPaths(['config/*'], ['config/.env.example'])).toBe(true);
  });

  it('matches full paths: a bare *.md does not reach into folders, **/*.md does', () => {
    expect(matchesWatchPaths(['*.md'], ['docs/guide.md'])).toBe(false);
    expect(matchesWatchPaths(['**/*.md'], ['docs/guide.md'])).toBe(true);
  });

  it('excludes files matched by a negated glob', () => {
    expect(matchesWatchPaths(['**', '!docs/**'], ['docs/a.md', 'docs/b/c.md'])).toBe(false);
    expect(matchesWatchPaths(['**', '!docs/**'], ['docs/a.md', 'src/a.ts'])).toBe(true);
    expect(matchesWatchPaths(['src/**', '!src/**/*.test.ts'], ['src/a.test.ts'])).toBe(false);
    expect(matchesWatchPaths(['src/**', '!src/**/*.test.ts'], ['src/a.ts'])).toBe(true);
  });

  it('treats negations alone as "everything except"', () => {
    expect(matchesWatchPaths(['!docs/**'], ['docs/a.md'])).toBe(false);
    expect(matchesWatchPaths(['!docs/**'], ['Dockerfile'])).toBe(true);
  });

  it('accepts a leading ./', () => {
    expect(matchesWatchPaths(['./apps/web/**'], ['apps/web/index.ts'])).toBe(true);
  });

  it('supports braces and extglobs', () => {
    expect(matchesWatchPaths(['apps/{web,api}/**'], ['apps/api/x.ts'])).toBe(true);
    expect(matchesWatchPaths(['apps/{web,api}/**'], ['apps/worker/x.ts'])).toBe(false);
  });
});

describe('invalidGlob', () => {
  it.each(['src/**', '!docs/**', '**/*.{ts,tsx}', 'Dockerfile', '.github/**', './apps/web/**', 'a/[abc]/b'])('%s is valid', (glob) => {
    expect(invalidGlob(glob)).toBeUndefined();
  });

  it.each([
    ['', 'empty glob'],
    ['   ', 'empty glob'],
    ['!', 'negation without a pattern'],
    ['!!src/**', 'double negation'],
    ['/src/**', 'must be relative to the repository root (no leading "/")'],
    ['src\\app\\*.ts', 'use "/" as the path separator'],
    ['../other/**', 'must not contain ".." segments'],
    ['src/{a,b', 'unbalanced brackets'],
    ['src/[abc', 'unbalanced brackets'],
    ['src/\n**', 'contains control characters'],
    ['a'.repeat(257), 'longer than 256 characters'],
  ])('%j is rejected: %s', (glob, reason) => {
    expect(invalidGlob(glob)).toBe(reason);
  });
});
