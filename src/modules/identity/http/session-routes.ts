import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { type PublicUrls } from '../../../shared/public-urls.js';
import { API_BODY_LIMIT, type RouteContributor } from '../../../platform/http/app.js';
import { sendProblem } from '../../../platform/http/problem.js';
import { parseInput } from '../../../platform/http/validate.js';
import { CSRF_HEADER, clearSessionCookie, isForeignRequest, sessionIdOf, setSessionCookie } from '../../../platform/http/session-cookie.js';
import { sameToken } from '../../../platform/crypto/session-ids.js';
import { type Actor } from '../domain/actor.js';
import { type SessionService } from '../application/session-service.js';

const signInBody = z.object({ apiKey: z.string().trim().min(1).max(500) });

/**
 * The console's sign-in and sign-out (`/v1/session`). Public routes: signing in is how a browser gets
 * authenticated. The cookie carries only the session id; the API key is never stored in the browser.
 */
export class SessionRoutes implements RouteContributor {
  readonly kind = 'public' as const;

  constructor(
    private readonly sessions: SessionService,
    private readonly urls: PublicUrls,
  ) {}

  register(router: Router): void {
    // JSON only: a cross-site HTML form cannot send application/json without a CORS preflight forgelink never grants.
    const json = express.json({ limit: API_BODY_LIMIT, type: ['application/json'] });

    router.post('/session', json, async (req, res) => {
      if (isForeignRequest(req)) return sendProblem(res, { code: 'UNAUTHORIZED', detail: 'Refused a sign-in another site started (Sec-Fetch-Site)' });
      const { apiKey } = parseInput(signInBody, req.body, 'body');
      const signedIn = await this.sessions.signIn(apiKey, sessionIdOf(req));
      if (!signedIn) {
        clearSessionCookie(res, this.secure());
        return sendProblem(res, { code: 'UNAUTHENTICATED', detail: 'Unknown API key' });
      }
      setSessionCookie(res, signedIn.sessionId, signedIn.endsAt, this.secure());
      res.setHeader('Cache-Control', 'no-store');
      res.status(201).json(this.view(signedIn.actor, signedIn.csrfToken, signedIn.endsAt));
    });

    router.get('/session', async (req, res) => {
      const sessionId = sessionIdOf(req);
      const session = sessionId ? await this.sessions.resolve(sessionId) : null;
      if (!session) return sendProblem(res, { code: 'UNAUTHENTICATED', detail: 'Not signed in' });
      res.setHeader('Cache-Control', 'no-store');
      res.json(this.view(session.actor, session.csrfToken, session.endsAt));
    });

    router.delete('/session', async (req: Request, res: Response) => {
      const sessionId = sessionIdOf(req);
      const session = sessionId ? await this.sessions.resolve(sessionId) : null;
      if (sessionId && session) {
        const token = req.headers[CSRF_HEADER];
        if (isForeignRequest(req) || typeof token !== 'string' || !sameToken(session.csrfToken, token)) {
          return sendProblem(res, { code: 'UNAUTHORIZED', detail: `Missing or wrong CSRF token: send the session's token in the ${CSRF_HEADER} header` });
        }
        await this.sessions.signOut(sessionId);
      }
      clearSessionCookie(res, this.secure());
      res.status(204).end();
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
      redirectUris: { gitlab: this.urls.callbackUrl('gitlab'), gitea: this.urls.callbackUrl('gitea') },
    };
  }

  private secure(): boolean {
    return this.urls.publicUrl.startsWith('https://');
  }
}
