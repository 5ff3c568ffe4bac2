import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** forgelink's version, from the package.json that ships with it (semver string). */
export function packageVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
