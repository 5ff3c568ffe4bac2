/**
 * The expected failures of every use case. The HTTP edge maps each `code` to a status in one table.
 * Details are written for the API caller: never put a secret or an internal message in them.
 */
export type Failure =
  | { readonly code: 'VALIDATION_FAILED'; readonly detail: string; readonly errors?: readonly { path: string; message: string }[] }
  | { readonly code: 'INVALID_STATE'; readonly detail: string }
  | { readonly code: 'UNAUTHENTICATED'; readonly detail: string }
  | { readonly code: 'INVALID_SIGNATURE'; readonly detail: string }
  | { readonly code: 'UNAUTHORIZED'; readonly detail: string }
  | { readonly code: 'NOT_FOUND'; readonly detail: string }
  | { readonly code: 'CONFLICT'; readonly detail: string }
  | { readonly code: 'PAYLOAD_TOO_LARGE'; readonly detail: string }
  | { readonly code: 'PROVIDER_NOT_READY'; readonly detail: string }
  /** The forge refused one resource (a project where the user is a Guest); the provider itself stays ready. */
  | { readonly code: 'FORGE_FORBIDDEN'; readonly detail: string }
  | { readonly code: 'FORGE_RATE_LIMITED'; readonly detail: string; readonly retryAfterSeconds: number }
  | { readonly code: 'FORGE_ERROR'; readonly detail: string }
  | { readonly code: 'UNAVAILABLE'; readonly detail: string; readonly retryAfterSeconds?: number };

export type FailureCode = Failure['code'];

/** Carries a Failure across layers that cannot return one (adapters deep in a call, middleware). */
export class FailureError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.detail);
    this.name = 'FailureError';
  }
}

export const failure = {
  validation: (detail: string, errors?: { path: string; message: string }[]): Failure => ({ code: 'VALIDATION_FAILED', detail, errors }),
  notFound: (what: string): Failure => ({ code: 'NOT_FOUND', detail: `${what} not found` }),
  unauthorized: (detail: string): Failure => ({ code: 'UNAUTHORIZED', detail }),
  conflict: (detail: string): Failure => ({ code: 'CONFLICT', detail }),
  notReady: (detail: string): Failure => ({ code: 'PROVIDER_NOT_READY', detail }),
  invalidState: (detail: string): Failure => ({ code: 'INVALID_STATE', detail }),
};
