import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { type Express } from 'express';
import { startTestApp, type TestApp } from '../../support/app.js';

interface Operation {
  operationId?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: { properties?: { code?: { enum?: string[] } } } }> }>;
}
interface Document {
  openapi: string;
  info: { version: string };
  security: Record<string, unknown>[];
  components: { securitySchemes: Record<string, { type: string; scheme?: string }>; schemas: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  rawPath?: string | RegExp;
  handle: { stack?: Layer[] };
}

/** Every route express will answer, as `METHOD /openapi/{style}` (nested routers included). */
function expressRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods).filter((m) => layer.route?.methods[m] && m !== '_all')) {
          found.push(`${method.toUpperCase()} ${(prefix + layer.route.path).replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
        }
      } else if (layer.handle.stack) {
        if (typeof layer.rawPath !== 'string') throw new Error('a router mounted on a non-string path: extend this walker');
        walk(layer.handle.stack, prefix + (layer.rawPath === '/' ? '' : layer.rawPath));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found;
}

describe('OpenAPI 3.1 description (/openapi.json)', () => {
  let t: TestApp;
  let doc: Document;

  beforeAll(async () => {
    t = await startTestApp({}, { startRelay: false });
    const res = await t.api
      .get('/openapi.json')
      .expect(200)
      .expect('content-type', /application\/json/);
    doc = res.body as Document;
  });
  afterAll(() => t?.close());

  it('is a valid OpenAPI 3.1 document (the official 3.1 JSON schema, via @seriousme/openapi-schema-validator)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes exactly the routes express serves under /v1, and nothing else', () => {
    const served = expressRoutes(t.app.http).filter((r) => r.split(' ')[1]?.startsWith('/v1/'));
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(served.length).toBeGreaterThan(20);
    expect([...new Set(served)].sort()).toEqual([...documented].sort());
    // The walker sees the routes the app really has: it would miss nothing a module added with plain express.
    expect(served).toContain('POST /v1/webhooks/{providerId}');
    expect(served).toContain('GET /v1/git-providers/{id}/branches');
  });

  it('requires the bearer API key (or the console session) everywhere except webhooks, callbacks and the sign-in', () => {
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.consoleSession).toMatchObject({ type: 'apiKey', in: 'cookie' });
    expect(doc.security).toEqual([{ apiKey: [] }, { consoleSession: [] }]);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const forgeFacing = path.startsWith('/v1/webhooks/') || path.startsWith('/v1/callbacks/');
        if (forgeFacing || path === '/v1/session') {
          expect(op.security, `${method} ${path}`).toEqual([]);
          if (forgeFacing)
            expect(
              op.responses['401']?.content?.['application/problem+json']?.schema.properties?.code?.enum ?? [],
              `${method} ${path}`,
            ).not.toContain('UNAUTHENTICATED');
        } else {
          expect(op.security, `${method} ${path}`).toBeUndefined();
          expect(op.responses['401']?.content?.['application/problem+json']?.schema.properties?.code?.enum, `${method} ${path}`).toContain(
            'UNAUTHENTICATED',
          );
        }
      }
    }
  });

  it('gives every operation a unique id, a success answer and its problems with their codes', () => {
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(
          Object.keys(op.responses).some((s) => /^[23]\d\d$/.test(s)),
          `${method} ${path} has a success answer`,
        ).toBe(true);
        expect(op.responses['503']?.content?.['application/problem+json']?.schema.properties?.code?.enum, `${method} ${path}`).toContain(
          'UNAVAILABLE',
        );
      }
    }
    const webhook = doc.paths['/v1/webhooks/{providerId}']?.post;
    expect(webhook?.responses['401']?.content?.['application/problem+json']?.schema.properties?.code?.enum).toEqual(['INVALID_SIGNATURE']);
    expect(Object.keys(webhook?.requestBody?.content ?? {}).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    const branches = doc.paths['/v1/git-providers/{id}/branches']?.get;
    expect(branches?.responses['502']?.content?.['application/problem+json']?.schema.properties?.code?.enum).toEqual(['FORGE_ERROR']);
    expect(branches?.responses['429']?.content?.['application/problem+json']?.schema.properties?.code?.enum).toEqual([
      'FORGE_RATE_LIMITED',
    ]);
    const sharing = doc.paths['/v1/git-providers/{id}/sharing']?.put;
    expect(sharing?.responses['403']?.content?.['application/problem+json']?.schema.properties?.code?.enum).toEqual(['UNAUTHORIZED']);
  });

  it('documents a request exactly as its zod schema validates it', async () => {
    const create = doc.paths['/v1/git-providers/github']?.post;
    const schema = create?.requestBody?.content['application/json']?.schema as {
      required: string[];
      properties: Record<string, { default?: unknown; exclusiveMinimum?: number }>;
    };
    expect(schema.required.sort()).toEqual(['appId', 'name', 'privateKey', 'webhookSecret']);
    expect(schema.properties.githubUrl?.default).toBe('https://github.com');
    expect(schema.properties.appId?.exclusiveMinimum).toBe(0);
    // The same schema refuses a body without the fields the document marks required.
    const { organizationId } = await t.app.identity.createOrganization(`openapi ${Date.now()}`).then((o) => ({ organizationId: o.id }));
    const added = await t.app.identity.addMember({ organizationId, userId: 'openapi-owner', role: 'owner' });
    if (!added.ok) throw new Error(added.error.detail);
    const refused = await t.api
      .post('/v1/git-providers/github')
      .set('Authorization', `Bearer ${added.value.apiKey}`)
      .send({ name: 'x' })
      .expect(400);
    expect(refused.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.appId',
      'body.privateKey',
      'body.webhookSecret',
    ]);

    const branches = doc.paths['/v1/git-providers/{id}/branches']?.get;
    expect(branches?.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'id', in: 'path', required: true }),
        expect.objectContaining({ name: 'repository', in: 'query', required: true }),
      ]),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['GitProviderSummary', 'ServiceSource', 'EventEnvelope', 'WebhookDelivery']),
    );
  });
});

describe('the route walker the coverage check relies on', () => {
  it('finds a route added with plain express on a router under /v1 (so an undocumented route would fail the check)', async () => {
    const { default: express } = await import('express');
    const app = express();
    const v1 = express.Router();
    v1.get('/sneaky/:id', (_req, res) => res.end());
    app.use('/v1', v1);
    app.get('/healthz', (_req, res) => res.end());
    expect(expressRoutes(app).sort()).toEqual(['GET /healthz', 'GET /v1/sneaky/{id}']);
  });
});

describe('API reference page (/docs)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, { startRelay: false });
  });
  afterAll(() => t?.close());

  it('serves Swagger UI from forgelink itself: no other origin, no inline script, a strict CSP', async () => {
    const page = await t.api
      .get('/docs')
      .expect(200)
      .expect('content-type', /text\/html/);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    const urls = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(urls).toEqual(
      expect.arrayContaining(['docs/assets/swagger-ui-bundle.js', 'docs/assets/swagger-ui.css', 'docs/init.js', 'openapi.json']),
    );
    for (const url of urls) expect(url, 'relative, same origin').not.toMatch(/^(https?:)?\/\//);
    expect(page.text).not.toMatch(/<script>(?!<\/script>)/);
    for (const url of urls.filter((u) => u.startsWith('docs/'))) {
      const asset = await t.api.get(`/${url}`).expect(200);
      expect(Number(asset.headers['content-length'] ?? asset.text?.length ?? 0)).toBeGreaterThan(0);
    }
    const init = await t.api
      .get('/docs/init.js')
      .expect(200)
      .expect('content-type', /javascript/);
    expect(init.text).toContain("url: 'openapi.json'");
    expect(init.text).toContain('validatorUrl: null');
  });

  it('redirects /docs/ to /docs and refuses anything but its own assets', async () => {
    await t.api.get('/docs/').expect(301).expect('location', '../docs');
    await t.api.get('/docs/assets/package.json').expect(404);
    await t.api.get('/docs/assets/..%2Fpackage.json').expect(404);
  });
});

describe('the console session routes, declared through routes.route()', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, { startRelay: false });
  });
  afterAll(() => t?.close());

  it('sign in, read and sign out answer as documented (shapes checked by checkResponses); the role check of a foreign sign-in runs before validation', async () => {
    const org = await t.app.identity.createOrganization(`session ${Date.now()}`);
    const added = await t.app.identity.addMember({ organizationId: org.id, userId: 'session-owner', role: 'owner' });
    if (!added.ok) throw new Error(added.error.detail);
    await t.api.post('/v1/session').set('Sec-Fetch-Site', 'cross-site').send({}).expect(403);
    await t.api.post('/v1/session').send({}).expect(400);
    const signedIn = await t.api.post('/v1/session').send({ apiKey: added.value.apiKey }).expect(201);
    const cookie = String(signedIn.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
    const read = await t.api.get('/v1/session').set('Cookie', cookie).expect(200);
    expect(read.body).toMatchObject({ userId: 'session-owner', organizationId: org.id, role: 'owner' });
    await t.api.delete('/v1/session').set('Cookie', cookie).expect(403);
    await t.api
      .delete('/v1/session')
      .set('Cookie', cookie)
      .set('x-csrf-token', read.body.csrfToken as string)
      .expect(204);
    await t.api.get('/v1/session').set('Cookie', cookie).expect(401);
  });
});
