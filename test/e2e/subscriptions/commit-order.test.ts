import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, type TestApp } from '../../support/app.js';
import { Receiver } from './receiver.js';
import { feed, ownDatabase, startOn, until } from './support.js';

/**
 * Commit order is (txid, position), two numbers. Every database's transaction ids cross 9 999, 99 999, … early in its
 * life, and one transaction's events take consecutive positions (9, 10, …): the feed and the subscriptions must
 * order numerically there, not as the text they return the cursor parts in ('10000' < '9999', '10' < '9'), or a
 * page skips or repeats events and a subscription delivers out of order and twice.
 */
describe('commit order across a power of ten (GET /v1/events and event subscriptions)', () => {
  let db: Awaited<ReturnType<typeof ownDatabase>>;
  let t: TestApp;
  const receiver = new Receiver();
  let client: pg.Client;

  beforeAll(async () => {
    db = await ownDatabase('commit_order');
    await receiver.start();
    t = await startOn(db.url);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await t?.close();
    await receiver.stop();
    await db?.drop();
  });

  it('pages and delivers events of transactions B−1 (positions 1…10), B and B+1 in that order, each once', async () => {
    const org = await seedOrganization(t.app, 'Digits');
    const res = await t.api
      .post('/v1/event-subscriptions')
      .set(org.owner.auth)
      .send({ url: receiver.endpoint('digits') });
    expect(res.status, res.text).toBe(201);
    receiver.secrets.set('digits', res.body.secret as string);

    // B: the largest power of ten whose neighbours are all committed (below the oldest running transaction).
    const xmin = BigInt((await client.query<{ x: string }>('select pg_snapshot_xmin(pg_current_snapshot())::text as x')).rows[0]!.x);
    let boundary = 10n ** BigInt(xmin.toString().length - 1);
    if (boundary + 1n >= xmin) boundary /= 10n;
    const txids = [...Array<bigint>(10).fill(boundary - 1n), boundary, boundary + 1n];
    const ids: string[] = [];
    // Rows as those transactions would have written them (published already: only the feed and the subscription read them).
    for (const txid of txids) {
      const id = randomUUID();
      ids.push(id);
      await client.query(
        `insert into outbox (id, txid, type, organization_id, aggregate_id, occurred_at, data, published_at)
         values ($1, $2::text::xid8, 'git-provider.updated', $3, 'digits-aggregate', now(), '{}'::jsonb, now())`,
        [id, txid.toString(), org.organizationId],
      );
    }
    // The subscription existed before those transactions: its cursor sits just before them.
    await client.query('update event_subscription set cursor_txid = $1::text::xid8, cursor_position = 0 where id = $2', [
      (boundary - 2n).toString(),
      res.body.id,
    ]);
    const positions = (await client.query<{ p: string }>('select position::text as p from outbox order by position')).rows.map((r) => r.p);
    expect(positions.slice(0, 10)).toContain('10');

    // One page, and small pages following nextCursor: the same order, every event once.
    expect((await feed(t, org.member)).map((e) => e.id)).toEqual(ids);
    const paged: string[] = [];
    let after = '';
    for (let i = 0; i < 10; i++) {
      const page = await t.api.get('/v1/events').query({ limit: 3, after }).set(org.member.auth);
      expect(page.status, page.text).toBe(200);
      const items = (page.body as { items: { id: string }[] }).items;
      if (items.length === 0) break;
      paged.push(...items.map((e) => e.id));
      after = (page.body as { nextCursor: string }).nextCursor;
    }
    expect(paged).toEqual(ids);
    expect(after).toBe(`${boundary + 1n}.${positions[11]}`);

    await until(
      'the subscription to deliver every event',
      () => receiver.accepted('digits'),
      (got) => got.length >= ids.length,
    );
    // Nothing more is owed: a repeat would come within a few polls.
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.accepted('digits')).toEqual(ids);
    expect(receiver.badSignatures).toEqual([]);
  });
});
