import { gunzipSync } from 'node:zlib';
import { type Request, type RequestHandler, type Response, type Router } from 'express';
import { type z } from 'zod';
import { type Failure, type FailureCode, FailureError } from '../../shared/failure.js';
import { type Result } from '../../shared/result.js';
import { parseInput } from './validate.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One documented answer of a route. */
export interface ResponseDoc {
  readonly description: string;
  /** The JSON body; leave out for 204 and redirects. */
  readonly schema?: z.ZodType;
  /** Response headers worth documenting (name → description), e.g. `Location` on a redirect. */
  readonly headers?: Readonly<Record<string, string>>;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler receives: the request's path, query and body, already parsed by the route's schemas. */
export interface RouteInput<P, Q, B> {
  readonly params: Parsed<P>;
  readonly query: Parsed<Q>;
  readonly body: Parsed<B>;
}

/**
 * A `/v1` route declared once: the schemas here both validate the request (400 VALIDATION_FAILED listing every
 * issue) and describe it in `/openapi.json`. There is no other way to add a `/v1` route, so none goes undocumented.
 */
export interface RouteSpec<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
> {
  readonly method: HttpMethod;
  /** Express path below `/v1`, e.g. `/git-providers/:id` (documented as `/v1/git-providers/{id}`). */
  readonly path: string;
  readonly summary: string;
  /** Markdown shown in `/docs`. */
  readonly description?: string;
  /** Groups operations in `/docs` (one tag per module is plenty). */
  readonly tag: string;
  readonly params?: P;
  readonly query?: Q;
  /** JSON body, validated. */
  readonly body?: B;
  /**
   * A body the route reads itself instead of through `body` (webhooks verify raw bytes before parsing anything):
   * documented per content type, never validated by the wrapper.
   */
  readonly rawBody?: { readonly description: string; readonly content: Readonly<Record<string, z.ZodType>> };
  /** Every success answer (status → doc). */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /**
   * Problem codes this route can answer besides those every route of its kind shares (authenticated routes:
   * UNAUTHENTICATED, UNAVAILABLE; routes with a schema: VALIDATION_FAILED; routes with a body: PAYLOAD_TOO_LARGE).
   */
  readonly problems?: readonly FailureCode[];
  /** Runs before validation (e.g. `express.raw` on the webhook route). */
  readonly middleware?: readonly RequestHandler[];
  /**
   * Checked before the request is validated: a role check, so a caller without the right gets 403 and learns
   * nothing from validation messages. Throw a FailureError to refuse.
   */
  readonly guard?: (req: Request, res: Response) => void | Promise<void>;
  readonly handle: (input: RouteInput<P, Q, B>, req: Request, res: Response) => unknown;
}

/**
 * The one way a route answers a failed use case: throw it to the error middleware (src/platform/http/app.ts), which
 * maps it to the contract's problem through `answerOf` and `sendProblem`. Routes never send a problem themselves.
 */
export function unwrap<T>(result: Result<T, Failure>): T {
  if (!result.ok) throw new FailureError(result.error);
  return result.value;
}

/** Throws `failure` to the error middleware (see `unwrap`): `return refuse(...)` reads as the answer it is. */
export function refuse(failure: Failure): never {
  throw new FailureError(failure);
}

/** Routes under `/v1` that take an API key (`api`) or bring their own proof (`public`: webhooks, callbacks). */
export type RouteKind = 'api' | 'public';

export interface RouteDefinition {
  readonly kind: RouteKind;
  // Any schema types: the list feeds the OpenAPI document and the metrics route table, which only read them.
  readonly spec: RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;
  /** `/v1/git-providers/{id}` — the OpenAPI path, also the `route` label of the HTTP metrics. */
  readonly template: string;
}

/** The one place a `/v1` route is added: registers it on express and records it for `/openapi.json`. */
export class ApiRouter {
  constructor(
    private readonly router: Router,
    private readonly kind: RouteKind,
    private readonly definitions: RouteDefinition[],
    /** Tests: every JSON answer must match the schema documented for its status, or the request fails loudly. */
    private readonly checkResponses = false,
  ) {}

  route<
    P extends z.ZodType | undefined = undefined,
    Q extends z.ZodType | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
  >(spec: RouteSpec<P, Q, B>): void {
    const template = openApiPath(spec.path);
    this.definitions.push({ kind: this.kind, spec: spec as unknown as RouteDefinition['spec'], template });
    const label: RequestHandler = (_req, res, next) => {
      res.locals.route = template;
      next();
    };
    this.router[spec.method](spec.path, label, ...(spec.middleware ?? []), async (req: Request, res: Response) => {
      if (this.checkResponses) checkJsonAnswers(spec, template, res);
      if (spec.guard) await spec.guard(req, res);
      if (spec.body && carriesBody(req) && !req.is(['application/json', 'application/*+json'])) {
        // Without this a form or text body is never parsed and the route would act on `{}`.
        const message = 'must be JSON, sent with Content-Type: application/json';
        throw new FailureError({ code: 'VALIDATION_FAILED', detail: `The request body ${message}`, errors: [{ path: 'body', message }] });
      }
      const input = {
        params: spec.params ? parseInput(spec.params, req.params, 'path') : undefined,
        query: spec.query ? parseInput(spec.query, req.query, 'query') : undefined,
        body: spec.body ? parseInput(spec.body, req.body, 'body') : undefined,
      } as RouteInput<P, Q, B>;
      await spec.handle(input, req, res);
    });
  }

  /**
   * Middleware for a path prefix that is not a route (e.g. the 404 for unknown `/v1/webhooks/*` paths, which must
   * not ask for an API key). Never answer a real request here: that would be an undocumented route.
   */
  fallback(prefix: string, handler: RequestHandler): void {
    this.router.use(prefix, handler);
  }
}

/** Checks every JSON body a route sends, whether through res.json or as bytes already serialised (JsonMemo). */
function checkJsonAnswers(spec: Pick<RouteDefinition['spec'], 'method' | 'responses'>, template: string, res: Response): void {
  const send = res.send.bind(res);
  res.send = (body?: unknown) => {
    const type = String(res.getHeader('Content-Type') ?? '');
    if (/^application\/json\b/i.test(type) && (typeof body === 'string' || Buffer.isBuffer(body))) {
      const doc = spec.responses[res.statusCode];
      const where = `${spec.method.toUpperCase()} ${template} answered ${res.statusCode}`;
      if (!doc?.schema) throw new Error(`${where} with JSON, but documents no JSON body for that status`);
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      const text = /gzip/i.test(String(res.getHeader('Content-Encoding') ?? '')) ? gunzipSync(bytes).toString() : bytes.toString();
      const checked = doc.schema.safeParse(JSON.parse(text));
      if (!checked.success)
        throw new Error(
          `${where} with a body that does not match its documented schema: ${checked.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`,
        );
    }
    return send(body);
  };
}

/** `/git-providers/:id` → `/v1/git-providers/{id}`. */
export function openApiPath(expressPath: string): string {
  return `/v1${expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}

/** Whether the request has a body at all (RFC 9110: a Content-Length above 0, or a Transfer-Encoding). */
function carriesBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
