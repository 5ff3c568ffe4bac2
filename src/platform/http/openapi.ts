import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { type FailureCode } from '../../shared/failure.js';
import { type RouteDefinition } from './api-routes.js';
import { statusOf } from './problem.js';
import { CSRF_HEADER, SESSION_COOKIE } from './session-cookie.js';

/** RFC 9457 problem details as forgelink sends them (`sendProblem`). */
export const problemSchema = z
  .object({
    type: z.string().describe('URI naming the problem type'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe('What went wrong, for a person; never a secret'),
    code: z.string().describe('Stable machine-readable code (see the table in docs/api.md)'),
    instance: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string().describe('`body.name`, `query.page`, `path.id`, …'), message: z.string() }))
      .optional()
      .describe('VALIDATION_FAILED only: every issue found'),
  })
  .meta({ id: 'Problem', description: 'application/problem+json (RFC 9457) with the contract’s stable `code`' });

export interface OpenApiInfo {
  readonly version: string;
}

/** The problem codes a route can answer: its own plus those every route of its kind shares. */
export function problemCodes(definition: RouteDefinition): FailureCode[] {
  const { spec, kind } = definition;
  const codes = new Set<FailureCode>(spec.problems ?? []);
  if (kind === 'api') codes.add('UNAUTHENTICATED');
  // A console session (cookie) changing state without its CSRF token, or started by another site, is 403.
  if (kind === 'api' && spec.method !== 'get') codes.add('UNAUTHORIZED');
  if (spec.params || spec.query || spec.body) codes.add('VALIDATION_FAILED');
  if (spec.body || spec.rawBody) codes.add('PAYLOAD_TOO_LARGE');
  codes.add('UNAVAILABLE');
  return [...codes];
}

/**
 * OpenAPI 3.1 for every registered `/v1` route, from the zod schemas that validate its requests.
 * Authenticated routes carry the bearer scheme; public ones (webhooks, callbacks) override it with none.
 */
export function buildOpenApiDocument(definitions: readonly RouteDefinition[], info: OpenApiInfo): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: `Authorization: Bearer <apiKey>` (`forgelink member add` or `POST /v1/members` prints one, once).',
  });
  registry.registerComponent('securitySchemes', 'consoleSession', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: `The web console's session (\`POST /v1/session\`). Requests that change state also send the session's CSRF token as \`${CSRF_HEADER}\`.`,
  });

  for (const definition of definitions) {
    const { spec, kind, template } = definition;
    const responses: Record<string, ResponseConfig> = {};
    for (const [status, doc] of Object.entries(spec.responses)) {
      responses[status] = {
        description: doc.description,
        ...(doc.headers
          ? {
              headers: Object.fromEntries(
                Object.entries(doc.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]),
              ),
            }
          : {}),
        ...(doc.schema ? { content: { 'application/json': { schema: doc.schema } } } : {}),
      };
    }
    const byStatus = new Map<number, FailureCode[]>();
    for (const code of problemCodes(definition)) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
      const [first, ...rest] = codes as [FailureCode, ...FailureCode[]];
      responses[String(status)] = {
        description: `Problem: ${codes.map((c) => `\`${c}\``).join(', ')}`,
        ...(status === 429 || status === 503
          ? { headers: { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'string' } } } }
          : {}),
        content: {
          'application/problem+json': { schema: problemSchema.extend({ code: z.enum([first, ...rest]), status: z.literal(status) }) },
        },
      };
    }

    const request: NonNullable<RouteConfig['request']> = {};
    if (spec.params) request.params = spec.params as NonNullable<RouteConfig['request']>['params'];
    if (spec.query) request.query = spec.query as NonNullable<RouteConfig['request']>['query'];
    if (spec.body) request.body = { required: true, content: { 'application/json': { schema: spec.body } } };
    if (spec.rawBody) {
      request.body = {
        required: true,
        description: spec.rawBody.description,
        content: Object.fromEntries(Object.entries(spec.rawBody.content).map(([type, schema]) => [type, { schema }])),
      };
    }

    registry.registerPath({
      method: spec.method,
      path: template,
      operationId: operationId(spec.method, template),
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: [spec.tag],
      ...(kind === 'public' ? { security: [] } : {}),
      request,
      responses,
    });
  }

  const generator = new OpenApiGeneratorV31(registry.definitions);
  const document = generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'forgelink',
      version: info.version,
      description:
        'Connects Git forges (GitHub, GitLab, Bitbucket Cloud and Data Center, Gitea/Forgejo) to a deploy platform. ' +
        'JSON in and out; errors are `application/problem+json` with a stable `code`. Every route under `/v1` takes ' +
        "`Authorization: Bearer <apiKey>` (or the console's session cookie) except `/v1/webhooks/*`, `/v1/callbacks/*` and `/v1/session`.",
    },
    security: [{ apiKey: [] }, { consoleSession: [] }],
  }) as unknown as Record<string, unknown>;
  // The generator always adds an empty `webhooks`; forgelink describes no outgoing webhooks here.
  delete document.webhooks;
  return document;
}

/** `get /v1/git-providers/{id}/branches` → `getGitProvidersIdBranches`: stable, unique per method + path. */
function operationId(method: string, template: string): string {
  const words = template
    .replace(/^\/v1\//, '')
    .split(/[/{}-]+/)
    .filter(Boolean);
  return method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
