import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';

/** A TCP proxy on 127.0.0.1 in front of the test PostgreSQL, which the test can cut and restore. */
class CuttableProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(port = 0): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

describe('database unavailable', () => {
  const real = new URL(inject('databaseUrl'));
  const proxy = new CuttableProxy({ host: real.hostname, port: Number(real.port || 5432) });
  let t: TestApp;
  let auth: { Authorization: string };

  beforeAll(async () => {
    await proxy.open();
    const viaProxy = new URL(real);
    viaProxy.port = String(proxy.port);
    t = await startTestApp({ databaseUrl: viaProxy.toString() }, { poolMax: 2 });
    auth = (await seedOrganization(t.app, 'Unavailable')).owner.auth;
  });

  afterAll(async () => {
    await t?.close().catch(() => undefined);
    await proxy.cut();
  });

  it('answers 503 UNAVAILABLE with Retry-After while PostgreSQL is unreachable, /readyz says so, and recovers when it is back', async () => {
    expect((await t.api.get('/v1/git-providers').set(auth)).status).toBe(200);
    const port = proxy.port;
    await proxy.cut();

    const down = await t.api.get('/v1/git-providers').set(auth);
    expect(down.status).toBe(503);
    expect(down.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(down.body).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    expect(down.headers['retry-after']).toBeDefined();
    expect(JSON.stringify(down.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);
    const ready = await t.api.get('/readyz');
    expect(ready.status).toBe(503);
    expect((await t.api.get('/healthz')).status).toBe(200);

    await proxy.open(port);
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await t.api.get('/v1/git-providers').set(auth)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    expect((await t.api.get('/readyz')).status).toBe(200);
  });
});
