import { readFileSync } from 'node:fs';

export interface VersionInfo {
  /** package.json's version, e.g. `0.1.0`. */
  readonly version: string;
  /** The git commit dist/ was compiled from (absent when running src/ or outside a clean git clone). */
  readonly commit?: string;
}

let cached: VersionInfo | undefined;

/**
 * What `GET /version` answers and `forgelink --version` prints. Read from package.json two folders up (the same
 * from src/platform/ and dist/platform/) and, when running the compiled build, the commit recorded in
 * dist/build-info.json by scripts/build.js.
 */
export function forgelinkVersion(): VersionInfo {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  let commit: string | undefined;
  try {
    const info = JSON.parse(readFileSync(new URL('../build-info.json', import.meta.url), 'utf8')) as { commit?: unknown };
    if (typeof info.commit === 'string' && /^[0-9a-f]{40}$/.test(info.commit)) commit = info.commit;
  } catch {
    // Running src/ (tests, development): no build record, so no commit.
  }
  cached = commit ? { version: pkg.version, commit } : { version: pkg.version };
  return cached;
}
