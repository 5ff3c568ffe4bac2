import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedOrganization, type TestApp } from '../../support/app.js';
import { inOrderAtLeastOnce, Receiver } from './receiver.js';
import { feed, makeEvents, ownDatabase, startOn, until } from './support.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface Child {
  readonly child: ChildProcess;
  readonly output: () => string;
}

/** Starts a child process and resolves once its output matches `ready`. */
function launch(args: string[], env: Record<string, string>, ready: RegExp): Promise<Child> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start within 45 s:\n${output}`)), 45_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code ?? signal}:\n${output}`));
    });
  });
}

async function stop(c: Child | undefined, signal: NodeJS.Signals): Promise<void> {
  const child = c?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

describe('event subscriptions across forgelink restarts (separate processes, one database)', () => {
  let db: { url: string; drop(): Promise<void> };
  let t: TestApp;
  const receiver = new Receiver();
  const children: Child[] = [];
  const env = (): Record<string, string> => ({
    DATABASE_URL: db.url,
    FORGELINK_MASTER_KEY: inject('masterKey'),
    FORGE_URL_ALLOWLIST: '127.0.0.1',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  });

  beforeAll(async () => {
    db = await ownDatabase('subscription_restart');
    await receiver.start();
    // The test's own instance makes the events; its dispatcher stays off until a test hands it the stream.
    t = await startOn(db.url);
    await t.app.subscriptions.stop();
  }, 60_000);

  afterAll(async () => {
    for (const c of children) await stop(c, 'SIGKILL');
    await t?.close();
    await receiver.stop();
    await db?.drop();
  }, 30_000);

  it('two instances delivering at once: each subscription is served by one at a time — every event exactly once, in order', async () => {
    const org = await seedOrganization(t.app, 'Two instances');
    const endpoints = ['pair-a', 'pair-b', 'pair-c'];
    for (const endpoint of endpoints) {
      const res = await t.api
        .post('/v1/event-subscriptions')
        .set(org.owner.auth)
        .send({ url: receiver.endpoint(endpoint) });
      expect(res.status, res.text).toBe(201);
      receiver.secrets.set(endpoint, res.body.secret as string);
    }
    receiver.delayMs = 5;
    const pair = await Promise.all([startOn(db.url), startOn(db.url)]);
    try {
      await makeEvents(t, org.owner, 6);
      const events = (
        await until(
          'the feed to show every event',
          () => feed(t, org.member),
          (items) => items.length >= 18,
        )
      ).map((e) => e.id);
      await until(
        'every endpoint to catch up',
        () => endpoints.map((e) => receiver.accepted(e).length),
        (counts) => counts.every((n) => n >= events.length),
        30_000,
      );
      const owed = (await feed(t, org.member)).map((e) => e.id);
      for (const endpoint of endpoints) expect(receiver.accepted(endpoint), endpoint).toEqual(owed);
      expect(receiver.badSignatures).toEqual([]);
    } finally {
      receiver.delayMs = 0;
      await Promise.all(pair.map((app) => app.close()));
    }
  }, 120_000);

  it('`forgelink serve` stopped with SIGTERM mid-stream hands over at once: the next instance continues where it stopped, nothing lost or repeated', async () => {
    const org = await seedOrganization(t.app, 'Graceful');
    const res = await t.api
      .post('/v1/event-subscriptions')
      .set(org.owner.auth)
      .send({ url: receiver.endpoint('graceful') });
    expect(res.status, res.text).toBe(201);
    receiver.secrets.set('graceful', res.body.secret as string);
    await makeEvents(t, org.owner, 8);
    // The feed shows a commit once every older transaction has ended (a relay batch may still be open).
    const events = (
      await until(
        'the feed to show every event',
        () => feed(t, org.member),
        (items) => items.length >= 24,
      )
    ).map((e) => e.id);

    receiver.delayMs = 40;
    const first = await launch(['bin/forgelink.js', 'serve'], env(), /listening on/);
    children.push(first);
    await until(
      'the first instance to be mid-stream',
      () => receiver.accepted('graceful').length,
      (n) => n >= 6,
    );
    await stop(first, 'SIGTERM');
    const beforeRestart = receiver.accepted('graceful').length;
    expect(beforeRestart, 'stopped mid-stream').toBeLessThan(events.length);

    const started = Date.now();
    const second = await launch(['bin/forgelink.js', 'serve'], env(), /listening on/);
    children.push(second);
    await until(
      'the second instance to finish the stream',
      () => receiver.accepted('graceful'),
      (ids) => ids.length >= events.length,
      30_000,
    );
    // A clean stop releases the claim: no wait for a lease to expire (30 s by default).
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(receiver.accepted('graceful')).toEqual((await feed(t, org.member)).map((e) => e.id));
    expect(receiver.badSignatures).toEqual([]);
    await stop(second, 'SIGTERM');
    receiver.delayMs = 0;
  }, 120_000);

  it('an instance killed (SIGKILL) during a POST: after its lease expires another instance redelivers that event and the rest, in order', async () => {
    const org = await seedOrganization(t.app, 'Crash');
    const res = await t.api
      .post('/v1/event-subscriptions')
      .set(org.owner.auth)
      .send({ url: receiver.endpoint('crash') });
    expect(res.status, res.text).toBe(201);
    receiver.secrets.set('crash', res.body.secret as string);
    await makeEvents(t, org.owner, 5);
    // The feed shows a commit once every older transaction has ended (a relay batch may still be open).
    const events = (
      await until(
        'the feed to show every event',
        () => feed(t, org.member),
        (items) => items.length >= 15,
      )
    ).map((e) => e.id);

    // The 7th event's POST never gets an answer: the instance is killed while it waits.
    const seventh = events[6]!;
    let hung = false;
    receiver.answer = (endpoint, id) => {
      if (endpoint === 'crash' && id === seventh && !hung) {
        hung = true;
        return 'hang';
      }
      return 204;
    };
    const doomed = await launch(['--import', 'tsx', 'test/e2e/subscriptions/instance.ts'], env(), /ready/);
    children.push(doomed);
    await until(
      'the POST of the 7th event',
      () => hung,
      (h) => h,
    );
    await stop(doomed, 'SIGKILL');
    expect(receiver.accepted('crash')).toEqual(events.slice(0, 6));
    // The dead instance's claim is still there: nobody may deliver this subscription before it expires.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ lease_expires_at: Date | null }>(
      'select lease_expires_at from event_subscription where id = $1',
      [res.body.id],
    );
    await client.end();
    const leaseExpiresAt = rows[0]?.lease_expires_at;
    expect(leaseExpiresAt, 'a lease left behind by the crash').toBeInstanceOf(Date);

    t.app.subscriptions.start();
    await until(
      'the takeover to finish the stream',
      () => receiver.accepted('crash'),
      (ids) => ids.length >= events.length,
      30_000,
    );
    const owed = (await feed(t, org.member)).map((e) => e.id);
    expect(inOrderAtLeastOnce(receiver.accepted('crash'), owed)).toEqual({ ok: true });
    expect(receiver.accepted('crash')).toEqual(owed);
    // Nobody took over while the dead instance's lease (2.5 s in FAST) still held.
    const redelivered = receiver.attempts('crash').findLast((r) => r.id === seventh)!;
    expect(redelivered.answer).toBe(204);
    // PostgreSQL's clock and this process's are the same machine's; 50 ms covers timestamp rounding.
    expect(redelivered.at).toBeGreaterThanOrEqual(leaseExpiresAt!.getTime() - 50);
    expect(receiver.badSignatures).toEqual([]);
  }, 120_000);
});
