import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/platform/database/embedded-postgres.js';
import { natsConnectionSummary } from '../../../src/platform/events/nats-publisher.js';
import { startTestApp } from '../../support/app.js';
import { tcpReachable } from '../../support/services.js';

const NATS_SERVER = '/usr/sbin/nats-server';
const PASSWORD = 'pa55-w0rd-never-logged';

describe('the NATS connection summary (what start-up logs)', () => {
  it('names broker, TLS and the kind of credentials, never the credentials', () => {
    const publisher = { stream: 'FORGELINK', subjectPrefix: 'forgelink' };
    expect(natsConnectionSummary(`nats://alice:${PASSWORD}@nats.internal`, publisher)).toEqual({
      broker: 'nats://nats.internal:4222',
      tls: 'off',
      auth: 'user+password',
      stream: 'FORGELINK',
      subjects: 'forgelink.>',
    });
    expect(natsConnectionSummary('tls://s3cr3t-token@nats.example.com:4443', publisher)).toEqual({
      broker: 'tls://nats.example.com:4443',
      tls: 'on',
      auth: 'token',
      stream: 'FORGELINK',
      subjects: 'forgelink.>',
    });
    expect(natsConnectionSummary('nats://127.0.0.1:4222', publisher)).toMatchObject({ auth: 'none' });
  });
});

// A private nats-server that requires a user and password, as in production.
describe.skipIf(!existsSync(NATS_SERVER))('the app logs its NATS connection at start', () => {
  let server: ChildProcess;
  let storeDir: string;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    storeDir = await mkdtemp(join(tmpdir(), 'fl-nats-auth-'));
    server = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, '--user', 'alice', '--pass', PASSWORD], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100 && !(await tcpReachable('127.0.0.1', port, 200)); i++) await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    server?.kill('SIGKILL');
    await rm(storeDir, { recursive: true, force: true });
  });

  it('one info line with broker, auth kind and stream; the password appears nowhere in the logs', async () => {
    const t = await startTestApp({ eventBrokerUrl: `nats://alice:${PASSWORD}@127.0.0.1:${port}`, logLevel: 'info' }, { startRelay: false });
    try {
      const lines = t
        .logs()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.msg === 'connected to NATS JetStream');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 30,
        broker: `nats://127.0.0.1:${port}`,
        tls: 'off',
        auth: 'user+password',
        stream: 'FORGELINK',
        subjects: 'forgelink.>',
      });
      expect(t.logs()).not.toContain(PASSWORD);
    } finally {
      await t.close();
    }
  });
});
