import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateMasterKey, SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { Housekeeping } from '../../../src/platform/outbox/housekeeping.js';
import { createScratchDatabase, openPersistence, sql, type Persistence } from '../persistence/database.js';

const DAY = 24 * 60 * 60_000;

// A database of its own: pruning deletes by age across the whole table.
describe('Housekeeping', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Persistence;

  beforeAll(async () => {
    scratch = await createScratchDatabase(inject('adminDatabaseUrl'), 'housekeeping');
    db = await openPersistence(scratch.url, new SecretCipher(generateMasterKey()), { migrate: true });
  });
  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  const event = (publishedDaysAgo: number | null): Promise<unknown> =>
    sql(
      db,
      `insert into outbox (id, type, organization_id, aggregate_id, occurred_at, data, published_at) values (?, 'git-provider.created', ?, 'agg', now(), '{}', ?)`,
      [randomUUID(), randomUUID(), publishedDaysAgo === null ? null : new Date(Date.now() - publishedDaysAgo * DAY)],
    );
  const delivery = (daysAgo: number): Promise<unknown> =>
    sql(
      db,
      `insert into webhook_delivery (id, provider_id, organization_id, delivery_id, received_at, outcome, deployments) values (?, ?, ?, ?, ?, 'ignored', 0)`,
      [randomUUID(), randomUUID(), randomUUID(), randomUUID(), new Date(Date.now() - daysAgo * DAY)],
    );

  it('deletes published events and deliveries older than the retention, never an unpublished event', async () => {
    await event(40);
    await event(10);
    await event(null);
    await sql(db, `update outbox set occurred_at = now() - interval '100 days' where published_at is null`);
    await delivery(45);
    await delivery(1);
    await sql(
      db,
      `insert into consumed_state (nonce, expires_at) values ('old', now() - interval '1 hour'), ('fresh', now() + interval '5 minutes')`,
    );

    const result = await new Housekeeping(db.orm.em.getKnex(), 30, { info: () => undefined, warn: () => undefined }).prune();
    expect(result).toEqual({ events: 1, deliveries: 1, states: 1, commitStatuses: 0 });
    const [counts] = await sql<{ published: string; unpublished: string; deliveries: string; states: string }>(
      db,
      `select (select count(*) from outbox where published_at is not null)::text as published,
              (select count(*) from outbox where published_at is null)::text as unpublished,
              (select count(*) from webhook_delivery)::text as deliveries,
              (select count(*) from consumed_state)::text as states`,
    );
    expect(counts).toEqual({ published: '1', unpublished: '1', deliveries: '1', states: '1' });
  });

  it('deletes settled commit statuses older than the retention; keeps pending ones whatever their age, and recent ones', async () => {
    const organizationId = randomUUID();
    const status = async (label: string, outcome: string, daysAgo: number): Promise<void> => {
      await sql(
        db,
        `insert into commit_status (id, organization_id, provider_id, service_type, service_id, repository, commit_sha, state,
                                    created_at, outcome, posted_at)
         values (?, ?, ?, 'application', ?, 'acme/web', ?, 'done', ?, ?, ?)`,
        [
          randomUUID(),
          organizationId,
          randomUUID(),
          label,
          'a'.repeat(40),
          new Date(Date.now() - daysAgo * DAY),
          outcome,
          outcome === 'posted' ? new Date(Date.now() - daysAgo * DAY) : null,
        ],
      );
    };
    await status('old-posted', 'posted', 40);
    await status('old-failed', 'failed', 31);
    await status('old-forbidden', 'forbidden', 45);
    await status('old-superseded', 'superseded', 60);
    await status('old-pending', 'pending', 100);
    await status('recent-posted', 'posted', 29);
    await status('recent-failed', 'failed', 1);
    await status('recent-pending', 'pending', 0);

    const result = await new Housekeeping(db.orm.em.getKnex(), 30, { info: () => undefined, warn: () => undefined }).prune();
    expect(result.commitStatuses).toBe(4);
    const left = await sql<{ service_id: string }>(
      db,
      'select service_id from commit_status where organization_id = ? order by service_id',
      [organizationId],
    );
    expect(left.map((r) => r.service_id)).toEqual(['old-pending', 'recent-failed', 'recent-pending', 'recent-posted']);
  });

  it('keeps an old published event that an event subscription of its organisation has not received yet', async () => {
    const [org] = await sql<{ id: string }>(
      db,
      `insert into organization (id, name, created_at) values (gen_random_uuid(), 'Subscribed', now()) returning id`,
    );
    const organizationId = org!.id;
    const insert = async (label: string): Promise<void> => {
      await sql(
        db,
        `insert into outbox (id, type, organization_id, aggregate_id, occurred_at, data, published_at) values (?, 'git-provider.created', ?, ?, now(), '{}', now() - interval '40 days')`,
        [randomUUID(), organizationId, label],
      );
    };
    await insert('delivered');
    // The subscription's cursor stands right after the first event: the second is still owed to it.
    await sql(
      db,
      `insert into event_subscription (id, organization_id, url, secret, created_by, created_at, cursor_txid, cursor_position)
       select gen_random_uuid(), ?, 'https://deployer.example/hooks', 'v1.x', 'owner', now(), txid, position from outbox where aggregate_id = 'delivered'`,
      [organizationId],
    );
    await insert('owed');

    await new Housekeeping(db.orm.em.getKnex(), 30, { info: () => undefined, warn: () => undefined }).prune();
    const left = await sql<{ aggregate_id: string }>(db, 'select aggregate_id from outbox where organization_id = ? order by position', [
      organizationId,
    ]);
    expect(left.map((r) => r.aggregate_id)).toEqual(['owed']);
  });

  it('a retention of 0 keeps everything: start() never prunes', async () => {
    const calls: string[] = [];
    const knex = { raw: async (text: string) => (calls.push(text), { rowCount: 0 }) } as unknown as ConstructorParameters<
      typeof Housekeeping
    >[0];
    const quiet = { info: () => undefined, warn: () => undefined };
    const keeper = new Housekeeping(knex, 0, quiet, 10);
    keeper.start();
    const pruner = new Housekeeping(knex, 30, quiet, 10);
    await new Promise((r) => setTimeout(r, 60));
    expect(calls).toEqual([]);
    pruner.start();
    await new Promise((r) => setTimeout(r, 60));
    keeper.stop();
    pruner.stop();
    expect(calls.some((c) => c.startsWith('delete from outbox'))).toBe(true);
  });
});
