import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, JSONCodec, nanos, StorageType, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsAvailable, readStream } from '../../support/services.js';
import type { EventEnvelope } from '../../../src/platform/events/event-publisher.js';
import {
  AGGREGATE_ID_HEADER,
  NatsJetStreamPublisher,
  NatsPublisherError,
  parseBrokerUrl,
} from '../../../src/platform/events/nats-publisher.js';

const NATS_URL = 'nats://127.0.0.1:4222';
const suffix = randomBytes(4).toString('hex');
const STREAM = `FL_TEST_${suffix}`;
const PREFIX = `fltest${suffix}`;

function anEvent(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    id: randomUUID(),
    type: 'deployment.requested',
    occurredAt: new Date().toISOString(),
    organizationId: randomUUID(),
    aggregateId: randomUUID(),
    data: { serviceType: 'application', serviceId: 'svc_1', ref: { type: 'branch', name: 'main' } },
    ...overrides,
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

describe.skipIf(!natsAvailable)('NatsJetStreamPublisher (real NATS JetStream on 127.0.0.1:4222)', () => {
  let admin: NatsConnection;
  let publisher: NatsJetStreamPublisher;
  const jc = JSONCodec<EventEnvelope>();

  beforeAll(async () => {
    admin = await connect({ servers: '127.0.0.1:4222', timeout: 2_000 });
    publisher = await NatsJetStreamPublisher.connect({ url: NATS_URL, stream: STREAM, subjectPrefix: PREFIX });
  });

  afterAll(async () => {
    await publisher?.close();
    if (admin) {
      const jsm = await admin.jetstreamManager();
      await jsm.streams.delete(STREAM).catch(() => undefined);
      await jsm.streams.delete(`${STREAM}_PRE`).catch(() => undefined);
      await admin.close();
    }
  });

  it('creates the stream with file storage, <prefix>.> subjects and the duplicate window', async () => {
    const info = await (await admin.jetstreamManager()).streams.info(STREAM);
    expect(info.config.subjects).toEqual([`${PREFIX}.>`]);
    expect(info.config.storage).toBe(StorageType.File);
    expect(info.config.duplicate_window).toBe(nanos(2 * 60_000));
  });

  it('delivers an event to a JetStream consumer on <prefix>.<type> with the envelope as body', async () => {
    const event = anEvent({ type: 'service-source.connected', data: { serviceId: 'svc_9', branch: 'main' } });
    const ack = await publisher.publishWithAck(event);
    expect(ack).toMatchObject({ stream: STREAM, duplicate: false });

    const [msg, ...rest] = await readStream(admin, STREAM, 1, `${PREFIX}.service-source.connected`);
    expect(rest).toHaveLength(0);
    expect(msg?.subject).toBe(`${PREFIX}.service-source.connected`);
    expect(msg && jc.decode(msg.data)).toEqual(event);
    expect(msg?.headers?.get(AGGREGATE_ID_HEADER)).toBe(event.aggregateId);
    expect(msg?.headers?.get('Nats-Msg-Id')).toBe(event.id);
    expect(msg?.seq).toBe(ack.seq);
  });

  it('stores a redelivered event id once: the second PubAck says duplicate', async () => {
    const event = anEvent({ type: 'git-provider.created', data: { providerId: 'p1', providerType: 'github' } });
    const first = await publisher.publishWithAck(event);
    const second = await publisher.publishWithAck(event);
    await publisher.publish(event);

    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
    const subject = `${PREFIX}.git-provider.created`;
    const info = await (await admin.jetstreamManager()).streams.info(STREAM, { subjects_filter: subject });
    expect(info.state.subjects).toEqual({ [subject]: 1 });
    const stored = await readStream(admin, STREAM, 1, subject);
    expect(stored.map((m) => jc.decode(m.data).id)).toEqual([event.id]);
  });

  it('keeps publish order for 20 events of one aggregate', async () => {
    const aggregateId = randomUUID();
    const events = Array.from({ length: 20 }, (_, i) =>
      anEvent({ aggregateId, type: 'git-provider.updated', data: { providerId: 'p2', n: i } }),
    );
    const seqs: number[] = [];
    for (const e of events) seqs.push((await publisher.publishWithAck(e)).seq);

    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const stored = await readStream(admin, STREAM, 20, `${PREFIX}.git-provider.updated`);
    expect(stored.map((m) => jc.decode(m.data).id)).toEqual(events.map((e) => e.id));
    expect(new Set(stored.map((m) => m.headers?.get(AGGREGATE_ID_HEADER)))).toEqual(new Set([aggregateId]));
  });

  it('updates an existing stream: adds the subject and sets the duplicate window, keeping what was there', async () => {
    const jsm = await admin.jetstreamManager();
    const stream = `${STREAM}_PRE`;
    await jsm.streams.add({ name: stream, subjects: [`${PREFIX}legacy.other`], storage: StorageType.File, duplicate_window: nanos(1_000) });
    const p = await NatsJetStreamPublisher.connect({ url: NATS_URL, stream, subjectPrefix: `${PREFIX}pre`, duplicateWindowMs: 30_000 });
    try {
      const info = await jsm.streams.info(stream);
      expect(info.config.subjects).toEqual([`${PREFIX}legacy.other`, `${PREFIX}pre.>`]);
      expect(info.config.duplicate_window).toBe(nanos(30_000));
      expect((await p.publishWithAck(anEvent())).stream).toBe(stream);
    } finally {
      await p.close();
    }
  });

  it('fails clearly, without credentials, when the broker is unreachable', async () => {
    const port = await freePort();
    const started = Date.now();
    const attempt = NatsJetStreamPublisher.connect({
      url: `nats://forgelink:s3cret-pass@127.0.0.1:${port}`,
      stream: STREAM,
      subjectPrefix: PREFIX,
      connectTimeoutMs: 500,
    });
    await expect(attempt).rejects.toThrow(NatsPublisherError);
    await expect(attempt).rejects.toThrow(`cannot connect to NATS at 127.0.0.1:${port}: CONNECTION_REFUSED`);
    await attempt.catch((err: Error) => expect(err.message).not.toContain('s3cret'));
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('rejects publish with a clear error once the broker goes away, so the relay retries', async () => {
    const port = await freePort();
    const storeDir = await mkdtemp(join(tmpdir(), 'fl-nats-'));
    const server: ChildProcess = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: 'ignore',
    });
    try {
      let p: NatsJetStreamPublisher | undefined;
      for (let i = 0; i < 50 && !p; i++) {
        p = await NatsJetStreamPublisher.connect({
          url: `nats://127.0.0.1:${port}`,
          publishTimeoutMs: 300,
          connectTimeoutMs: 300,
        }).catch(async () => {
          await new Promise((r) => setTimeout(r, 50));
          return undefined;
        });
      }
      if (!p) throw new Error('private nats-server did not start');
      expect((await p.publishWithAck(anEvent())).duplicate).toBe(false);

      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGKILL');
      await exited;
      const event = anEvent();
      await expect(p.publish(event)).rejects.toThrow(
        new RegExp(
          `^publishing deployment\\.requested ${event.id} to forgelink\\.deployment\\.requested on 127\\.0\\.0\\.1:${port} failed: `,
        ),
      );
      await p.close();
      await expect(p.publish(anEvent())).rejects.toThrow(/NATS publisher is closed/);
    } finally {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
      await rm(storeDir, { recursive: true, force: true });
    }
  });

  it('rejects a broker URL that is not nats:// or tls://', async () => {
    await expect(NatsJetStreamPublisher.connect({ url: 'http://127.0.0.1:4222' })).rejects.toThrow(
      'EVENT_BROKER_URL must use nats:// or tls://, got http://',
    );
    await expect(NatsJetStreamPublisher.connect({ url: '127.0.0.1:4222' })).rejects.toThrow(NatsPublisherError);
    await expect(NatsJetStreamPublisher.connect({ url: 'not a url' })).rejects.toThrow('EVENT_BROKER_URL is not a valid URL');
  });

  it('parses credentials out of the URL and tls:// into TLS', () => {
    expect(parseBrokerUrl('nats://alice:p%40ss@127.0.0.1')).toEqual({
      server: '127.0.0.1:4222',
      tls: false,
      auth: { user: 'alice', pass: 'p@ss' },
    });
    expect(parseBrokerUrl('tls://tok3n@127.0.0.1:4443')).toEqual({ server: '127.0.0.1:4443', tls: true, auth: { token: 'tok3n' } });
  });

  it('refuses event types that are not plain subject tokens', async () => {
    await expect(publisher.publish(anEvent({ type: 'deployment.*' }))).rejects.toThrow(/not a valid NATS subject token/);
    await expect(publisher.publish(anEvent({ type: 'a b' }))).rejects.toThrow(/not a valid NATS subject token/);
  });
});
