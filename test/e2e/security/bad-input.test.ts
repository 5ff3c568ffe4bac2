import { randomUUID } from 'node:crypto';
import { type Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { bodyFor } from '../core/support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;

/** Appears only inside URL userinfo and query strings below: it must never reach a log line. */
const MARK = `leak${randomUUID().replace(/-/g, '').slice(0, 12)}`;

/** Strings a hostile caller sends (finding 6 and 7 of the hostile review, and their kind). */
const STRINGS = [
  '\u0000',
  'a\u0000b',
  '\uD800',
  '%00',
  '%',
  '..',
  '../..',
  ' ',
  '',
  'x'.repeat(5_000),
  '9'.repeat(400),
  '1e309',
  '-1',
  '0',
  '1.99999999999999999999',
  '18446744073709551616.9223372036854775808',
  'NaN',
  'abc',
  'https://',
  'https://[fe80::1%25lo]',
  'https://[fe80::1%lo]',
  `https://oauth2:${MARK}@gitlab.example.com:99999`,
  `https://oauth2:${MARK}@gitlab.example.com`,
  `http://127.0.0.1:9/x?token=${MARK}`,
  'https://h.example.com:99999',
  'javascript:alert(1)',
  'file:///etc/passwd',
  "'; drop table organization; --",
  '{{7*7}}',
  '\u202e',
  '𝕏',
];
/** The strings as they travel in a URL: percent-encoded, plus raw bytes no encoder would produce (`%`, `%00`, a lone surrogate's UTF-8). */
const URL_STRINGS = [
  ...STRINGS.filter((v) => !/[\uD800-\uDFFF]/.test(v)).map(encodeURIComponent),
  '%',
  '%zz',
  '%00',
  '%ED%A0%80',
  '%C0%AF',
  '..%2F..',
  '%2e%2e',
];
/** Values of other JSON types, for bodies. */
const OTHERS: unknown[] = [null, true, 1e308, -1, 0.5, Number.MAX_SAFE_INTEGER + 2, [], {}, [null], { $gt: '' }];

/** A valid body per route, so each fuzzed field is the only thing wrong with a request. */
function baseBodies(providerId: string): Record<string, () => Record<string, unknown>> {
  return {
    'POST /v1/git-providers/github': () => bodyFor.github(),
    'POST /v1/git-providers/gitlab': () => bodyFor.gitlab(),
    'POST /v1/git-providers/bitbucket': () => bodyFor.bitbucket(),
    'POST /v1/git-providers/gitea': () => bodyFor.gitea(),
    'POST /v1/git-providers/github/manifest': () => ({ name: `m-${randomUUID()}`, githubUrl: 'http://127.0.0.1:9' }),
    'PATCH /v1/git-providers/:id/github': () => ({ name: `p-${randomUUID()}` }),
    'PATCH /v1/git-providers/:id/gitlab': () => ({}),
    'PATCH /v1/git-providers/:id/bitbucket': () => ({}),
    'PATCH /v1/git-providers/:id/gitea': () => ({}),
    'PUT /v1/git-providers/:id/sharing': () => ({ sharedWithOrganization: true }),
    'PUT /v1/services/:serviceType/:serviceId/source': () => ({
      providerId,
      repository: 'acme/api',
      branch: 'main',
      watchPaths: ['src/**'],
    }),
    'PUT /v1/services/:serviceType/:serviceId/status': () => ({ status: 'running' }),
    'POST /v1/members': () => ({ userId: `u-${randomUUID()}`, role: 'member' }),
    'POST /v1/session': () => ({ apiKey: 'not-a-key' }),
    'POST /v1/event-subscriptions': () => ({ url: 'http://127.0.0.1:9/hook', types: ['deployment.requested'] }),
  };
}

/** Field names of every request body forgelink knows; routes without a base body get each of them. */
const ALL_FIELDS = [
  'name',
  'githubUrl',
  'gitlabUrl',
  'giteaUrl',
  'internalUrl',
  'appId',
  'installationId',
  'privateKey',
  'webhookSecret',
  'clientId',
  'clientSecret',
  'applicationId',
  'secret',
  'redirectUri',
  'groupName',
  'username',
  'email',
  'workspace',
  'apiToken',
  'appPassword',
  'expectedVersion',
  'sharedWithOrganization',
  'providerId',
  'repository',
  'branch',
  'triggerType',
  'watchPaths',
  'autoDeploy',
  'buildPath',
  'composePath',
  'previews',
  'status',
  'commitSha',
  'targetUrl',
  'description',
  'ref',
  'userId',
  'role',
  'organization',
  'url',
  'types',
  'apiKey',
];
const QUERY_KEYS = [
  'type',
  'after',
  'limit',
  'search',
  'page',
  'perPage',
  'refresh',
  'repository',
  'providerId',
  'code',
  'state',
  'error',
  'error_description',
  'installation_id',
  'setup_action',
];

interface Route {
  readonly method: string;
  readonly path: string;
}

/** Every route the express app serves (top level and mounted routers), read from the app itself. */
function routesOf(app: Express): Route[] {
  const routes: Route[] = [];
  type Layer = {
    route?: { path: string | string[]; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
    match?: (path: string) => boolean;
  };
  const add = (prefix: string, layer: Layer): void => {
    if (!layer.route) return;
    for (const path of [layer.route.path].flat()) {
      for (const method of Object.keys(layer.route.methods))
        routes.push({ method: method === '_all' ? 'post' : method, path: `${prefix}${path}` });
    }
  };
  for (const layer of (app as unknown as { router: { stack: Layer[] } }).router.stack) {
    if (layer.route) add('', layer);
    else if (layer.handle?.stack) {
      for (const inner of layer.handle.stack) {
        if (!inner.route) continue;
        const sample =
          [inner.route.path]
            .flat()[0]
            ?.replace(/:\w+/g, 'x')
            .replace(/\{\*\w+\}/g, 'x') ?? '';
        const prefix = ['/v1', ''].find((p) => layer.match?.(`${p}${sample}`)) ?? '';
        add(prefix, inner);
      }
    }
  }
  return routes;
}

/** Runs tasks with at most `limit` in flight (the machine is shared; thousands of requests go out). */
async function inBatches<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/**
 * Finding 6 (bad input answers 500) and 7 (a credential inside a malformed URL is logged), as a kind: every route
 * the app serves — enumerated from the app, so a new route is fuzzed without editing this test — gets hostile path
 * parameters, query parameters and body fields one at a time. None may answer 500, and the marker hidden in URL
 * userinfo and query strings never appears in a log line.
 */
describe('bad input never answers 500, and URL credentials never reach the logs (real app, every route)', () => {
  let t: TestApp;
  let org: Org;
  let providerId: string;
  let routes: Route[];
  const failures: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    org = await seedOrganization(t.app, 'Fuzz');
    const created = await t.api.post('/v1/git-providers/bitbucket').set(org.owner.auth).send(bodyFor.bitbucket());
    expect(created.status, created.text).toBe(201);
    providerId = created.body.id as string;
    routes = routesOf(t.app.http as unknown as Express);
  });
  afterAll(async () => {
    await t?.close();
  });

  const concrete = (path: string, override: Record<string, string> = {}): string =>
    path.replace(/:(\w+)|\{\*(\w+)\}/g, (_m, name: string | undefined, rest: string | undefined) => {
      const key = name ?? rest ?? '';
      if (key in override) return override[key] ?? '';
      if (key === 'serviceType') return 'application';
      if (key === 'serviceId') return `svc-${randomUUID()}`;
      if (key === 'file') return 'x.js';
      if (rest) return 'x';
      return providerId;
    });

  async function send(method: string, url: string, body?: unknown, raw?: string): Promise<void> {
    let req = (t.api as unknown as Record<string, (u: string) => import('supertest').Test>)[method]!(url).set(org.owner.auth);
    if (raw !== undefined) req = req.set('content-type', 'application/json').send(raw);
    else if (body !== undefined) req = req.send(body as object);
    const res = await req;
    if (res.status >= 500 && res.status !== 502 && res.status !== 503)
      failures.push(`${res.status} ${method.toUpperCase()} ${url} ${raw ?? JSON.stringify(body)?.slice(0, 200)}`);
  }

  it('finds the routes to fuzz (the enumeration itself works)', () => {
    const names = routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    for (const expected of [
      'PATCH /v1/git-providers/:id/github',
      'GET /v1/git-providers/:id/branches',
      'PUT /v1/services/:serviceType/:serviceId/source',
      'GET /v1/events',
      'POST /v1/webhooks/:providerId',
      'GET /v1/callbacks/github/install',
    ]) {
      expect(names).toContain(expected);
    }
  });

  it('path parameters: never 500', async () => {
    const cases = routes.flatMap((route) =>
      [...route.path.matchAll(/:(\w+)|\{\*(\w+)\}/g)].flatMap((m) =>
        URL_STRINGS.map((value) => ({ route, url: concrete(route.path, { [m[1] ?? m[2] ?? '']: value }) })),
      ),
    );
    expect(cases.length).toBeGreaterThan(100);
    await inBatches(cases, 6, ({ route, url }) =>
      send(route.method, url, route.method === 'get' || route.method === 'delete' ? undefined : {}),
    );
    expect(failures).toEqual([]);
  }, 300_000);

  it('query parameters (each alone, and repeated): never 500', async () => {
    // Query strings of GET/DELETE routes (what reads them); every route still gets the repeated-key form.
    const cases = routes.flatMap((route) =>
      (route.method === 'get' || route.method === 'delete' ? QUERY_KEYS : [])
        .flatMap((key) => URL_STRINGS.map((value) => ({ route, url: `${concrete(route.path)}?${key}=${value}` })))
        .concat(QUERY_KEYS.map((key) => ({ route, url: `${concrete(route.path)}?${key}=1&${key}=2` }))),
    );
    await inBatches(cases, 6, ({ route, url }) =>
      send(route.method, url, route.method === 'get' || route.method === 'delete' ? undefined : {}),
    );
    expect(failures).toEqual([]);
  }, 300_000);

  it('body fields (each alone, every JSON type) and malformed bodies: never 500', async () => {
    const bases = baseBodies(providerId);
    const withBody = routes.filter((r) => ['post', 'put', 'patch'].includes(r.method) && !r.path.includes('{*'));
    const cases = withBody.flatMap((route) => {
      const key = `${route.method.toUpperCase()} ${route.path}`;
      const base = bases[key] ?? (() => ({}));
      const fields = bases[key] ? Object.keys(base()).concat(['expectedVersion', 'internalUrl', 'name']) : ALL_FIELDS;
      return [...new Set(fields)].flatMap((field) =>
        [...STRINGS, ...OTHERS].map((value) => ({ route, body: () => ({ ...base(), [field]: value }) })),
      );
    });
    await inBatches(cases, 6, ({ route, body }) => send(route.method, concrete(route.path), body()));
    const raws = [
      '{',
      '[]',
      '"x"',
      '1',
      'null',
      '{"a":"\\u0000"}',
      `{"name":"a\\u0000b"}`,
      '{"__proto__":{"x":1}}',
      '['.repeat(5_000) + ']'.repeat(5_000),
    ];
    await inBatches(
      withBody.flatMap((route) => raws.map((raw) => ({ route, raw }))),
      6,
      ({ route, raw }) => send(route.method, concrete(route.path), undefined, raw),
    );
    expect(failures).toEqual([]);
  }, 600_000);

  it("the review's own inputs answer 400 VALIDATION_FAILED with errors[]", async () => {
    const cases: [string, string, Record<string, unknown>][] = [
      ['post', '/v1/git-providers/gitlab', bodyFor.gitlab({ gitlabUrl: 'abc' })],
      ['post', '/v1/git-providers/gitea', bodyFor.gitea({ giteaUrl: 'https://' })],
      ['post', '/v1/git-providers/github', bodyFor.github({ githubUrl: 'https://[fe80::1%25lo]' })],
      ['post', '/v1/git-providers/gitlab', bodyFor.gitlab({ gitlabUrl: `https://oauth2:${MARK}@gitlab.example.com:99999` })],
      ['post', '/v1/git-providers/gitlab', bodyFor.gitlab({ gitlabUrl: `https://oauth2:${MARK}@gitlab.example.com` })],
      ['post', '/v1/git-providers/github', bodyFor.github({ name: 'a\u0000b' })],
      ['post', '/v1/git-providers/gitlab', bodyFor.gitlab({ applicationId: 'a\u0000b' })],
      ['post', '/v1/git-providers/gitlab', bodyFor.gitlab({ groupName: 'a\u0000b' })],
      ['post', '/v1/members', { userId: 'a\u0000b', role: 'member' }],
    ];
    for (const [method, url, body] of cases) {
      const res = await (t.api as unknown as Record<string, (u: string) => import('supertest').Test>)[method]!(url)
        .set(org.owner.auth)
        .send(body);
      expect(res.status, `${url} ${JSON.stringify(body).slice(0, 120)}: ${res.text}`).toBe(400);
      expect(res.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [expect.objectContaining({ path: expect.any(String), message: expect.any(String) })],
      });
      expect(res.text).not.toContain(MARK);
    }
    const feed = await t.api.get('/v1/events').query({ after: '1.99999999999999999999' }).set(org.owner.auth);
    expect(feed.status, feed.text).toBe(400);
    expect(feed.body.code).toBe('VALIDATION_FAILED');
  });

  it('no log line carries the credential or query hidden in any URL sent above', () => {
    const logs = t.logs();
    expect(logs.length).toBeGreaterThan(1_000);
    expect(logs).not.toContain(MARK);
  });
});
