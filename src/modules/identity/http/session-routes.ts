import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { type PublicUrls } from '../../../shared/public-urls.js';
import { API_BODY_LIMIT, type RouteContributor } from '../../../platform/http/app.js';

import { type ApiRouter, refuse } from '../../../platform/http/api-routes.js';
import { FailureError } from '../../../shared/failure.js';
import { CSRF_HEADER, clearSessionCookie, isForeignRequest, sessionIdOf, setSessionCookie } from '../../../platform/http/session-cookie.js';
import { sameToken } from '../../../platform/crypto/session-ids.js';
import { type Actor, ROLES } from '../domain/actor.js';
import { type SessionService } from '../application/session-service.js';

const signInBody = z.object({ apiKey: z.string().trim().min(1).max(500) });

/** The OAuth forges' redirect URIs (`/v1/callbacks/<type>`), which their applications need before a provider exists. */
export interface OAuthRedirectUris {
  /** The OAuth forges' provider types. */
  readonly types: readonly string[];
  uriOf(type: string): string;
}

const sessionViewOf = (redirects: OAuthRedirectUris) =>
  z
    .object({
      userId: z.string(),
      organizationId: z.uuid(),
      role: z.enum(ROLES),
      csrfToken: z.string().describe(`Send it as \`${CSRF_HEADER}\` on every state-changing request made with the session cookie`),
      expiresAt: z.iso.datetime(),
      redirectUris: z
        .object(Object.fromEntries(redirects.types.map((type) => [type, z.string()])))
        .describe('The OAuth redirect URIs to enter on the forges'),
    })
    .meta({ id: 'ConsoleSession' });

/**
 * The console's sign-in and sign-out (`/v1/session`). Public routes: signing in is how a browser gets
 * authenticated. The cookie carries only the session id; the API key is never stored in the browser.
 */
export class SessionRoutes implements RouteContributor {
  readonly kind = 'public' as const;

  constructor(
    private readonly sessions: SessionService,
    private readonly urls: PublicUrls,
    private readonly redirects: OAuthRedirectUris,
  ) {}

  register(routes: ApiRouter): void {
    const sessionView = sessionViewOf(this.redirects);
    // JSON only: a cross-site HTML form cannot send application/json without a CORS preflight forgelink never grants.
    const json = express.json({ limit: API_BODY_LIMIT, type: ['application/json'] });
    const tag = 'Console session';

    routes.route({
      method: 'post',
      path: '/session',
      tag,
      summary: 'Sign the console in with an API key (sets an HttpOnly, SameSite=Strict session cookie)',
      middleware: [json],
      guard: (req) => {
        if (isForeignRequest(req))
          throw new FailureError({ code: 'UNAUTHORIZED', detail: 'Refused a sign-in another site started (Sec-Fetch-Site)' });
      },
      body: signInBody,
      responses: {
        201: { description: 'Signed in; the cookie is set', schema: sessionView, headers: { 'Set-Cookie': 'The session cookie' } },
      },
      problems: ['UNAUTHENTICATED', 'UNAUTHORIZED'],
      handle: async ({ body }, req, res) => {
        const signedIn = await this.sessions.signIn(body.apiKey, sessionIdOf(req));
        if (!signedIn) {
          clearSessionCookie(res, this.secure());
          refuse({ code: 'UNAUTHENTICATED', detail: 'Unknown API key' });
        }
        setSessionCookie(res, signedIn.sessionId, signedIn.endsAt, this.secure());
        res.setHeader('Cache-Control', 'no-store');
        res.status(201).json(this.view(signedIn.actor, signedIn.csrfToken, signedIn.endsAt));
      },
    });

    routes.route({
      method: 'get',
      path: '/session',
      tag,
      summary: 'The console session of the cookie sent',
      responses: { 200: { description: 'Signed in', schema: sessionView } },
      problems: ['UNAUTHENTICATED'],
      handle: async (_input, req, res) => {
        const sessionId = sessionIdOf(req);
        const session = sessionId ? await this.sessions.resolve(sessionId) : null;
        if (!session) refuse({ code: 'UNAUTHENTICATED', detail: 'Not signed in' });
        res.setHeader('Cache-Control', 'no-store');
        res.json(this.view(session.actor, session.csrfToken, session.endsAt));
      },
    });

    routes.route({
      method: 'delete',
      path: '/session',
      tag,
      summary: `Sign out (needs the session's CSRF token in \`${CSRF_HEADER}\`)`,
      responses: { 204: { description: 'Signed out; the cookie is cleared' } },
      problems: ['UNAUTHORIZED'],
      handle: async (_input, req: Request, res: Response) => {
        const sessionId = sessionIdOf(req);
        const session = sessionId ? await this.sessions.resolve(sessionId) : null;
        if (sessionId && session) {
          const token = req.headers[CSRF_HEADER];
          if (isForeignRequest(req) || typeof token !== 'string' || !sameToken(session.csrfToken, token)) {
            refuse({
              code: 'UNAUTHORIZED',
              detail: `Missing or wrong CSRF token: send the session's token in the ${CSRF_HEADER} header`,
            });
          }
          await this.sessions.signOut(sessionId);
        }
        clearSessionCookie(res, this.secure());
        res.status(204).end();
      },
    });
  }

  private view(actor: Actor, csrfToken: string, endsAt: Date): Record<string, unknown> {
    return {
      userId: actor.userId,
      organizationId: actor.organizationId,
      role: actor.role,
      csrfToken,
      expiresAt: endsAt.toISOString(),
      // What the console shows to copy before a provider exists (GitLab/Gitea applications need it first).
      redirectUris: Object.fromEntries(this.redirects.types.map((type) => [type, this.redirects.uriOf(type)])),
    };
  }

  private secure(): boolean {
    return this.urls.publicUrl.startsWith('https://');
  }
}
