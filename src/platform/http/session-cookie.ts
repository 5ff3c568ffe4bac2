import { type Request, type Response } from 'express';
import { parse as parseCookies } from 'cookie';

/** The console's session cookie: HttpOnly, SameSite=Strict, Path=/; Secure when forgelink is served over https. */
export const SESSION_COOKIE = 'forgelink_session';
/** The header a cookie-authenticated state-changing request carries the session's CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const isSafeMethod = (method: string): boolean => SAFE_METHODS.has(method.toUpperCase());

export function sessionIdOf(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const value = parseCookies(header)[SESSION_COOKIE];
  // Ids are 43 base64url characters; anything else is not ours and is not looked up.
  return value && /^[\w-]{20,100}$/.test(value) ? value : undefined;
}

/**
 * Browsers say where a request came from (Fetch Metadata). A request another site or another origin on the
 * same site (another port, a sibling subdomain) started is refused before its cookie is trusted; scripts and
 * old browsers send no header and are judged by the CSRF token alone.
 */
export function isForeignRequest(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  return site !== undefined && site !== 'same-origin' && site !== 'none';
}

export function setSessionCookie(res: Response, sessionId: string, endsAt: Date, secure: boolean): void {
  res.cookie(SESSION_COOKIE, sessionId, { httpOnly: true, sameSite: 'strict', secure, path: '/', expires: endsAt });
}

export function clearSessionCookie(res: Response, secure: boolean): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure, path: '/' });
}
