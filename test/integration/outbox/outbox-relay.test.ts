import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { type Knex } from '@mikro-orm/postgresql';
import { type GitProvider } from '../../../src/modules/git-providers/domain/git-provider.js';
import { type Actor } from '../../../src/modules/identity/domain/actor.js';
import { generateMasterKey, SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { InProcessEventBus } from '../../../src/platform/events/event-bus.js';
import { type EventEnvelope, type EventPublisher } from '../../../src/platform/events/event-publisher.js';
import { OutboxRelay, type RelayLogger } from '../../../src/platform/outbox/outbox-relay.js';
import { anActor } from '../../builders/actors.js';
import { aGitHubProvider } from '../../builders/git-providers.js';
import { createOrganization, createScratchDatabase, openPersistence, sql, type Persistence } from '../persistence/database.js';

const quietLogger = (): RelayLogger & { warnings: object[] } => {
  const warnings: object[] = [];
  return { warnings, warn: (obj) => void warnings.push(obj), error: (obj) => void warnings.push(obj) };
};

/** Records what it was handed (also into a shared log, to see the order across publishers); may wait before answering. */
class RecordingPublisher implements EventPublisher {
  readonly name = 'recording';
  readonly published: EventEnvelope[] = [];
  constructor(private readonly options: { delayMs?: number; log?: EventEnvelope[] } = {}) {}

  async publish(event: EventEnvelope): Promise<void> {
    if (this.options.delayMs) await new Promise((r) => setTimeout(r, this.options.delayMs));
    this.published.push(event);
    this.options.log?.push(event);
  }

  async close(): Promise<void> {}
}

interface OutboxState {
  id: string;
  type: string;
  published_at: string | null;
  attempts: number;
  last_error: string | null;
}

// A database of its own: no other test file's application relay can claim these rows.
describe('OutboxRelay', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Persistence;
  let knex: Knex;
  let organizationId: string;
  let owner: Actor;

  beforeAll(async () => {
    scratch = await createScratchDatabase(inject('adminDatabaseUrl'), 'relay');
    db = await openPersistence(scratch.url, new SecretCipher(generateMasterKey()), { migrate: true });
    knex = db.orm.em.getKnex();
    organizationId = await createOrganization(db);
    owner = anActor('owner', organizationId);
  });

  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  /** A provider committed with its created event, then `toggles` more commits (shared/unshared alternately). */
  async function providerWithHistory(toggles: number): Promise<{ provider: GitProvider; types: string[] }> {
    // The builder clears the created event, so the history starts with the first sharing change.
    const provider = aGitHubProvider().createdBy(owner).build();
    const types: string[] = [];
    await db.uow.run(() => db.providers.save(provider));
    for (let i = 0; i < toggles; i++) {
      await db.uow.run(async () => {
        const loaded = await db.providers.findById(provider.id);
        if (!loaded) throw new Error('not found');
        const shared = !loaded.sharedWithOrganization;
        expect(loaded.changeSharing(owner, shared).ok).toBe(true);
        await db.providers.save(loaded);
        types.push(shared ? 'git-provider.shared' : 'git-provider.unshared');
      });
    }
    return { provider, types };
  }

  const stateOf = (aggregateId: string): Promise<OutboxState[]> =>
    sql<OutboxState>(
      db,
      'select id, type, published_at::text, attempts, last_error from outbox where aggregate_id = ? order by txid, position',
      [aggregateId],
    );

  it('delivers each committed event once, as the contract envelope, to an in-process bus subscriber', async () => {
    const bus = new InProcessEventBus();
    const received: EventEnvelope[] = [];
    bus.subscribe('*', (event) => void received.push(event));
    const typed: EventEnvelope[] = [];
    bus.subscribe('git-provider.shared', (event) => void typed.push(event));
    const relay = new OutboxRelay(knex, [bus], quietLogger(), { batchSize: 2 });

    const { provider, types } = await providerWithHistory(3);
    const published = await relay.drain();
    expect(published).toBeGreaterThanOrEqual(3);
    const mine = received.filter((e) => e.aggregateId === provider.id);
    expect(mine.map((e) => e.type)).toEqual(types);
    expect(new Set(mine.map((e) => e.id)).size).toBe(3);
    expect(typed.filter((e) => e.aggregateId === provider.id)).toHaveLength(2);
    const [first] = mine;
    expect(first).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'git-provider.shared',
      occurredAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      organizationId,
      aggregateId: provider.id,
      data: { providerId: provider.id, providerType: 'github' },
    });

    const rows = await stateOf(provider.id);
    expect(rows.every((r) => r.published_at !== null && r.attempts === 1 && r.last_error === null)).toBe(true);
    expect(await relay.drain()).toBe(0);
    expect(received.filter((e) => e.aggregateId === provider.id)).toHaveLength(3);
    await bus.close();
  });

  it('a batch stops at its time budget and commits what it published: a slow broker cannot hold the transaction open', async () => {
    const publisher = new RecordingPublisher({ delayMs: 150 });
    const relay = new OutboxRelay(knex, [publisher], quietLogger(), { batchSize: 100, batchBudgetMs: 400 });
    const { provider, types } = await providerWithHistory(8);
    const started = Date.now();
    const first = await relay.runBatch();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(first.published).toBeGreaterThan(0);
    expect(first.published).toBeLessThan(types.length);
    const afterFirst = await stateOf(provider.id);
    expect(afterFirst.filter((r) => r.published_at !== null)).toHaveLength(
      publisher.published.filter((e) => e.aggregateId === provider.id).length,
    );
    await relay.drain();
    expect(publisher.published.filter((e) => e.aggregateId === provider.id).map((e) => e.type)).toEqual(types);
  });

  it('publishes in commit order per aggregate, with other aggregates interleaved', async () => {
    const publisher = new RecordingPublisher();
    const relay = new OutboxRelay(knex, [publisher], quietLogger(), { batchSize: 3 });
    const a = await providerWithHistory(4);
    const b = await providerWithHistory(2);
    // A later commit of a: its events must come after a's earlier ones whatever b does.
    const c = await providerWithHistory(3);
    await relay.drain();
    for (const { provider, types } of [a, b, c]) {
      const mine = publisher.published.filter((e) => e.aggregateId === provider.id);
      expect(mine.map((e) => e.type)).toEqual(types);
      const occurred = mine.map((e) => e.occurredAt);
      expect([...occurred].sort()).toEqual(occurred);
    }
  });

  it("retries a subscriber that failed, recording attempts and last_error, and holds back the aggregate's later events meanwhile", async () => {
    const bus = new InProcessEventBus();
    const logger = quietLogger();
    // Long backoff: the failed event stays due only when the test makes it due.
    const relay = new OutboxRelay(knex, [bus], logger, { retryBaseMs: 60_000 });
    const failing = await providerWithHistory(3);
    const other = await providerWithHistory(1);
    const [firstId] = (await stateOf(failing.provider.id)).map((r) => r.id);

    const seen: string[] = [];
    let failuresLeft = 1;
    bus.subscribe('*', (event) => {
      if (event.aggregateId !== failing.provider.id && event.aggregateId !== other.provider.id) return;
      if (event.id === firstId && failuresLeft > 0) {
        failuresLeft--;
        seen.push(`${event.id}:failed`);
        throw new Error('deployer is down');
      }
      seen.push(event.id);
    });

    await relay.drain();
    let rows = await stateOf(failing.provider.id);
    expect(rows[0]).toMatchObject({ id: firstId, published_at: null, attempts: 1, last_error: 'deployer is down' });
    expect(rows.slice(1).every((r) => r.published_at === null && r.attempts === 0)).toBe(true);
    expect(logger.warnings).toEqual([expect.objectContaining({ eventId: firstId, attempts: 1, error: 'deployer is down' })]);
    // Another aggregate is not held back.
    expect((await stateOf(other.provider.id)).every((r) => r.published_at !== null)).toBe(true);

    // Not due yet: nothing of the failing aggregate moves.
    await relay.drain();
    expect((await stateOf(failing.provider.id)).every((r) => r.published_at === null)).toBe(true);

    await sql(db, 'update outbox set next_attempt_at = now() where id = ?', [firstId]);
    await relay.drain();
    rows = await stateOf(failing.provider.id);
    expect(rows[0]).toMatchObject({ attempts: 2, last_error: null });
    expect(rows.every((r) => r.published_at !== null)).toBe(true);

    const ids = rows.map((r) => r.id);
    const failingSeen = seen.filter((s) => ids.some((id) => s.startsWith(id)));
    expect(failingSeen).toEqual([`${firstId}:failed`, ...ids]);
    await bus.close();
  });

  it('a failure on a later event keeps the earlier ones published and the later ones pending', async () => {
    const publisher: EventPublisher = {
      name: 'picky',
      publish: async (event) => {
        if (event.type === 'git-provider.unshared' && event.aggregateId === target) throw new Error('refused');
      },
      close: async () => {},
    };
    const { provider } = await providerWithHistory(3);
    const target = provider.id;
    await new OutboxRelay(knex, [publisher], quietLogger(), { retryBaseMs: 60_000 }).drain();
    const rows = await stateOf(provider.id);
    expect(rows.map((r) => [r.type, r.published_at !== null, r.attempts])).toEqual([
      ['git-provider.shared', true, 1],
      ['git-provider.unshared', false, 1],
      ['git-provider.shared', false, 0],
    ]);
  });

  it('two relays running batches concurrently never publish a row twice, and keep per-aggregate order', async () => {
    // More aggregates than two batches can hold, so neither relay can lock every aggregate's head at once.
    const histories = [];
    for (let i = 0; i < 16; i++) histories.push(await providerWithHistory(2));
    const ours = new Set(histories.map((h) => h.provider.id));

    const order: EventEnvelope[] = [];
    const p1 = new RecordingPublisher({ delayMs: 2, log: order });
    const p2 = new RecordingPublisher({ delayMs: 2, log: order });
    const r1 = new OutboxRelay(knex, [p1], quietLogger(), { batchSize: 5 });
    const r2 = new OutboxRelay(knex, [p2], quietLogger(), { batchSize: 5 });
    const loop = async (relay: OutboxRelay): Promise<void> => {
      const deadline = Date.now() + 20_000;
      let idle = 0;
      while (idle < 3 && Date.now() < deadline) {
        const { claimed } = await relay.runBatch();
        idle = claimed === 0 ? idle + 1 : 0;
        // Rows locked by the other relay's open batch are skipped, not waited for: look again shortly.
        if (claimed === 0) await new Promise((r) => setTimeout(r, 25));
      }
    };
    // Two batches in flight per relay as well: every runBatch is its own transaction.
    await Promise.all([loop(r1), loop(r2), loop(r1), loop(r2)]);

    const all = [...p1.published, ...p2.published].filter((e) => ours.has(e.aggregateId));
    const ids = all.map((e) => e.id);
    expect(ids).toHaveLength(32);
    expect(new Set(ids).size).toBe(32);
    // Both relays took part (SKIP LOCKED spread the work rather than serialising it).
    expect(p1.published.filter((e) => ours.has(e.aggregateId)).length).toBeGreaterThan(0);
    expect(p2.published.filter((e) => ours.has(e.aggregateId)).length).toBeGreaterThan(0);
    for (const { provider, types } of histories) {
      expect(order.filter((e) => e.aggregateId === provider.id).map((e) => e.type)).toEqual(types);
    }
    const pending = await sql<{ n: string }>(
      db,
      'select count(*)::text as n from outbox where published_at is null and aggregate_id = any(?)',
      [[...ours]],
    );
    expect(pending[0]?.n).toBe('0');
  });

  it('claims each aggregate with the events that follow its oldest one, and marks them published in one statement', async () => {
    const histories = [];
    for (let i = 0; i < 6; i++) histories.push(await providerWithHistory(2));
    const ours = new Set(histories.map((h) => h.provider.id));
    const statements: string[] = [];
    const listener = (query: { sql: string }): void => void statements.push(query.sql);
    knex.on('query', listener);
    const publisher = new RecordingPublisher();
    try {
      // One claim locks the six aggregates' oldest rows and takes their second events with them, in order.
      await new OutboxRelay(knex, [publisher], quietLogger(), { batchSize: 100 }).runBatch();
    } finally {
      knex.off('query', listener);
    }
    const mine = publisher.published.filter((e) => ours.has(e.aggregateId));
    expect(mine).toHaveLength(12);
    const marks = statements.filter((s) => /^update outbox set published_at/.test(s));
    const claims = statements.filter((s) => /^with heads/.test(s.trim()));
    // One claim and one mark for all twelve; the claim took fewer rows than asked for, so the batch ends without
    // another claim (it could only find rows committed since, which the next batch takes).
    expect(claims).toHaveLength(1);
    expect(marks).toHaveLength(1);
    for (const { provider, types } of histories)
      expect(mine.filter((e) => e.aggregateId === provider.id).map((e) => e.type)).toEqual(types);
    for (const { provider } of histories)
      expect((await stateOf(provider.id)).every((r) => r.published_at !== null && r.attempts === 1)).toBe(true);
  });

  it('start() publishes in the background and kick() publishes a fresh commit without waiting for the poll', async () => {
    const publisher = new RecordingPublisher();
    const relay = new OutboxRelay(knex, [publisher], quietLogger(), { pollIntervalMs: 60_000 });
    await relay.drain();
    relay.start();
    try {
      const { provider } = await providerWithHistory(1);
      relay.kick();
      const deadline = Date.now() + 10_000;
      while (!publisher.published.some((e) => e.aggregateId === provider.id) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      expect(publisher.published.filter((e) => e.aggregateId === provider.id)).toHaveLength(1);
    } finally {
      await relay.stop();
    }
  });
});
