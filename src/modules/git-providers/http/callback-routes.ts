import { type Response } from 'express';
import { z } from 'zod';
import { type Failure } from '../../../shared/failure.js';
import { type PublicUrls } from '../../../shared/public-urls.js';
import { type Result } from '../../../shared/result.js';
import { type RouteContributor } from '../../../platform/http/app.js';
import { sendProblem } from '../../../platform/http/problem.js';
import { type ApiRouter, type ResponseDoc } from '../../../platform/http/api-routes.js';
import { type Logger } from '../../../platform/logging/logger.js';
import { type OAuthFlows } from '../application/commands/oauth/oauth-flows.js';
import { type GitHubAppFlows } from '../application/commands/github-app/github-app-flows.js';

const code = z.string().min(1).max(2000);
// A missing state is a bad state: checked by the flow (400 INVALID_STATE), not by the schema.
const state = z.string().max(2000).default('');
const oauthQuery = z.object({
  code: code.optional(),
  state,
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
});
const installQuery = z.object({ installation_id: z.coerce.number().int().positive(), setup_action: z.string().max(50).optional(), state });
const manifestQuery = z.object({ code, state });

const redirect: ResponseDoc = {
  description: 'Back to the dashboard: `DASHBOARD_URL?provider=ID&status=ok|error` (with `reason` on error)',
  headers: { Location: 'The dashboard URL' },
};

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

  register(routes: ApiRouter): void {
    for (const type of ['gitlab', 'gitea'] as const) {
      routes.route({
        method: 'get',
        path: `/callbacks/${type}`,
        tag: 'Callbacks',
        summary: `The browser returns from ${type === 'gitlab' ? 'GitLab' : 'Gitea/Forgejo'}'s OAuth consent (stores the tokens)`,
        query: oauthQuery,
        responses: { 302: redirect },
        problems: ['INVALID_STATE'],
        handle: async ({ query: q }, _req, res) => {
          if (!q.code) {
            // The user denied access on the forge (error=access_denied): burn the state, send them back.
            const declined = await this.oauth.decline(type, q.state);
            if (!declined.ok) return sendProblem(res, declined.error);
            return res.redirect(302, this.urls.dashboardRedirect(declined.value.providerId, 'error', q.error ?? 'no_code'));
          }
          this.finish(res, await this.oauth.complete(type, q.code, q.state));
        },
      });
    }

    routes.route({
      method: 'get',
      path: '/callbacks/github/manifest',
      tag: 'Callbacks',
      summary: 'GitHub returns from the App manifest flow (stores the new App’s id, key and secrets)',
      query: manifestQuery,
      responses: { 302: redirect },
      problems: ['INVALID_STATE'],
      handle: async ({ query: q }, _req, res) => {
        this.finish(res, await this.github.completeManifest(q.code, q.state));
      },
    });

    routes.route({
      method: 'get',
      path: '/callbacks/github/install',
      tag: 'Callbacks',
      summary: 'GitHub returns from the App’s install page (stores the installation id)',
      query: installQuery,
      responses: { 302: redirect },
      problems: ['INVALID_STATE'],
      handle: async ({ query: q }, _req, res) => {
        this.finish(res, await this.github.completeInstall(q.installation_id, q.state));
      },
    });

    routes.fallback('/callbacks', (req, res) =>
      sendProblem(res, { code: 'NOT_FOUND', detail: `No route for ${req.method} ${req.originalUrl.split('?')[0]}` }),
    );
  }

  private finish(res: Response, result: Result<{ providerId: string }, Failure & { providerId?: string }>): void {
    if (result.ok) return res.redirect(302, this.urls.dashboardRedirect(result.value.providerId, 'ok'));
    if (result.error.code === 'INVALID_STATE' && !result.error.providerId) return sendProblem(res, result.error);
    if (result.error.code === 'INVALID_STATE') return sendProblem(res, { code: 'INVALID_STATE', detail: result.error.detail });
    this.logger.warn(
      { providerId: result.error.providerId, code: result.error.code, detail: result.error.detail },
      'authorisation callback failed',
    );
    res.redirect(302, this.urls.dashboardRedirect(result.error.providerId, 'error', result.error.code.toLowerCase()));
  }
}
