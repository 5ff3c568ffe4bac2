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

interface Operation {
  parameters?: { name: string; in: string; $ref?: string }[];
}
interface Spec {
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
export function requestsMissingFromSpec(spec: Spec, requests: readonly RecordedRequest[], globalQuery: readonly string[] = []): string[] {
  const problems: string[] = [];
  const templates = Object.keys(spec.paths).map((template) => ({
    template,
    regex: new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+') + '/?$'),
    literalLength: template.replace(/\{[^}]+\}/g, '').length,
  }));
  for (const request of requests) {
    const method = request.method.toLowerCase();
    const candidates = templates
      .filter((t) => t.regex.test(request.path) && spec.paths[t.template]?.[method])
      .sort((a, b) => b.literalLength - a.literalLength);
    const match = candidates[0];
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
