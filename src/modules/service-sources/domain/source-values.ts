import { invalidRepositoryPath } from '../../../shared/path-segments.js';

/**
 * Repository full names: owner/name, with GitLab subgroups allowed (group/sub/repo). The owner may start with `~`:
 * a user's personal space is named that way on some self-hosted forges (`~jdoe/dotfiles`).
 */
export function invalidRepositoryName(value: string): string | undefined {
  if (value.length > 500) return 'is too long';
  const segments = value.split('/');
  if (segments.length < 2) return 'must be owner/name (GitLab subgroups: group/sub/name)';
  if (
    segments.some(
      (s, i) => !(i === 0 ? /^~?[A-Za-z0-9_.-][A-Za-z0-9_.\- ]*$/ : /^[A-Za-z0-9_.-][A-Za-z0-9_.\- ]*$/).test(s) || s === '.' || s === '..',
    )
  )
    return 'has an empty or invalid segment';
  return invalidRepositoryPath(value);
}

/** Git's ref-name rules (git check-ref-format), applied to a branch or tag name. */
export function invalidRefName(value: string): string | undefined {
  if (value.length === 0 || value.length > 255) return 'must be 1–255 characters';
  if (value.startsWith('/') || value.endsWith('/') || value.endsWith('.') || value.endsWith('.lock')) return 'is not a valid git ref name';
  // eslint-disable-next-line no-control-regex -- git forbids control characters in ref names
  if (/(\.\.|\/\/|@\{|[\x00-\x20~^:?*[\\\x7f])/.test(value) || value === '@' || value.startsWith('-')) return 'is not a valid git ref name';
  if (value.split('/').some((part) => part.startsWith('.'))) return 'is not a valid git ref name';
  return undefined;
}

/** Build and compose paths stay inside the repository. */
export function invalidRepoPath(value: string): string | undefined {
  if (value.length > 1000) return 'is too long';
  if (value.split('/').includes('..')) return 'must not leave the repository (..)';
  // eslint-disable-next-line no-control-regex -- paths with control characters are refused
  if (/[\x00-\x1f]/.test(value)) return 'contains control characters';
  return undefined;
}
