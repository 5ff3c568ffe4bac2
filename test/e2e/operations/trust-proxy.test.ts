import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.js';
import { type TrustProxy } from '../../../src/config.js';
import { commandLines, forgelink } from '../../support/cli.js';

// TRUST_PROXY (contract): the client IP in the request log comes from X-Forwarded-For only when set.
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** The `ip` of the request log line for this request id. */
function loggedIp(logs: string, requestId: string): string | undefined {
  for (const line of logs.split('\n')) {
    if (!line.includes(requestId)) continue;
    const entry = JSON.parse(line) as { msg?: string; ip?: string };
    if (entry.msg === 'request') return entry.ip;
  }
  return undefined;
}

async function ipFor(trustProxy: TrustProxy | undefined, forwardedFor?: string): Promise<string | undefined> {
  t = await startTestApp(trustProxy === undefined ? {} : { trustProxy });
  const request = t.api.get('/healthz');
  if (forwardedFor) void request.set('X-Forwarded-For', forwardedFor);
  const res = await request;
  expect(res.status).toBe(200);
  return loggedIp(t.logs(), res.headers['x-request-id'] as string);
}

describe('TRUST_PROXY', () => {
  it('unset: the socket peer is logged and X-Forwarded-For is ignored (anyone can send it)', async () => {
    const ip = await ipFor(undefined, '203.0.113.7');
    expect(ip).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
  });

  it('loopback: the proxy on 127.0.0.1 is trusted, so the forwarded client is logged', async () => {
    expect(await ipFor(['loopback'], '203.0.113.7')).toBe('203.0.113.7');
  });

  it('a hop count takes that many proxies from the right of X-Forwarded-For', async () => {
    expect(await ipFor(1, '198.51.100.1, 203.0.113.7')).toBe('203.0.113.7');
  });

  it('a CIDR list that does not cover the peer trusts nothing', async () => {
    expect(await ipFor(['10.0.0.0/8'], '203.0.113.7')).toMatch(/127\.0\.0\.1|::1/);
  });

  it('an invalid value refuses start-up, naming the variable', async () => {
    const run = await forgelink(['serve'], {
      TRUST_PROXY: 'proxy.internal',
      DATABASE_URL: 'postgres://127.0.0.1:9/x',
      FORGELINK_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
    });
    expect(run.code).toBe(1);
    expect(commandLines(run.stderr).join('\n')).toMatch(/TRUST_PROXY: "proxy.internal" is not a hop count/);
  });

  it('a FORGE_URL_ALLOWLIST entry with a scheme refuses start-up, naming the variable', async () => {
    const run = await forgelink(['serve'], {
      FORGE_URL_ALLOWLIST: 'http://127.0.0.1',
      DATABASE_URL: 'postgres://127.0.0.1:9/x',
      FORGELINK_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
    });
    expect(run.code).toBe(1);
    expect(commandLines(run.stderr).join('\n')).toMatch(
      /FORGE_URL_ALLOWLIST: "http:\/\/127\.0\.0\.1" is not a host or host:port \(write the host without the scheme: 127\.0\.0\.1\)/,
    );
  });
});
