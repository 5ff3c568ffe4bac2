import { match } from 'ts-pattern';
import { type Failure } from '../../shared/failure.js';
import { type ForgeError } from '../../modules/git-providers/application/ports/forge.js';

/** Forge adapter failures as the contract's problems; the detail says which forge and what to do. */
export function forgeFailure(error: ForgeError): Failure {
  const forge = error.label;
  return (
    match(error.kind)
      .with('rate_limited', () => ({
        code: 'FORGE_RATE_LIMITED' as const,
        detail: `${forge} rate-limited forgelink; retry after ${error.retryAfterSeconds ?? 60} s`,
        retryAfterSeconds: error.retryAfterSeconds ?? 60,
      }))
      .with('invalid_grant', () => ({
        code: 'PROVIDER_NOT_READY' as const,
        detail: `${forge} no longer accepts forgelink's authorisation. Open GET /v1/git-providers/{id}/authorize-url and authorise again.`,
      }))
      .with('unauthorized', () => ({
        code: 'PROVIDER_NOT_READY' as const,
        detail: `${forge} rejected the provider's credentials: ${error.message}. Update the provider's credentials (PATCH), or authorise it again.`,
      }))
      // The message carries the forge's own words and the remedy (forge-http.ts refusalOf).
      .with('forbidden', () => ({ code: 'PROVIDER_NOT_READY' as const, detail: error.message }))
      .with('resource_forbidden', () => ({
        code: 'FORGE_FORBIDDEN' as const,
        detail: `${error.message}. The provider stays ready: the credentials lack access to ${error.resource ?? 'this resource'} only (GitLab: Reporter or more; GitHub: the App's permissions on it).`,
      }))
      .with('not_found', () => ({ code: 'NOT_FOUND' as const, detail: `${forge}: ${error.message}` }))
      .with('blocked_url', () => ({
        code: 'VALIDATION_FAILED' as const,
        detail: error.message,
        errors: [{ path: 'url', message: error.message }],
      }))
      .with('unavailable', 'bad_response', () => ({
        code: 'FORGE_ERROR' as const,
        detail: `${forge}${error.status ? ` (status ${error.status})` : ''}: ${error.message}`,
      }))
      .exhaustive()
  );
}
