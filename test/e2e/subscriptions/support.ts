import { inject, expect } from 'vitest';
import { SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { type Config } from '../../../src/config.js';
import { type DispatcherOptions } from '../../../src/modules/event-subscriptions/infrastructure/subscription-dispatcher.js';
import { startTestApp, type TestApp, type TestMember } from '../../support/app.js';
import { createScratchDatabase, openPersistence } from '../../integration/persistence/database.js';
import { githubBody } from '../core/support.js';
import { FAST } from './options.js';

export { FAST };

/**
 * A migrated database of its own: the run's shared database has other files' app instances, whose
 * dispatchers would deliver (or refuse) this file's subscriptions too and blur what each test controls.
 */
export async function ownDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const scratch = await createScratchDatabase(inject('adminDatabaseUrl'), label);
  const persistence = await openPersistence(scratch.url, new SecretCipher(inject('masterKey')), { migrate: true });
  await persistence.close();
  return scratch;
}

export function startOn(databaseUrl: string, overrides: Partial<Config> = {}, subscriptions: DispatcherOptions = FAST): Promise<TestApp> {
  return startTestApp({ databaseUrl, ...overrides }, { subscriptions });
}

/**
 * Real state changes through the API, interleaving aggregates: `providers` GitHub providers created, then each
 * updated and shared. Returns nothing: the expected order is read back from GET /v1/events.
 */
export async function makeEvents(t: TestApp, owner: TestMember, providers: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < providers; i++) {
    const res = await t.api.post('/v1/git-providers/github').set(owner.auth).send(githubBody());
    expect(res.status, res.text).toBe(201);
    ids.push(res.body.id as string);
  }
  for (const id of ids) {
    const updated = await t.api.patch(`/v1/git-providers/${id}/github`).set(owner.auth).send({ appId: 4242 });
    expect(updated.status, updated.text).toBeLessThan(300);
    const shared = await t.api.put(`/v1/git-providers/${id}/sharing`).set(owner.auth).send({ sharedWithOrganization: true });
    expect(shared.status, shared.text).toBeLessThan(300);
  }
  return ids;
}

export interface FeedEvent {
  id: string;
  type: string;
  aggregateId: string;
  organizationId: string;
}

/** The organisation's events in commit order, as GET /v1/events pages them (the order subscriptions must follow). */
export async function feed(t: TestApp, member: TestMember, after?: string): Promise<FeedEvent[]> {
  const all: FeedEvent[] = [];
  let cursor = after;
  for (;;) {
    const res = await t.api
      .get('/v1/events')
      .query({ limit: 500, ...(cursor ? { after: cursor } : {}) })
      .set(member.auth);
    expect(res.status, res.text).toBe(200);
    const page = res.body as { items: FeedEvent[]; nextCursor: string | null };
    all.push(...page.items);
    if (page.items.length === 0) return all;
    cursor = page.nextCursor ?? undefined;
  }
}

export async function until<T>(what: string, read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 800)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
