import { type Response } from 'express';
import { type Failure } from '../../../shared/failure.js';
import { type PublicUrls } from '../../../shared/public-urls.js';
import { type Result } from '../../../shared/result.js';
import { type RouteContributor } from '../../../platform/http/app.js';

import { type ApiRouter, refuse, type ResponseDoc } from '../../../platform/http/api-routes.js';
import { type Logger } from '../../../platform/logging/logger.js';

/** A forge's browser callbacks; `finish` turns a flow's outcome into the dashboard redirect (or INVALID_STATE). */
export interface ForgeCallbacks {
  register(routes: ApiRouter, finish: CallbackFinish): void;
}
export type CallbackFinish = (res: Response, result: Result<{ providerId: string }, Failure & { providerId?: string }>) => void;

/** The dashboard redirect every callback answers with. */
export const callbackRedirect: ResponseDoc = {
  description: 'Back to the dashboard: `DASHBOARD_URL?provider=ID&status=ok|error` (with `reason` on error)',
  headers: { Location: 'The dashboard URL' },
};

/**
 * Where forges send the browser back. No API key: the signed single-use `state` proves who started the flow.
 * A bad state is a 400 INVALID_STATE; anything else ends in a redirect to the dashboard with status ok|error.
 * The routes are the forges' (OAuth consent, GitHub App manifest and install); unknown paths are 404 here.
 */
export class CallbackRoutes implements RouteContributor {
  readonly kind = 'public' as const;

  constructor(
    private readonly callbacks: readonly ForgeCallbacks[],
    private readonly urls: PublicUrls,
    private readonly logger: Logger,
  ) {}

  register(routes: ApiRouter): void {
    for (const forge of this.callbacks) forge.register(routes, (res, result) => this.finish(res, result));
    routes.fallback('/callbacks', (req) =>
      refuse({ code: 'NOT_FOUND', detail: `No route for ${req.method} ${req.originalUrl.split('?')[0]}` }),
    );
  }

  private finish(res: Response, result: Result<{ providerId: string }, Failure & { providerId?: string }>): void {
    if (result.ok) return res.redirect(302, this.urls.dashboardRedirect(result.value.providerId, 'ok'));
    if (result.error.code === 'INVALID_STATE') refuse({ code: 'INVALID_STATE', detail: result.error.detail });
    this.logger.warn(
      { providerId: result.error.providerId, code: result.error.code, detail: result.error.detail },
      'authorisation callback failed',
    );
    res.redirect(302, this.urls.dashboardRedirect(result.error.providerId, 'error', result.error.code.toLowerCase()));
  }
}
