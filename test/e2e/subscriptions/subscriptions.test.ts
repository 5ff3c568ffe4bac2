import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { seedOrganization, type TestApp } from '../../support/app.js';
import { expectProblem } from '../core/support.js';
import { EVENT_TYPES } from '../../../src/modules/event-subscriptions/domain/event-subscription.js';
import { inOrderAtLeastOnce, Receiver } from './receiver.js';
import { feed, type FeedEvent, makeEvents, ownDatabase, startOn, until } from './support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;
interface Created {
  id: string;
  url: string;
  types: string[];
  secret: string;
  createdAt: string;
  description: string | null;
}
interface Listed {
  id: string;
  url: string;
  types: string[];
  description: string | null;
  createdAt: string;
  lastDeliveryAt?: string;
  lastStatus?: number;
  lastError?: string;
  failing: boolean;
}

describe('event subscriptions: signed HTTP delivery from the outbox (real app, real PostgreSQL, receiver on 127.0.0.1)', () => {
  let db: { url: string; drop(): Promise<void> };
  let t: TestApp;
  let acme: Org;
  let globex: Org;
  const receiver = new Receiver();
  const apps: TestApp[] = [];

  const subscribe = async (org: Org, endpoint: string, extra: Record<string, unknown> = {}, app: TestApp = t): Promise<Created> => {
    const res = await app.api
      .post('/v1/event-subscriptions')
      .set(org.owner.auth)
      .send({ url: receiver.endpoint(endpoint), ...extra });
    expect(res.status, res.text).toBe(201);
    receiver.secrets.set(endpoint, (res.body as Created).secret);
    return res.body as Created;
  };
  const list = async (org: Org, app: TestApp = t): Promise<Listed[]> => {
    const res = await app.api.get('/v1/event-subscriptions').set(org.admin.auth);
    expect(res.status, res.text).toBe(200);
    return (res.body as { items: Listed[] }).items;
  };
  /**
   * Waits until every endpoint has acknowledged at least what its organisation's feed (filtered) holds, and at
   * least `min` events; returns the feeds' ids as read at that point (the order the endpoints must follow).
   */
  const caughtUp = async (wanted: Array<[Org, string, (e: FeedEvent) => boolean, number]>): Promise<string[][]> => {
    const read = async (): Promise<{ expected: string[][]; got: number[] }> => ({
      expected: await Promise.all(wanted.map(async ([org, , keep]) => (await feed(t, org.member)).filter(keep).map((e) => e.id))),
      got: wanted.map(([, endpoint]) => receiver.accepted(endpoint).length),
    });
    const done = await until('every endpoint to catch up', read, ({ expected, got }) =>
      expected.every((ids, i) => ids.length >= wanted[i]![3] && got[i]! >= ids.length),
    );
    return done.expected;
  };
  const rowCount = async (): Promise<number> => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return Number((await client.query<{ n: string }>('select count(*) as n from event_subscription')).rows[0]?.n);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    db = await ownDatabase('subscriptions');
    await receiver.start();
    t = await startOn(db.url);
    apps.push(t);
    acme = await seedOrganization(t.app, 'Subscriber');
    globex = await seedOrganization(t.app, 'Other subscriber');
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await receiver.stop();
    await db?.drop();
  });

  describe('the API', () => {
    it('creates a subscription: 201 with a whsec_ secret shown once, every type by default', async () => {
      const before = new Date();
      const res = await t.api
        .post('/v1/event-subscriptions')
        .set(acme.owner.auth)
        .send({ url: receiver.endpoint('api-shape'), description: 'staging deployer' });
      expect(res.status, res.text).toBe(201);
      const body = res.body as Created;
      expect(Object.keys(body).sort()).toEqual(['createdAt', 'description', 'id', 'secret', 'types', 'url']);
      expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
      expect(body.url).toBe(receiver.endpoint('api-shape'));
      expect(body.types).toEqual([...EVENT_TYPES]);
      expect(body.description).toBe('staging deployer');
      expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
      expect(Buffer.from(body.secret.slice(6), 'base64')).toHaveLength(32);
      expect(Date.parse(body.createdAt)).toBeGreaterThanOrEqual(before.getTime() - 1_000);

      const listed = (await list(acme)).find((s) => s.id === body.id);
      expect(listed).toEqual({
        id: body.id,
        url: body.url,
        types: [...EVENT_TYPES],
        description: 'staging deployer',
        createdAt: body.createdAt,
        failing: false,
      });
      expect(JSON.stringify(await list(acme))).not.toContain(body.secret.slice(6));
      expect(t.logs()).not.toContain(body.secret.slice(6));
      const deleted = await t.api.delete(`/v1/event-subscriptions/${body.id}`).set(acme.admin.auth);
      expect(deleted.status, deleted.text).toBe(204);
      expect((await list(acme)).some((s) => s.id === body.id)).toBe(false);
    });

    it('keeps only the named types, deduplicated, in the contract’s order', async () => {
      const res = await t.api
        .post('/v1/event-subscriptions')
        .set(acme.admin.auth)
        .send({ url: receiver.endpoint('api-types'), types: ['git-provider.removed', 'deployment.requested', 'git-provider.removed'] });
      expect(res.status, res.text).toBe(201);
      expect(res.body.types).toEqual(['deployment.requested', 'git-provider.removed']);
      expect((await t.api.delete(`/v1/event-subscriptions/${res.body.id as string}`).set(acme.owner.auth)).status).toBe(204);
    });

    it('refuses members (403) on every route, before validating, with nothing stored or removed', async () => {
      const kept = await subscribe(acme, 'api-kept');
      const rows = await rowCount();
      expectProblem(
        await t.api
          .post('/v1/event-subscriptions')
          .set(acme.member.auth)
          .send({ url: receiver.endpoint('member') }),
        403,
        'UNAUTHORIZED',
      );
      expectProblem(await t.api.post('/v1/event-subscriptions').set(acme.member.auth).send({ url: 'not a url' }), 403, 'UNAUTHORIZED');
      expectProblem(await t.api.get('/v1/event-subscriptions').set(acme.member.auth), 403, 'UNAUTHORIZED');
      expectProblem(await t.api.delete(`/v1/event-subscriptions/${kept.id}`).set(acme.member.auth), 403, 'UNAUTHORIZED');
      expectProblem(await t.api.get('/v1/event-subscriptions'), 401, 'UNAUTHENTICATED');
      expect(await rowCount()).toBe(rows);
      expect((await list(acme)).some((s) => s.id === kept.id)).toBe(true);
    });

    it('answers another organisation’s id 404 and lists only the caller’s subscriptions', async () => {
      const mine = await subscribe(acme, 'api-isolated');
      expect((await list(globex)).some((s) => s.id === mine.id)).toBe(false);
      expectProblem(await t.api.delete(`/v1/event-subscriptions/${mine.id}`).set(globex.owner.auth), 404, 'NOT_FOUND');
      expect((await list(acme)).some((s) => s.id === mine.id)).toBe(true);
      expect((await t.api.delete(`/v1/event-subscriptions/${mine.id}`).set(acme.owner.auth)).status).toBe(204);
      expectProblem(await t.api.delete(`/v1/event-subscriptions/${mine.id}`).set(acme.owner.auth), 404, 'NOT_FOUND');
      expectProblem(await t.api.delete('/v1/event-subscriptions/not-a-uuid').set(acme.owner.auth), 400, 'VALIDATION_FAILED');
    });

    it('validates the body: 400 VALIDATION_FAILED naming the field, nothing stored', async () => {
      const rows = await rowCount();
      const bad = async (body: unknown, path: string): Promise<void> => {
        const res = await t.api
          .post('/v1/event-subscriptions')
          .set(acme.owner.auth)
          .send(body as object);
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect((res.body as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(path);
      };
      await bad({}, 'body.url');
      await bad({ url: 'ftp://127.0.0.1/x' }, 'body.url');
      await bad({ url: receiver.endpoint('x'), types: ['deployment.requested', 'deployment.exploded'] }, 'body.types.1');
      await bad({ url: receiver.endpoint('x'), types: [] }, 'body.types');
      await bad({ url: receiver.endpoint('x'), secret: 'whsec_mine' }, 'body');
      await bad({ url: receiver.endpoint('x'), description: 'x'.repeat(501) }, 'body.description');
      expect(await rowCount()).toBe(rows);
    });

    it('refuses a URL the SSRF guard refuses at creation: 400, nothing stored', async () => {
      const strict = await startOn(db.url, { forgeUrlAllowlist: [] });
      apps.push(strict);
      await strict.app.subscriptions.stop();
      const rows = await rowCount();
      for (const url of [
        receiver.endpoint('ssrf'),
        'https://127.0.0.1/hooks',
        'https://localhost/hooks',
        'https://10.1.2.3/hooks',
        'http://example.com/hooks',
        'https://user:pw@example.com/hooks',
      ]) {
        const res = await strict.api.post('/v1/event-subscriptions').set(acme.owner.auth).send({ url });
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect((res.body as { errors: { path: string }[] }).errors[0]?.path, url).toBe('body.url');
      }
      expect(await rowCount()).toBe(rows);
    });
  });

  describe('delivery', () => {
    it('delivers each organisation’s events, filtered by type, signed (verified with the standardwebhooks library), in commit order', async () => {
      const all = await subscribe(acme, 'acme-all');
      await subscribe(acme, 'acme-shared', { types: ['git-provider.shared'] });
      await subscribe(globex, 'globex-all');
      await makeEvents(t, acme.owner, 3);
      await makeEvents(t, globex.owner, 1);

      // The organisations had no events before: each endpoint owes exactly its organisation's feed (type-filtered).
      const [acmeEvents, shared, globexEvents] = await caughtUp([
        [acme, 'acme-all', () => true, 9],
        [acme, 'acme-shared', (e) => e.type === 'git-provider.shared', 3],
        [globex, 'globex-all', () => true, 3],
      ]);
      expect(receiver.accepted('acme-all')).toEqual(acmeEvents);
      expect(receiver.accepted('acme-shared')).toEqual(shared);
      expect(receiver.accepted('globex-all')).toEqual(globexEvents);
      expect(receiver.attempts('globex-all').every((r) => r.organizationId === globex.organizationId)).toBe(true);
      expect(receiver.attempts('acme-all').every((r) => r.organizationId === acme.organizationId)).toBe(true);
      expect(receiver.attempts('acme-shared').every((r) => r.type === 'git-provider.shared')).toBe(true);
      expect(receiver.badSignatures).toEqual([]);
      const headers = receiver.rawHeaders.at(-1)!;
      expect(headers['content-type']).toBe('application/json');
      expect(String(headers['webhook-signature'])).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);

      const state = (await list(acme)).find((s) => s.id === all.id)!;
      expect(state).toMatchObject({ failing: false, lastStatus: 204 });
      expect(Date.parse(state.lastDeliveryAt!)).toBeGreaterThan(Date.parse(all.createdAt) - 1_000);
    });

    it('retries a failing endpoint with backoff, shows it failing, and delivers everything in order after recovery — without holding back other subscriptions or the bus', async () => {
      const initech = await seedOrganization(t.app, 'Flaky');
      await subscribe(initech, 'flaky');
      await subscribe(initech, 'steady');
      const onBus: string[] = [];
      // Every instance on this database runs a relay; whichever claims an event publishes it to its own bus.
      const offs = apps.map((app) => app.app.bus.subscribe('*', (e) => void onBus.push(e.id)));
      const off = (): void => offs.forEach((o) => o());
      let failing = true;
      const failures: Array<{ at: number }> = [];
      receiver.answer = (endpoint) => {
        if (endpoint !== 'flaky' || !failing) return 204;
        failures.push({ at: Date.now() });
        return failures.length % 2 ? 503 : 'hang';
      };
      try {
        await makeEvents(t, initech.owner, 3);

        // The healthy subscription and the in-process bus get everything while the flaky one keeps failing.
        const events = (await caughtUp([[initech, 'steady', () => true, 9]]))[0]!;
        expect(receiver.accepted('steady')).toEqual(events);
        await until(
          'the bus',
          () => onBus,
          (ids) => events.every((id) => ids.includes(id)),
        );
        await until(
          'five failed attempts',
          () => failures.length,
          (n) => n >= 5,
        );
        const flaky = (await list(initech)).find((s) => s.url.endsWith('/flaky'))!;
        expect(flaky.failing).toBe(true);
        expect(flaky.lastDeliveryAt).toBeDefined();
        expect(
          flaky.lastStatus === 503 || (flaky.lastStatus === undefined && /no answer within/.test(flaky.lastError ?? '')),
          JSON.stringify(flaky),
        ).toBe(true);
        expect(receiver.accepted('flaky')).toEqual([]);
        // Exponential backoff: the gaps between attempts grow (50, 100, 200 ms … plus the 1 s timeout of each hang).
        const gaps = failures.slice(1).map((f, i) => f.at - failures[i]!.at);
        expect(gaps[2]!).toBeGreaterThanOrEqual(150);

        failing = false;
        receiver.releaseHeld();
        const [owed] = await caughtUp([[initech, 'flaky', () => true, events.length]]);
        expect(inOrderAtLeastOnce(receiver.accepted('flaky'), owed!)).toEqual({ ok: true });
        expect(receiver.accepted('flaky')[0]).toBe(events[0]);
        await until(
          'the failure state to clear',
          () => list(initech),
          (items) => items.some((s) => s.url.endsWith('/flaky') && !s.failing && s.lastStatus === 204),
        );
        expect(receiver.badSignatures).toEqual([]);
      } finally {
        off();
        receiver.answer = () => 204;
      }
    });

    it('checks the SSRF guard before every POST: a subscription whose host left FORGE_URL_ALLOWLIST gets nothing', async () => {
      await subscribe(acme, 'allowlist-changed');
      // Every instance restarts without 127.0.0.1 in the allowlist.
      await t.app.subscriptions.stop();
      const strict = await startOn(db.url, { forgeUrlAllowlist: [] });
      apps.push(strict);
      try {
        await makeEvents(t, acme.owner, 1);
        const state = await until(
          'the refusal to be recorded',
          () => list(acme),
          (items) => items.some((s) => s.url.endsWith('/allowlist-changed') && s.failing),
        );
        const refused = state.find((s) => s.url.endsWith('/allowlist-changed'))!;
        expect(refused.lastError).toMatch(/SSRF guard: url .*FORGE_URL_ALLOWLIST/);
        expect(refused.lastStatus).toBeUndefined();
        expect(receiver.attempts('allowlist-changed')).toEqual([]);
      } finally {
        await strict.app.subscriptions.stop();
        t.app.subscriptions.start();
      }
      // Allowed again: the backlog arrives.
      await until(
        'delivery once allowed again',
        () => receiver.accepted('allowlist-changed'),
        (ids) => ids.length >= 3,
      );
    });

    it('stores the secret encrypted: neither the secret nor its key bytes appear in the database or the logs', async () => {
      const created = await subscribe(acme, 'at-rest');
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ row: string }>('select row_to_json(s)::text as row from event_subscription s where id = $1', [
          created.id,
        ]);
        expect(rows).toHaveLength(1);
        const text = rows[0]!.row;
        expect(text).not.toContain(created.secret.slice(6));
        expect(text).not.toContain(Buffer.from(created.secret.slice(6), 'base64').toString('hex'));
        expect(text).toMatch(/"secret":"v1\.[0-9a-f]{8}\./);
      } finally {
        await client.end();
      }
      for (const app of apps) expect(app.logs()).not.toContain(created.secret.slice(6));
    });
  });
});
