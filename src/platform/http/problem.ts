import { type Response } from 'express';
import { match } from 'ts-pattern';
import { type Failure, type FailureCode } from '../../shared/failure.js';

/** The contract's one table from failure code to HTTP status. */
export const statusOf = (code: FailureCode): number =>
  match(code)
    .with('VALIDATION_FAILED', 'INVALID_STATE', () => 400)
    .with('UNAUTHENTICATED', 'INVALID_SIGNATURE', () => 401)
    .with('UNAUTHORIZED', () => 403)
    .with('NOT_FOUND', () => 404)
    .with('CONFLICT', () => 409)
    .with('PAYLOAD_TOO_LARGE', () => 413)
    .with('PROVIDER_NOT_READY', 'FORGE_FORBIDDEN', () => 422)
    .with('FORGE_RATE_LIMITED', () => 429)
    .with('FORGE_ERROR', () => 502)
    .with('UNAVAILABLE', () => 503)
    .exhaustive();

const titles: Record<FailureCode, string> = {
  VALIDATION_FAILED: 'Validation failed',
  INVALID_STATE: 'Invalid state',
  UNAUTHENTICATED: 'Unauthenticated',
  INVALID_SIGNATURE: 'Invalid signature',
  UNAUTHORIZED: 'Not allowed',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  PROVIDER_NOT_READY: 'Provider not ready',
  FORGE_FORBIDDEN: 'Forge refused the resource',
  FORGE_RATE_LIMITED: 'Forge rate limit',
  FORGE_ERROR: 'Forge error',
  UNAVAILABLE: 'Service unavailable',
};

/** RFC 9457 problem details with the contract's stable `code`. */
export function sendProblem(res: Response, failure: Failure, instance?: string): void {
  const status = statusOf(failure.code);
  if ('retryAfterSeconds' in failure && failure.retryAfterSeconds !== undefined)
    res.setHeader('Retry-After', String(failure.retryAfterSeconds));
  res
    .status(status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: `https://forgelink.dev/problems/${failure.code.toLowerCase().replace(/_/g, '-')}`,
        title: titles[failure.code],
        status,
        detail: failure.detail,
        code: failure.code,
        ...(instance ? { instance } : {}),
        ...('errors' in failure && failure.errors ? { errors: failure.errors } : {}),
      }),
    );
}
