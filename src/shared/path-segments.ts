import { FailureError, failure } from './failure.js';

/**
 * Why a value may not become one segment of a forge URL path: empty, `.` or `..` (the URL parser would climb
 * out of `/repos/…` onto another API path with the provider's credentials), or a character whose meaning
 * changes once encoded or decoded (`%`, `\`, `?`, `#`, control characters). undefined when it is safe.
 */
export function invalidPathSegment(segment: string): string | undefined {
  if (segment.length === 0) return 'has an empty segment';
  if (segment === '.' || segment === '..') return 'has a "." or ".." segment';
  // eslint-disable-next-line no-control-regex -- control characters are what is refused here
  if (/[%\\?#\x00-\x1f\x7f]/.test(segment)) return 'has a segment with %, \\, ?, # or a control character';
  return undefined;
}

/** A repository full name (`owner/name`; GitLab subgroups `group/sub/name`): why it may not go into a path. */
export function invalidRepositoryPath(fullName: string, maxSegments = 20): string | undefined {
  const segments = fullName.split('/');
  if (segments.length < 2) return 'must be owner/name (GitLab subgroups: group/sub/name)';
  if (segments.length > maxSegments) return `has more than ${maxSegments} segments`;
  for (const segment of segments) {
    const problem = invalidPathSegment(segment);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The one gate every forge adapter passes input through before it goes into a URL path: checks each segment
 * and returns them (callers encode them, or hand them to a client that does). Throws VALIDATION_FAILED (400).
 */
export function pathSegments(
  value: string,
  what: 'repository' | 'branch',
  options: { minSegments?: number; maxSegments?: number } = {},
): string[] {
  const segments = value.split('/');
  const min = options.minSegments ?? 1;
  const max = options.maxSegments ?? 20;
  const problem =
    segments.length < min
      ? `must have at least ${min} segments`
      : segments.length > max
        ? `has more than ${max} segments`
        : segments.map(invalidPathSegment).find((p) => p !== undefined);
  if (problem) throw new FailureError(failure.validation(`${what} ${problem}`, [{ path: what, message: problem }]));
  return segments;
}

/** Segments joined as a URL path, each percent-encoded (so none can add a `/`, `?` or `#`). */
export const encodePath = (segments: readonly string[]): string => segments.map(encodeURIComponent).join('/');
