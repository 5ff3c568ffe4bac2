import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A console session id: 256 random bits, sent only in the HttpOnly cookie. */
export function generateSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** The stored form of a session id (a plain SHA-256 suffices for 256 random bits, and is indexable). */
export function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId, 'utf8').digest('hex');
}

/**
 * The session's CSRF token: an HMAC keyed by the session id, so it needs no storage, differs per session,
 * and cannot be computed by a page that cannot read the HttpOnly cookie (OWASP "signed double-submit").
 */
export function csrfTokenFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('forgelink console csrf v1').digest('base64url');
}

export function sameToken(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
