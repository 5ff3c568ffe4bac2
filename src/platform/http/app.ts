import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { loggablePath, type Logger } from '../logging/logger.js';
import { type TrustProxy } from '../../config.js';
import { type Readiness } from '../database/readiness.js';
import { sendProblem } from './problem.js';
import { answerOf } from './failures.js';
import { ApiRouter, refuse, type RouteDefinition, type RouteKind } from './api-routes.js';
import { buildOpenApiDocument } from './openapi.js';
import { mountApiDocs } from './docs.js';
import { CSRF_HEADER, isForeignRequest, isSafeMethod, sessionIdOf } from './session-cookie.js';
import { sameToken } from '../crypto/session-ids.js';
import { forgelinkVersion } from '../version.js';

/**
 * A module's routes. `public` routes (webhooks, callbacks) skip API-key auth and bring their own body parsing.
 * Routes are added with `routes.route({...})` only, so each one is validated and documented from one declaration.
 */
export interface RouteContributor {
  readonly kind: RouteKind;
  register(routes: ApiRouter): void;
}

/** What the platform knows of an authenticated caller (the identity module's Actor has more). */
export interface Caller {
  readonly organizationId: string;
}

/** The authenticated caller of an `api` route. */
export function callerOf(res: Response): Caller {
  const caller = res.locals.actor as Caller | undefined;
  if (!caller) throw new Error('No authenticated caller on this route');
  return caller;
}

export interface HttpAppDeps {
  readonly logger: Logger;
  readonly routes: readonly RouteContributor[];
  /** The caller an API key belongs to (the identity module's Actor; kept in `res.locals.actor` for its routes). */
  readonly authenticate: (apiKey: string) => Promise<Caller | null>;
  /** The contract's readiness: database, migrations, master key (platform/database/readiness.ts). */
  readonly ready: () => Promise<Readiness>;
  /** express `trust proxy` (TRUST_PROXY); default false: the logged client IP is the socket's peer. */
  readonly trustProxy?: TrustProxy;
  /** Tests: fail any JSON answer that does not match the schema its route documents. */
  readonly checkResponses?: boolean;
  /** Served at `/metrics` and told about every answered request. */
  readonly metrics?: HttpMetrics;
  /** When set, `/metrics` asks for `Authorization: Bearer <token>` (METRICS_TOKEN). */
  readonly metricsToken?: string;
  /** Console sessions: a session cookie authenticates the same routes as an API key (CSRF-checked when it changes state). */
  readonly sessions?: { resolve(sessionId: string): Promise<{ actor: Caller; csrfToken: string } | null> };
  /** Pages served outside /v1 (the console at `/`). */
  readonly pages?: Router;
}

/** The HTTP side of the metrics adapter: request counts and durations by route template, and the scrape. */
export interface HttpMetrics {
  httpRequest(route: string, method: string, status: number, seconds: number): void;
  scrape(): Promise<{ contentType: string; body: string }>;
}

/** Route label of a request that matched no route: probes of random paths add no series. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The `/v1` route table an app was built from (the OpenAPI document and the metrics' route labels read it). */
export function routesOf(app: Express): readonly RouteDefinition[] {
  return app.locals.routes as RouteDefinition[];
}

export const API_BODY_LIMIT = '1mb';

export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  const definitions: RouteDefinition[] = [];
  app.locals.routes = definitions;
  app.disable('x-powered-by');
  // X-Forwarded-For is believed only from the proxies TRUST_PROXY names; anyone can send the header.
  const trust = deps.trustProxy ?? false;
  app.set('trust proxy', Array.isArray(trust) ? [...(trust as readonly string[])] : trust);
  app.set('query parser', 'simple');

  // A route template names the request in metrics; a request refused before routing (401) is named by matching the table.
  let templates: { method: string; pattern: RegExp; template: string }[] | undefined;
  const routeLabel = (req: Request, res: Response): string => {
    const labelled = res.locals.route as string | undefined;
    if (labelled) return labelled;
    const appRoute = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof appRoute === 'string' && req.baseUrl === '') return appRoute;
    templates ??= definitions.map((d) => ({
      method: d.spec.method.toUpperCase(),
      template: d.template,
      pattern: templatePattern(d.template),
    }));
    const path = req.originalUrl.split('?')[0] ?? '';
    return templates.find((t) => t.method === req.method && t.pattern.test(path))?.template ?? UNMATCHED_ROUTE;
  };

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      deps.metrics?.httpRequest(routeLabel(req, res), req.method, res.statusCode, ms / 1000);
      deps.logger.info(
        {
          requestId,
          method: req.method,
          path: loggablePath(req.originalUrl),
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
          ip: req.ip,
        },
        'request',
      );
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/version', (_req, res) => {
    res.json(forgelinkVersion());
  });
  app.get('/readyz', async (_req, res) => {
    const state = await deps.ready().catch((): Readiness => ({
      ready: false,
      check: 'database',
      detail: 'the readiness check failed',
      operatorDetail: 'the readiness check failed',
    }));
    if (state.ready) {
      res.json({ status: 'ready' });
      return;
    }
    // The problem names the failing check (`database`, `migrations` or `masterKey`) and says what to do.
    res.setHeader('Retry-After', '5');
    res
      .status(503)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: 'https://forgelink.dev/problems/unavailable',
          title: 'Service unavailable',
          status: 503,
          detail: state.detail,
          code: 'UNAVAILABLE',
          check: state.check,
        }),
      );
  });

  let openApi: string | undefined;
  app.get('/openapi.json', (_req, res) => {
    // Built on first request: the route table is complete once createHttpApp has returned.
    openApi ??= JSON.stringify(buildOpenApiDocument(definitions, { version: forgelinkVersion().version }));
    res.type('application/json').send(openApi);
  });
  mountApiDocs(app);
  if (deps.metrics) mountMetrics(app, deps.metrics, deps.metricsToken);

  // Public routes first: webhooks need the raw bytes, before any JSON parser touches them.
  const publicRouter = express.Router();
  for (const contributor of deps.routes.filter((r) => r.kind === 'public'))
    contributor.register(new ApiRouter(publicRouter, 'public', definitions, deps.checkResponses));
  app.use('/v1', publicRouter);

  const api = express.Router();
  api.use(express.json({ limit: API_BODY_LIMIT, type: ['application/json', 'application/*+json'] }));
  api.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      const header = req.headers.authorization;
      const sessionId = header === undefined && deps.sessions ? sessionIdOf(req) : undefined;
      if (sessionId && deps.sessions) {
        const session = await deps.sessions.resolve(sessionId);
        if (!session) return refuse({ code: 'UNAUTHENTICATED', detail: 'Your console session has ended; sign in again' });
        if (!isSafeMethod(req.method)) {
          // Cross-site request forgery: a cookie alone never changes state.
          if (isForeignRequest(req))
            return refuse({ code: 'UNAUTHORIZED', detail: 'Refused a request another site started (Sec-Fetch-Site)' });
          const token = req.headers[CSRF_HEADER];
          if (typeof token !== 'string' || !sameToken(session.csrfToken, token)) {
            return refuse({
              code: 'UNAUTHORIZED',
              detail: `Missing or wrong CSRF token: send the session's token in the ${CSRF_HEADER} header`,
            });
          }
        }
        res.locals.actor = session.actor;
        return next();
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
      if (!match?.[1]) return refuse({ code: 'UNAUTHENTICATED', detail: 'Send an API key as `Authorization: Bearer <apiKey>`' });
      const actor = await deps.authenticate(match[1]);
      if (!actor) return refuse({ code: 'UNAUTHENTICATED', detail: 'Unknown API key' });
      res.locals.actor = actor;
      next();
    } catch (error) {
      next(error);
    }
  });
  for (const contributor of deps.routes.filter((r) => r.kind === 'api'))
    contributor.register(new ApiRouter(api, 'api', definitions, deps.checkResponses));
  app.use('/v1', api);
  if (deps.pages) app.use(deps.pages);

  app.use((req) => refuse({ code: 'NOT_FOUND', detail: `No route for ${req.method} ${req.path}` }));

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    const answer = answerOf(error);
    if (answer) {
      if (answer.log)
        deps.logger[answer.log.level](
          { requestId: res.locals.requestId, code: answer.failure.code, ...answer.log.fields },
          answer.log.message,
        );
      return sendProblem(res, answer.failure);
    }
    deps.logger.error({ requestId: res.locals.requestId, err: error, path: loggablePath(req.originalUrl) }, 'unhandled error');
    res
      .status(500)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: 'Internal Server Error',
          status: 500,
          detail: 'An unexpected error occurred',
          code: 'INTERNAL',
        }),
      );
  });

  return app;
}

/** `/v1/git-providers/{id}` → a pattern matching one path segment per parameter. */
function templatePattern(template: string): RegExp {
  const escaped = template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('[^/]+')}/?$`);
}

/**
 * `GET /metrics` (Prometheus text format). Labels carry no names, URLs or secrets (provider ids at most), so it is
 * open by default like most exporters; METRICS_TOKEN puts it behind a bearer token for deployments that expose the port.
 */
function mountMetrics(app: Express, metrics: HttpMetrics, token: string | undefined): void {
  const expected = token ? createHash('sha256').update(token).digest() : undefined;
  app.get('/metrics', async (req, res) => {
    if (expected) {
      const given = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!given || !timingSafeEqual(createHash('sha256').update(given).digest(), expected)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        return refuse({ code: 'UNAUTHENTICATED', detail: 'Send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`' });
      }
    }
    const { contentType, body } = await metrics.scrape();
    res.setHeader('Cache-Control', 'no-store');
    res.type(contentType).send(body);
  });
}
