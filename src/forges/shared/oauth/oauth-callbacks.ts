import { z } from 'zod';
import { type PublicUrls } from '../../../shared/public-urls.js';

import { type ApiRouter, unwrap } from '../../../platform/http/api-routes.js';
import { type CallbackFinish, callbackRedirect, type ForgeCallbacks } from '../../../modules/git-providers/http/callback-routes.js';
import { type ForgeName } from '../../../modules/git-providers/application/ports/forge.js';
import { type OAuthFlows } from './oauth-flows.js';

// A missing state is a bad state: checked by the flow (400 INVALID_STATE), not by the schema.
const oauthQuery = z.object({
  code: z.string().min(1).max(2000).optional(),
  state: z.string().max(2000).default(''),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
});

/** `GET /v1/callbacks/<type>`: the browser returns from an OAuth forge's consent page. */
export class OAuthCallbacks implements ForgeCallbacks {
  constructor(
    private readonly forge: ForgeName,
    private readonly flows: OAuthFlows,
    private readonly urls: PublicUrls,
  ) {}

  register(routes: ApiRouter, finish: CallbackFinish): void {
    const type = this.forge.type;
    routes.route({
      method: 'get',
      path: `/callbacks/${type}`,
      tag: 'Callbacks',
      summary: `The browser returns from ${this.forge.label}'s OAuth consent (stores the tokens)`,
      query: oauthQuery,
      responses: { 302: callbackRedirect },
      problems: ['INVALID_STATE'],
      handle: async ({ query: q }, _req, res) => {
        if (!q.code) {
          // The user denied access on the forge (error=access_denied): burn the state, send them back.
          const declined = await this.flows.decline(type, q.state);
          return res.redirect(302, this.urls.dashboardRedirect(unwrap(declined).providerId, 'error', q.error ?? 'no_code'));
        }
        finish(res, await this.flows.complete(type, q.code, q.state));
      },
    });
  }
}
