import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type CliServer } from '../../support/cli.js';
import { ownDatabase } from '../subscriptions/support.js';

/**
 * Behind a reverse proxy (deploy/Caddyfile, nginx with `keepalive`), the proxy reuses idle connections to forgelink.
 * If forgelink closed them first (Node's default: after 5 s idle), a request the proxy sends on one just as it closes
 * fails with 502. `forgelink serve` keeps them open longer than the proxies' 60 s, so the proxy is the one to close.
 */
describe('forgelink serve keeps idle keep-alive connections open for the proxy', () => {
  let db: Awaited<ReturnType<typeof ownDatabase>>;
  let server: CliServer;

  beforeAll(async () => {
    db = await ownDatabase('keep_alive');
    server = await startServer(['serve'], {
      DATABASE_URL: db.url,
      FORGELINK_MASTER_KEY: inject('masterKey'),
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
    });
  }, 120_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await db?.drop();
  }, 60_000);

  it('a connection idle for longer than Node’s default 5 s still serves the next request', async () => {
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    const closed = new Promise<'closed'>((resolve) => socket.once('close', () => resolve('closed')));
    try {
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      expect(await request(socket)).toMatch(/^HTTP\/1\.1 200 /);
      // Idle as a proxy's pooled connection would be between two requests.
      const idle = await Promise.race([closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 6_500))]);
      expect(idle, 'forgelink closed the idle connection').toBe('open');
      const again = await request(socket);
      expect(again).toMatch(/^HTTP\/1\.1 200 /);
      expect(again).toMatch(/\r\nkeep-alive: timeout=75\r\n/i);
    } finally {
      socket.destroy();
    }
  }, 30_000);
});

/** One `GET /healthz` on an open socket; resolves with the whole response once its body has arrived. */
function request(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const head = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)\r\n/i.exec(text);
      if (head >= 0 && length && text.length >= head + 4 + Number(length[1])) {
        socket.off('data', onData).off('error', reject);
        resolve(text);
      }
    };
    socket.on('data', onData).once('error', reject);
    socket.write('GET /healthz HTTP/1.1\r\nHost: forgelink.test\r\nConnection: keep-alive\r\n\r\n');
  });
}
