import { createServer, type IncomingHttpHeaders, request } from 'node:http';
import { type AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { FakeGitHub, type FakeGitHubApp } from '../../fakes/github-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { signGitHub } from '../../support/webhook-signing.js';
import { fixtureBytes } from '../../unit/webhooks/fixtures.js';
import { deliver, newDeliveryId } from '../webhooks/support.js';
import { type Auth, unique } from './support.js';

/** Contract "Git providers": the repositories list may be served from a cache at most 60 s old; refresh=true bypasses it. */
describe('picker cache: GET /v1/git-providers/{id}/repositories', () => {
  const fake = new FakeGitHub();
  const MAX_AGE_MS = 1_500;
  let t: TestApp;
  let other: TestApp;
  let owner: Auth;
  let outsider: Auth;
  let app: FakeGitHubApp;
  let installationId = 52_000;

  beforeAll(async () => {
    await fake.start();
    app = fake.addApp({ appId: 5_200 });
    // Two instances on one database, as behind a load balancer; a short maximum age so the test can outlive it.
    t = await startTestApp({}, { forge: { retryBaseMs: 1, timeoutMs: 5_000, listingMaxAgeMs: MAX_AGE_MS } });
    other = await startTestApp({}, { forge: { retryBaseMs: 1, timeoutMs: 5_000, listingMaxAgeMs: MAX_AGE_MS } });
    const org = await seedOrganization(t.app, 'Picker');
    owner = org.owner.auth;
    outsider = (await seedOrganization(t.app, 'Elsewhere')).owner.auth;
  });

  afterAll(async () => {
    await other?.close();
    await t?.close();
    await fake.stop();
  });

  /** A GitHub provider whose installation sees `count` repositories; returns its id. */
  async function provider(count: number): Promise<{ id: string; installation: number }> {
    const installation = ++installationId;
    fake.addInstallation(app.appId, installation, 'acme');
    fake.setRepositories(installation, count);
    const res = await t.api
      .post('/v1/git-providers/github')
      .set(owner)
      .send({
        name: unique('picker'),
        githubUrl: fake.url,
        appId: app.appId,
        installationId: installation,
        privateKey: app.privateKey,
        webhookSecret: app.webhookSecret,
      });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.id as string, installation };
  }

  const pages = (): number => fake.requests.filter((r) => r.path === '/installation/repositories').length;

  async function list(on: TestApp, id: string, query: Record<string, string> = {}, auth = owner, headers: Record<string, string> = {}) {
    return on.api.get(`/v1/git-providers/${id}/repositories`).query(query).set(auth).set(headers);
  }

  it('a second open within the maximum age makes no forge request and answers the same list', async () => {
    const { id } = await provider(250);
    fake.resetCounters();
    const first = await list(t, id);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.total).toBe(250);
    expect(pages()).toBe(3);

    fake.resetCounters();
    const again = await list(t, id, { search: 'repo-0001', perPage: '5' });
    expect(again.status).toBe(200);
    expect(fake.requests).toHaveLength(0);
    expect(again.body.total).toBe(first.body.items.filter((r: { fullName: string }) => r.fullName.includes('repo-0001')).length);
    expect((await list(t, id)).body).toEqual(first.body);
    expect(fake.requests).toHaveLength(0);
  });

  it('refresh=true asks the forge again; a bad refresh value is 400', async () => {
    const { id } = await provider(120);
    await list(t, id);
    fake.resetCounters();
    expect((await list(t, id, { refresh: 'true' })).status).toBe(200);
    expect(pages()).toBe(2);
    const bad = await list(t, id, { refresh: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });

  it('authorises before serving from the cache: another organisation gets 404 and no list', async () => {
    const { id } = await provider(10);
    expect((await list(t, id)).status).toBe(200);
    fake.resetCounters();
    const refused = await list(t, id, {}, outsider);
    expect(refused.status).toBe(404);
    expect(JSON.stringify(refused.body)).not.toContain('repo-');
    expect(fake.requests).toHaveLength(0);
  });

  it('after the maximum age the list is fetched again, each page revalidated with If-None-Match (304s)', async () => {
    const { id } = await provider(250);
    await list(t, id);
    fake.resetCounters();
    await new Promise((r) => setTimeout(r, MAX_AGE_MS + 200));
    const res = await list(t, id);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(250);
    const revalidated = fake.requests.filter((r) => r.path === '/installation/repositories');
    expect(revalidated).toHaveLength(3);
    expect(revalidated.every((r) => r.status === 304)).toBe(true);
    expect(fake.requestsCharged).toBe(0);
  });

  it('a repository event delivered to one instance makes every instance list again', async () => {
    const { id, installation } = await provider(30);
    await list(t, id);
    await list(other, id);
    fake.resetCounters();
    expect((await list(other, id)).body.total).toBe(30);
    expect(fake.requests).toHaveLength(0);

    fake.setRepositories(installation, 31);
    const body = fixtureBytes('github', 'repository.json');
    const res = await deliver(t, id, body, signGitHub(body, app.webhookSecret, { event: 'repository', delivery: newDeliveryId() }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.reason).toBe('repository_list_changed: repository created');

    expect((await list(other, id)).body.total).toBe(31);
    expect((await list(t, id)).body.total).toBe(31);
    expect(pages()).toBe(2);
  });

  it('installation_repositories added/removed invalidates the list; an unsigned one changes nothing', async () => {
    const { id, installation } = await provider(12);
    await list(t, id);
    fake.setRepositories(installation, 11);
    const body = fixtureBytes('github', 'installation-repositories.json');
    const forged = await deliver(t, id, body, signGitHub(body, 'not-the-secret', { event: 'installation_repositories' }));
    expect(forged.status).toBe(401);
    expect((await list(t, id)).body.total).toBe(12);

    const res = await deliver(t, id, body, signGitHub(body, app.webhookSecret, { event: 'installation_repositories' }));
    expect(res.body.reason).toBe('repository_list_changed: installation_repositories removed');
    expect((await list(t, id)).body.total).toBe(11);
  });

  it('the whole list carries a strong ETag: If-None-Match answers 304 with no body and no forge request; a changed list, a new ETag', async () => {
    const { id, installation } = await provider(40);
    const first = await list(t, id);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    expect((await list(t, id)).headers.etag).toBe(etag);

    fake.resetCounters();
    const unchanged = await list(t, id, {}, owner, { 'If-None-Match': etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');
    expect(fake.requests).toHaveLength(0);
    // Another organisation's member holding the ETag still gets 404: authorisation comes before the cache and the 304.
    expect((await list(t, id, {}, outsider, { 'If-None-Match': etag })).status).toBe(404);

    // Another instance serialises the same list to the same bytes, so a load balancer can send the revalidation anywhere.
    expect((await list(other, id)).headers.etag).toBe(etag);

    fake.setRepositories(installation, 41);
    const refreshed = await list(t, id, { refresh: 'true' }, owner, { 'If-None-Match': etag });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.total).toBe(41);
    expect(refreshed.headers.etag).not.toBe(etag);
    // A page or a search is computed per request and keeps express's own (weak) validator.
    expect((await list(t, id, { perPage: '5' })).headers.etag).not.toBe(refreshed.headers.etag);
  });

  it('a client that accepts gzip gets the list compressed once, with its own strong ETag, and 304s on it', async () => {
    const { id } = await provider(400);
    // Plain node:http: supertest and fetch would decompress, and the test is about the bytes on the wire.
    const server = createServer(t.app.http);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const raw = (accept: string, extra: Record<string, string> = {}) =>
      new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: `/v1/git-providers/${id}/repositories`,
            headers: { ...owner, 'Accept-Encoding': accept, ...extra },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end();
      });
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const plain = await raw('identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const gzipped = await raw('gzip, deflate');
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toMatch(/Accept-Encoding/i);
    // The bytes on the wire are the compressed list, a fraction of its size, and decompress to the same JSON.
    const wire = gzipped.body;
    const json = plain.body;
    expect(wire.length).toBeLessThan(json.length / 4);
    expect(gunzipSync(wire).equals(json)).toBe(true);
    expect((JSON.parse(json.toString()) as { total: number }).total).toBe(400);
    // Each coding is its own representation: its own strong ETag, and a 304 on it.
    expect(gzipped.headers.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(gzipped.headers.etag).not.toBe(plain.headers.etag);
    expect((await raw('gzip', { 'If-None-Match': gzipped.headers.etag as string })).status).toBe(304);
    expect((await raw('identity', { 'If-None-Match': gzipped.headers.etag as string })).status).toBe(200);
    // The same compressed bytes every time (compressed once, then held with the list).
    expect((await raw('gzip')).body.equals(wire)).toBe(true);
  });

  it('test-connection always asks the forge', async () => {
    const { id } = await provider(5);
    await list(t, id);
    fake.resetCounters();
    const res = await t.api.post(`/v1/git-providers/${id}/test-connection`).set(owner);
    expect(res.body).toMatchObject({ ok: true, repositoryCount: 5 });
    expect(pages()).toBe(1);
  });
});
