import { match, P } from 'ts-pattern';
import { type Failure } from '../../shared/failure.js';

/** What the API answers for an error a route threw, and what the log says about it. */
export interface Answer {
  readonly failure: Failure;
  readonly log?: { readonly level: 'warn' | 'error'; readonly message: string; readonly fields: Readonly<Record<string, unknown>> };
}

const unreadable = (detail: string, path: string, message: string): Answer => ({
  failure: { code: 'VALIDATION_FAILED', detail, errors: [{ path, message }] },
});

/**
 * The one table from what a route threw to the contract's problem (problem.ts then maps the code to a status).
 * Anything carrying a `failure` (FailureError, ForgeError) is answered with it; body-parser and express refusals
 * are the client's fault (400/413, never 500); a database that went away is 503. undefined: a bug, answered 500.
 */
export function answerOf(error: unknown): Answer | undefined {
  return (
    match(error)
      .returnType<Answer | undefined>()
      .with({ failure: { code: P.string, detail: P.string } }, (carrier) => ({
        failure: carrier.failure as Failure,
        ...('context' in carrier && carrier.context
          ? { log: { level: 'warn' as const, message: 'request failed', fields: carrier.context as Record<string, unknown> } }
          : {}),
      }))
      .with({ type: 'entity.too.large' }, () => ({ failure: { code: 'PAYLOAD_TOO_LARGE', detail: 'The request body is over the limit' } }))
      .with({ type: 'entity.parse.failed' }, () => unreadable('The request body is not valid JSON', 'body', 'not valid JSON'))
      .with({ type: P.union('encoding.unsupported', 'charset.unsupported') }, () =>
        unreadable('Unsupported body encoding', 'body', 'unsupported encoding'),
      )
      // Anything else express or a body parser refused as the client's fault (a path that does not decode, e.g. `/%`).
      .with({ status: P.number.between(400, 499) }, () => unreadable('The request could not be read', 'request', 'malformed'))
      .when(isDatabaseDown, (down) => ({
        failure: { code: 'UNAVAILABLE', detail: 'A dependency is unavailable; try again shortly', retryAfterSeconds: 5 },
        log: { level: 'error', message: 'database unavailable', fields: { err: down } },
      }))
      .otherwise(() => undefined)
  );
}

/** The driver's words for a PostgreSQL that cannot be reached (thrown outside a unit of work, which translates its own). */
function isDatabaseDown(error: unknown): boolean {
  const text = error instanceof Error ? `${error.name} ${error.message} ${(error as { code?: string }).code ?? ''}` : '';
  return /ECONNREFUSED|ConnectionException|Connection terminated|57P01|57P03|08006|08001|timeout acquiring a connection|Knex: Timeout|timeout exceeded when trying to connect/i.test(
    text,
  );
}
