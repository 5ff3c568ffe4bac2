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

/** A `\u` escape of U+0000 or of a surrogate half: how JSON text spells them without holding them. */
const UNSTORABLE_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

/**
 * Whether the value JSON.parse makes of `json` may hold text PostgreSQL cannot store: false is certain (neither
 * such a character nor an escape of one is in the text), so a caller can skip pathToUnstorableText's walk over a
 * large parsed value; true asks for that walk (an escaped backslash before `u0000` is a false alarm, no more).
 */
export const mayHoldUnstorableText = (json: string): boolean => UNSTORABLE_ESCAPE.test(json) || UNSTORABLE.test(json);
