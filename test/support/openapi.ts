import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** A request a fake forge server received, as the spec check needs it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path relative to the API base (e.g. "/user/repos" for Gitea's /api/v1/user/repos). */
  readonly path: string;
  readonly query: readonly string[];
}

/** A fake forge's answer to one API request, as the response check needs it. */
export interface RecordedAnswer extends RecordedRequest {
  readonly status: number;
  /** The JSON body sent (undefined: none). */
  readonly body: unknown;
}

interface Operation {
  parameters?: { name: string; in: string; $ref?: string }[];
  responses?: Record<string, ResponseObject>;
}
/** A response: OpenAPI 3 (`content`) or Swagger 2 (`schema`), or a `$ref` to one. */
interface ResponseObject {
  $ref?: string;
  schema?: Schema;
  content?: Record<string, { schema?: Schema }>;
}
interface Schema {
  $ref?: string;
  type?: string | string[];
  nullable?: boolean;
  'x-nullable'?: boolean;
  enum?: unknown[];
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
}
interface Spec {
  swagger?: string;
  paths: Record<string, Record<string, Operation> & { parameters?: Operation['parameters'] }>;
  parameters?: Record<string, { name: string; in: string }>;
  components?: { parameters?: Record<string, { name: string; in: string }> };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const sharedOpenapi = path.resolve(here, '../fixtures/openapi');
const require = createRequire(import.meta.url);

const cache = new Map<string, Spec>();
function load(file: string): Spec {
  let spec = cache.get(file);
  if (!spec) {
    spec = JSON.parse(readFileSync(file, 'utf8')) as Spec;
    cache.set(file, spec);
  }
  return spec;
}

/** The official API descriptions the adapters are checked against. */
export const specs = {
  github: () => load(require.resolve('@octokit/openapi/generated/api.github.com.json')),
  gitea: () => load(path.join(sharedOpenapi, 'gitea.swagger.v1.json')),
  forgejo: () => load(path.join(sharedOpenapi, 'forgejo.swagger.v1.json')),
  bitbucket: () => load(path.join(sharedOpenapi, 'bitbucket-cloud.swagger.v3.json')),
};

/**
 * Returns one message per request whose method + path template, or whose query parameter names,
 * the spec does not describe. An empty list means every request exists in the spec. `globalQuery` names
 * parameters a forge documents for every list endpoint outside the operation (Bitbucket's `page`/`pagelen`).
 */
export function requestsMissingFromSpec(
  spec: Spec,
  requests: readonly RecordedRequest[],
  globalQuery: readonly string[] = [],
  greedyParams: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  for (const request of requests) {
    const method = request.method.toLowerCase();
    const match = operationOf(spec, request, greedyParams);
    if (!match) {
      problems.push(`${request.method} ${request.path}: no such operation in the spec`);
      continue;
    }
    const item = spec.paths[match.template]!;
    const params = [...(item.parameters ?? []), ...(item[method]?.parameters ?? [])].map((p) => resolveParam(spec, p));
    const queryNames = new Set(params.filter((p) => p.in === 'query').map((p) => p.name));
    for (const name of request.query) {
      if (!queryNames.has(name) && !globalQuery.includes(name))
        problems.push(`${request.method} ${match.template}: query parameter "${name}" is not in the spec`);
    }
  }
  return problems;
}

function resolveParam(spec: Spec, param: { name: string; in: string; $ref?: string }): { name: string; in: string } {
  if (!param.$ref) return param;
  const key = param.$ref.split('/').pop()!;
  return spec.components?.parameters?.[key] ?? spec.parameters?.[key] ?? { name: key, in: 'unknown' };
}

const templateCache = new WeakMap<Spec, Map<string, { template: string; regex: RegExp; literalLength: number }[]>>();

/**
 * The path template of the spec that describes this request (the most literal one when several match), if any.
 * `greedyParams` are path parameters the forge matches across slashes although the spec cannot say so (Gitea routes
 * `/branches/*` and `/tags/*`, so `branches/release/1.2` is one branch).
 */
function operationOf(spec: Spec, request: RecordedRequest, greedyParams: readonly string[] = []): { template: string } | undefined {
  let bySpec = templateCache.get(spec);
  if (!bySpec) templateCache.set(spec, (bySpec = new Map()));
  let templates = bySpec.get(greedyParams.join(','));
  if (!templates) {
    templates = Object.keys(spec.paths).map((template) => ({
      template,
      regex: new RegExp(
        '^' +
          template
            .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
            .replace(/\\?\{([^}\\]+)\\?\}/g, (_all, name: string) => (greedyParams.includes(name) ? '.+' : '[^/]+')) +
          '/?$',
      ),
      literalLength: template.replace(/\{[^}]+\}/g, '').length,
    }));
    bySpec.set(greedyParams.join(','), templates);
  }
  const method = request.method.toLowerCase();
  return templates
    .filter((t) => t.regex.test(request.path) && spec.paths[t.template]?.[method])
    .sort((a, b) => b.literalLength - a.literalLength)[0];
}

/**
 * Checks a fake's answers against the response the spec describes for that operation and status: an undocumented
 * status is a problem, and a JSON body must match the response schema — types, `required`, `enum`, `date-time`/`uri`
 * formats, and no property the schema does not list (a field the real forge never sends would let an adapter rely on
 * it). `oneOf` is checked as `anyOf`; a 304 (an answer to If-None-Match) is not checked. Returns one message per mismatch; an empty list means every answer is described.
 */
export function answersNotMatchingSpec(spec: Spec, answers: readonly RecordedAnswer[], greedyParams: readonly string[] = []): string[] {
  const problems: string[] = [];
  for (const answer of answers) {
    // A 304 answers a conditional request (the adapters send If-None-Match); the spec describes only the full answers.
    if (answer.status === 304) continue;
    const match = operationOf(spec, answer, greedyParams);
    const label = `${answer.method} ${answer.path} → ${answer.status}`;
    if (!match) {
      problems.push(`${label}: no such operation in the spec`);
      continue;
    }
    const operation = spec.paths[match.template]![answer.method.toLowerCase()]!;
    const described = operation.responses?.[String(answer.status)] ?? operation.responses?.['default'];
    if (!described) {
      problems.push(`${label}: status not documented for ${match.template}`);
      continue;
    }
    const response = resolve<ResponseObject>(spec, described);
    const schema = response.schema ?? response.content?.['application/json']?.schema;
    if (!schema || answer.body === undefined) continue;
    for (const problem of schemaProblems(spec, schema, answer.body, '$')) problems.push(`${label}: ${problem}`);
  }
  return problems;
}

function resolve<T extends { $ref?: string }>(spec: Spec, node: T): T {
  let current: T = node;
  for (let hops = 0; current.$ref && hops < 20; hops++) {
    const pointer = current.$ref.replace(/^#\//, '').split('/');
    let target: unknown = spec;
    for (const part of pointer) target = (target as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (target === undefined) throw new Error(`unresolved $ref ${current.$ref}`);
    current = target as T;
  }
  return current;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Property names a schema lists, through allOf (and any of its alternatives). */
function listedProperties(spec: Spec, schema: Schema, into = new Set<string>()): Set<string> {
  const s = resolve(spec, schema);
  for (const name of Object.keys(s.properties ?? {})) into.add(name);
  for (const part of [...(s.allOf ?? []), ...(s.anyOf ?? []), ...(s.oneOf ?? [])]) listedProperties(spec, part, into);
  return into;
}

function schemaProblems(spec: Spec, raw: Schema, value: unknown, at: string, closed = true): string[] {
  const schema = resolve(spec, raw);
  const problems: string[] = [];
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (value === null) {
    // Swagger 2 cannot say "nullable"; Gitea/Forgejo's is generated from Go, whose nil slices are sent as null
    // (`"errors": null` in every 404), so an array may be null there.
    const goNilSlice = spec.swagger === '2.0' && types.includes('array');
    return schema.nullable ||
      schema['x-nullable'] ||
      goNilSlice ||
      types.includes('null') ||
      (types.length === 0 && !schema.allOf && !schema.properties)
      ? []
      : [`${at}: null where the spec says ${types.join('|') || 'an object'} (not nullable)`];
  }
  const actual = typeOf(value);
  if (types.length > 0 && !types.includes(actual) && !(actual === 'integer' && types.includes('number')))
    return [`${at}: ${actual} where the spec says ${types.join('|')}`];
  if (schema.enum && !schema.enum.includes(value))
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (
    typeof value === 'string' &&
    schema.format === 'date-time' &&
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)
  )
    problems.push(`${at}: ${JSON.stringify(value)} is not a date-time`);
  if (typeof value === 'string' && schema.format === 'uri' && !URL.canParse(value))
    problems.push(`${at}: ${JSON.stringify(value)} is not a uri`);
  // allOf parts are checked open (each lists only its share of the properties); the union is checked closed below.
  for (const part of schema.allOf ?? []) problems.push(...schemaProblems(spec, part, value, at, false));
  const alternatives = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])];
  if (alternatives.length > 0) {
    const results = alternatives.map((part) => schemaProblems(spec, part, value, at, closed));
    if (!results.some((r) => r.length === 0))
      problems.push(`${at}: matches none of the ${alternatives.length} alternatives (${results.map((r) => r[0]).join('; ')})`);
  }
  if (actual === 'array' && schema.items)
    (value as unknown[]).forEach((item, i) => problems.push(...schemaProblems(spec, schema.items!, item, `${at}[${i}]`)));
  if (actual === 'object') {
    const record = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (record[name] === undefined) problems.push(`${at}.${name}: required`);
    for (const [name, property] of Object.entries(schema.properties ?? {}))
      if (record[name] !== undefined) problems.push(...schemaProblems(spec, property, record[name], `${at}.${name}`));
    const extra = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
    if (extra) {
      for (const [name, item] of Object.entries(record))
        if (!schema.properties?.[name]) problems.push(...schemaProblems(spec, extra, item, `${at}.${name}`));
    } else if (closed && alternatives.length === 0) {
      const listed = listedProperties(spec, schema);
      if (listed.size > 0) for (const name of Object.keys(record)) if (!listed.has(name)) problems.push(`${at}.${name}: not in the spec`);
    }
  }
  return problems;
}
