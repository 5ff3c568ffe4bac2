import { randomUUID } from 'node:crypto';
import { type Knex } from '@mikro-orm/postgresql';
import { SecretCipher } from '../src/platform/crypto/secret-cipher.js';
import { openDatabase } from '../src/database.js';
import { InProcessEventBus } from '../src/platform/events/event-bus.js';
import { OutboxRelay } from '../src/platform/outbox/outbox-relay.js';
import { type BenchServer } from './support/database.js';
import { count, printTable, rateRatio, timed, ms } from './support/report.js';

export interface OutboxOptions {
  /** Events published per run. */
  readonly events: number;
  /** Aggregates the events are spread over (per-aggregate order is what the claim query enforces). */
  readonly aggregates: number;
  readonly batchSize: number;
  readonly baselineBatchSize: number;
}

const quiet = { warn: () => undefined, error: (obj: object, msg: string) => console.error(msg, obj) };

/** Unpublished rows as the unit of work writes them, for one bench organisation. */
async function seed(knex: Knex, organizationId: string, events: number, aggregates: number): Promise<void> {
  await knex.raw(
    `insert into outbox (id, type, organization_id, aggregate_id, occurred_at, data)
     select gen_random_uuid(), 'bench.event', ?, 'bench-aggregate-' || (g % ?), now(), jsonb_build_object('n', g, 'serviceId', 'bench-' || g)
       from generate_series(1, ?::int) g`,
    [organizationId, aggregates, events],
  );
}

async function run(knex: Knex, options: OutboxOptions, batchSize: number): Promise<{ ms: number; published: number; perSecond: number }> {
  const organizationId = randomUUID();
  await seed(knex, organizationId, options.events, options.aggregates);
  const bus = new InProcessEventBus();
  let received = 0;
  let outOfOrder = 0;
  const last = new Map<string, number>();
  // A subscriber as a deployer would be: it sees every event and checks per-aggregate order.
  bus.subscribe('bench.event', (event) => {
    received++;
    const n = Number(event.data.n);
    if ((last.get(event.aggregateId) ?? 0) > n) outOfOrder++;
    last.set(event.aggregateId, n);
  });
  const relay = new OutboxRelay(knex, [bus], quiet, { batchSize });
  const { value: published, ms: elapsed } = await timed(() => relay.drain());
  await bus.close();
  if (received !== options.events)
    throw new Error(
      `batch size ${batchSize}: the bus received ${received} events, expected ${options.events} (relay published ${published})`,
    );
  if (outOfOrder > 0) throw new Error(`batch size ${batchSize}: ${outOfOrder} events arrived out of order for their aggregate`);
  return { ms: elapsed, published, perSecond: (received / elapsed) * 1000 };
}

/** 4. Outbox relay throughput into the in-process bus: batches of 100 vs. one row per transaction. */
export async function benchOutbox(server: BenchServer, options: OutboxOptions): Promise<void> {
  const database = await server.createDatabase();
  const orm = await openDatabase({ databaseUrl: database.databaseUrl, cipher: new SecretCipher(database.masterKey), poolMax: 2 });
  try {
    const knex = orm.em.getKnex();
    await run(knex, { ...options, events: Math.min(500, options.events) }, options.batchSize); // warm-up
    const batched = await run(knex, options, options.batchSize);
    const single = await run(knex, options, options.baselineBatchSize);
    printTable(
      `4. Outbox relay: ${count(options.events)} events over ${count(options.aggregates)} aggregates, published to the in-process bus`,
      [
        {
          case: 'throughput',
          measured: `${count(batched.perSecond)} events/s`,
          baseline: `${count(single.perSecond)} events/s`,
          ratio: rateRatio(batched.perSecond, single.perSecond),
        },
        { case: 'wall time to drain', measured: ms(batched.ms), baseline: ms(single.ms), ratio: `${(batched.ms / single.ms).toFixed(2)}×` },
      ],
      { case: 'figure', measured: `batch size ${options.batchSize}`, baseline: `batch size ${options.baselineBatchSize}`, ratio: 'ratio' },
      [
        'one transaction per batch: claim (FOR UPDATE SKIP LOCKED, per-aggregate order), publish, mark each row published; order checked per aggregate',
      ],
    );
  } finally {
    await orm.close(true);
  }
}
