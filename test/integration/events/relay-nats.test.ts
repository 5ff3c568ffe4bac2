import { randomBytes, randomUUID } from 'node:crypto';
import { type MikroORM } from '@mikro-orm/postgresql';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { migrate, openDatabase } from '../../../src/database.js';
import { type EventEnvelope, type EventPublisher } from '../../../src/platform/events/event-publisher.js';
import { NatsJetStreamPublisher } from '../../../src/platform/events/nats-publisher.js';
import { OutboxRelay } from '../../../src/platform/outbox/outbox-relay.js';
import { withDatabase } from '../../support/global-setup.js';
import { natsAvailable, readStream } from '../../support/services.js';

const suffix = randomBytes(4).toString('hex');
const STREAM = `FL_RELAY_${suffix}`;
const PREFIX = `flrelay${suffix}`;
const DATABASE = `forgelink_relay_${Date.now()}_${suffix}`;
const AGGREGATES = 4;
const EVENTS = 60;
const PER_TRANSACTION = 5;
const CRASH_AFTER = 23;

const quietLogger = { warn: () => undefined, error: () => undefined };

/** Publishes through `inner` until `limit` events went out, then hangs like a process frozen mid-batch. */
class CrashingPublisher implements EventPublisher {
  readonly name = 'crashing';
  published = 0;
  readonly hung: Promise<void>;
  private signalHung!: () => void;
  private release?: (error: Error) => void;

  constructor(
    private readonly inner: EventPublisher,
    private readonly limit: number,
  ) {
    this.hung = new Promise((resolve) => (this.signalHung = resolve));
  }

  async publish(event: EventEnvelope): Promise<void> {
    if (this.published >= this.limit) {
      this.signalHung();
      return new Promise((_resolve, reject) => (this.release = reject));
    }
    await this.inner.publish(event);
    this.published++;
  }

  /** Lets the frozen publish fail, so the dead relay's code can unwind. */
  unfreeze(): void {
    this.release?.(new Error('process killed'));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Counts JetStream's duplicate PubAcks: events the dead relay had published but not marked. */
class CountingPublisher implements EventPublisher {
  readonly name = 'counting';
  duplicates = 0;
  constructor(private readonly inner: NatsJetStreamPublisher) {}
  async publish(event: EventEnvelope): Promise<void> {
    if ((await this.inner.publishWithAck(event)).duplicate) this.duplicates++;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe.skipIf(!natsAvailable)('OutboxRelay → NATS JetStream: a relay killed mid-batch, then a new one', () => {
  const admin = withDatabase(inject('adminDatabaseUrl'), 'postgres');
  const databaseUrl = withDatabase(inject('adminDatabaseUrl'), DATABASE);
  const cipher = new SecretCipher(inject('masterKey'));
  let nc: NatsConnection;
  let sql: pg.Pool;
  const orms: MikroORM[] = [];
  const publishers: EventPublisher[] = [];

  beforeAll(async () => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`create database ${DATABASE}`);
    await client.end();
    const orm = await openDatabase({ databaseUrl, cipher, poolMax: 2 });
    await migrate(orm);
    await orm.close(true);
    sql = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    nc = await connect({ servers: '127.0.0.1:4222', timeout: 2_000 });
  });

  afterAll(async () => {
    for (const p of publishers) await p.close().catch(() => undefined);
    for (const orm of orms) await orm.close(true).catch(() => undefined);
    await sql?.end();
    if (nc) {
      await (await nc.jetstreamManager()).streams.delete(STREAM).catch(() => undefined);
      await nc.close();
    }
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`drop database if exists ${DATABASE} with (force)`);
    await client.end();
  });

  const openKnex = async () => {
    const orm = await openDatabase({ databaseUrl, cipher, poolMax: 2 });
    orms.push(orm);
    return orm.em.getKnex();
  };

  const natsPublisher = async (): Promise<NatsJetStreamPublisher> => {
    const p = await NatsJetStreamPublisher.connect({ url: 'nats://127.0.0.1:4222', stream: STREAM, subjectPrefix: PREFIX });
    publishers.push(p);
    return p;
  };

  it('every committed event arrives exactly once, in commit order per aggregate', async () => {
    // Commit N events of several aggregates, interleaved, in separate transactions.
    const organizationId = randomUUID();
    const aggregates = Array.from({ length: AGGREGATES }, () => randomUUID());
    const committed = new Map<string, string[]>(aggregates.map((a) => [a, []]));
    const allIds: string[] = [];
    for (let tx = 0; tx < EVENTS / PER_TRANSACTION; tx++) {
      const client = await sql.connect();
      try {
        await client.query('begin');
        for (let i = 0; i < PER_TRANSACTION; i++) {
          const n = tx * PER_TRANSACTION + i;
          const aggregateId = aggregates[(n * 7 + tx) % AGGREGATES] as string;
          const id = randomUUID();
          await client.query(
            `insert into outbox (id, type, organization_id, aggregate_id, occurred_at, data) values ($1, $2, $3, $4, now(), $5)`,
            [id, n % 2 === 0 ? 'deployment.requested' : 'service-source.connected', organizationId, aggregateId, JSON.stringify({ n })],
          );
          committed.get(aggregateId)?.push(id);
          allIds.push(id);
        }
        await client.query('commit');
      } finally {
        client.release();
      }
    }

    // Relay A publishes part of its batch, then its process freezes mid-batch and its connection dies.
    const crashing = new CrashingPublisher(await natsPublisher(), CRASH_AFTER);
    const relayA = new OutboxRelay(await openKnex(), [crashing], quietLogger, { batchSize: 100, pollIntervalMs: 20, retryBaseMs: 10 });
    relayA.start();
    await crashing.hung;
    expect(crashing.published).toBe(CRASH_AFTER);
    const { rows: holders } = await sql.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and state like 'idle in transaction%' and pid <> pg_backend_pid()`,
    );
    expect(holders).toHaveLength(1);
    await sql.query('select pg_terminate_backend($1)', [holders[0]?.pid]);
    const deadline = Date.now() + 10_000;
    while ((await sql.query('select 1 from pg_stat_activity where pid = $1', [holders[0]?.pid])).rowCount && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    crashing.unfreeze();
    await relayA.stop();

    // It died inside its first batch (one batch takes a backlog of several events per aggregate, up to batchSize),
    // so nothing was marked published: its transaction rolled back.
    const { rows: pending } = await sql.query<{ n: number }>('select count(*)::int as n from outbox where published_at is null');
    expect(pending[0]?.n).toBe(EVENTS);

    // Relay B starts fresh and republishes from the first unmarked event; JetStream drops what A already sent.
    const counting = new CountingPublisher(await natsPublisher());
    const relayB = new OutboxRelay(await openKnex(), [counting], quietLogger, { batchSize: 10, pollIntervalMs: 20, retryBaseMs: 10 });
    expect(await relayB.drain()).toBe(EVENTS);
    expect(counting.duplicates).toBe(CRASH_AFTER);
    const { rows: done } = await sql.query<{ n: number }>('select count(*)::int as n from outbox where published_at is not null');
    expect(done[0]?.n).toBe(EVENTS);

    const jc = JSONCodec<EventEnvelope>();
    const info = await (await nc.jetstreamManager()).streams.info(STREAM);
    expect(info.state.messages).toBe(EVENTS);
    const messages = await readStream(nc, STREAM, EVENTS);
    const ids = messages.map((m) => jc.decode(m.data).id);
    expect(ids).toHaveLength(EVENTS);
    expect(new Set(ids)).toEqual(new Set(allIds));
    expect(messages.map((m) => m.headers?.get('Nats-Msg-Id'))).toEqual(ids);
    for (const m of messages) expect(m.subject).toBe(`${PREFIX}.${jc.decode(m.data).type}`);
    for (const [aggregateId, expected] of committed) {
      const inStream = messages
        .map((m) => jc.decode(m.data))
        .filter((e) => e.aggregateId === aggregateId)
        .map((e) => e.id);
      expect(inStream).toEqual(expected);
    }
  }, 60_000);
});
