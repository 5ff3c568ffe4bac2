import { type Response, type Router } from 'express';
import { z } from 'zod';
import { type Failure } from '../../../shared/failure.js';
import { type PublicUrls } from '../../../shared/public-urls.js';
import { type Result } from '../../../shared/result.js';
import { type RouteContributor } from '../../../platform/http/app.js';
import { sendProblem } from '../../../platform/http/problem.js';
import { parseInput } from '../../../platform/http/validate.js';
import { type Logger } from '../../../platform/logging/logger.js';
import { type OAuthFlows } from '../application/commands/oauth/oauth-flows.js';
import { type GitHubAppFlows } from '../application/commands/github-app/github-app-flows.js';

const code = z.string().min(1).max(2000);
// A missing state is a bad state: checked by the flow (400 INVALID_STATE), not by the schema.
const state = z.string().max(2000).default('');
const oauthQuery = z.object({ code: code.optional(), state, error: z.string().max(200).optional(), error_description: z.string().max(2000).optional() });
const installQuery = z.object({ installation_id: z.coerce.number().int().positive(), setup_action: z.string().max(50).optional(), state });

/**
 * Where forges send the browser back. No API key: the signed single-use `state` proves who started the flow.
 * A bad state is a 400 INVALID_STATE; anything else ends in a redirect to the dashboard with status ok|error.
 */
export class CallbackRoutes implements RouteContributor {
  readonly kind = 'public' as const;

  constructor(
    private readonly oauth: OAuthFlows,
    private readonly github: GitHubAppFlows,
    private readonly urls: PublicUrls,
    private readonly logger: Logger,
  ) {}

  register(router: Router): void {
    for (const type of ['gitlab', 'gitea'] as const) {
      router.get(`/callbacks/${type}`, async (req, res) => {
        const q = parseInput(oauthQuery, req.query, 'query');
        if (!q.code) {
          // The user denied access on the forge (error=access_denied): burn the state, send them back.
          const declined = await this.oauth.decline(type, q.state);
          if (!declined.ok) return sendProblem(res, declined.error);
          return res.redirect(302, this.urls.dashboardRedirect(declined.value.providerId, 'error', q.error ?? 'no_code'));
        }
        this.finish(res, await this.oauth.complete(type, q.code, q.state));
      });
    }

    router.get('/callbacks/github/manifest', async (req, res) => {
      const q = parseInput(z.object({ code, state }), req.query, 'query');
      this.finish(res, await this.github.completeManifest(q.code, q.state));
    });

    router.get('/callbacks/github/install', async (req, res) => {
      const q = parseInput(installQuery, req.query, 'query');
      this.finish(res, await this.github.completeInstall(q.installation_id, q.state));
    });

    router.all('/callbacks/{*rest}', (req, res) => sendProblem(res, { code: 'NOT_FOUND', detail: `No route for ${req.method} ${req.originalUrl.split('?')[0]}` }));
  }

  private finish(res: Response, result: Result<{ providerId: string }, Failure & { providerId?: string }>): void {
    if (result.ok) return res.redirect(302, this.urls.dashboardRedirect(result.value.providerId, 'ok'));
    if (result.error.code === 'INVALID_STATE' && !result.error.providerId) return sendProblem(res, result.error);
    if (result.error.code === 'INVALID_STATE') return sendProblem(res, { code: 'INVALID_STATE', detail: result.error.detail });
    this.logger.warn({ providerId: result.error.providerId, code: result.error.code, detail: result.error.detail }, 'authorisation callback failed');
    res.redirect(302, this.urls.dashboardRedirect(result.error.providerId, 'error', result.error.code.toLowerCase()));
  }
}
