/** Text rules shared by every input path (HTTP bodies, query and path parameters, webhook payloads). */

/** U+0000, or a UTF-16 surrogate without its pair: text PostgreSQL cannot store (text and jsonb both refuse it). */
// eslint-disable-next-line no-control-regex -- NUL is exactly what is refused here
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const UNSTORABLE_TEXT = 'must not contain NUL characters or unpaired surrogates';

/**
 * The path (keys) to the first string, or key, holding text PostgreSQL cannot store; undefined when there is none.
 * Depth-limited (deeper values are never stored as they are).
 */
export function pathToUnstorableText(value: unknown, depth = 0): string[] | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? [] : undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (UNSTORABLE.test(key)) return ['(key)'];
    const found = pathToUnstorableText(inner, depth + 1);
    if (found) return [key, ...found];
  }
  return undefined;
}
