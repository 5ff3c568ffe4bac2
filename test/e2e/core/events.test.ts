import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { type Envelope, expectProblem, feedUntil, giteaBody, githubBody } from './support.js';

type Org = Awaited<ReturnType<typeof seedOrganization>>;
type Page = { items: Envelope[]; nextCursor: string | null };

describe('GET /v1/events (real app, real PostgreSQL)', () => {
  let t: TestApp;
  let org: Org;
  let github: string;
  let gitea: string;
  let all: Envelope[];

  const page = async (query: Record<string, string | number>): Promise<Page> => {
    const res = await t.api.get('/v1/events').query(query).set(org.member.auth);
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
    return res.body as Page;
  };

  beforeAll(async () => {
    t = await startTestApp();
    org = await seedOrganization(t.app, 'Events');
    const steps: [string, () => Promise<{ status: number; text: string }>][] = [
      [
        'create github',
        async () => {
          const res = await t.api.post('/v1/git-providers/github').set(org.owner.auth).send(githubBody());
          github = res.body.id as string;
          return res;
        },
      ],
      [
        'create gitea',
        async () => {
          const res = await t.api.post('/v1/git-providers/gitea').set(org.admin.auth).send(giteaBody());
          gitea = res.body.id as string;
          return res;
        },
      ],
      ['update', () => t.api.patch(`/v1/git-providers/${github}/github`).set(org.owner.auth).send({ appId: 42 })],
      ['share', () => t.api.put(`/v1/git-providers/${github}/sharing`).set(org.owner.auth).send({ sharedWithOrganization: true })],
      ['unshare', () => t.api.put(`/v1/git-providers/${github}/sharing`).set(org.owner.auth).send({ sharedWithOrganization: false })],
      ['remove', () => t.api.delete(`/v1/git-providers/${gitea}`).set(org.owner.auth)],
    ];
    for (const [label, step] of steps) {
      const res = await step();
      expect(res.status, `${label}: ${res.text}`).toBeLessThan(300);
    }
    all = await feedUntil(t, org.member.auth, (events) => events.some((e) => e.type === 'git-provider.removed'));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists the organisation’s events in commit order, as envelopes', () => {
    expect(all.map((e) => [e.type, e.aggregateId])).toEqual([
      ['git-provider.created', github],
      ['git-provider.created', gitea],
      ['git-provider.updated', github],
      ['git-provider.shared', github],
      ['git-provider.unshared', github],
      ['git-provider.removed', gitea],
    ]);
    for (const e of all) {
      expect(e).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: e.type,
        occurredAt: expect.stringMatching(/Z$/),
        organizationId: org.organizationId,
        aggregateId: e.aggregateId,
        data: { providerId: e.aggregateId, providerType: e.aggregateId === github ? 'github' : 'gitea' },
      });
    }
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    const times = all.map((e) => Date.parse(e.occurredAt));
    expect([...times].sort((x, y) => x - y)).toEqual(times);
  });

  it('pages with after + limit: every event exactly once, then an empty page that keeps the cursor', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 10; i++) {
      const p = await page({ limit: 2, ...(after ? { after } : {}) });
      expect(p.items.length).toBeLessThanOrEqual(2);
      if (p.items.length === 0) {
        expect(p.nextCursor).toBe(after);
        break;
      }
      expect(p.nextCursor).toMatch(/^\d+\.\d+$/);
      expect(p.nextCursor).not.toBe(after);
      seen.push(...p.items.map((e) => e.id));
      after = p.nextCursor ?? undefined;
    }
    expect(seen).toEqual(all.map((e) => e.id));
    // Polling again with the last cursor when nothing is new.
    expect(await page({ after: after ?? '' })).toEqual({ items: [], nextCursor: after });
    expect(await page({ after: after ?? '', limit: 500 })).toEqual({ items: [], nextCursor: after });

    // A new event shows up after that cursor, alone.
    expect((await t.api.put(`/v1/git-providers/${github}/sharing`).set(org.owner.auth).send({ sharedWithOrganization: true })).status).toBe(
      200,
    );
    const deadline = Date.now() + 15_000;
    let next = await page({ after: after ?? '' });
    while (next.items.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      next = await page({ after: after ?? '' });
    }
    expect(next.items.map((e) => [e.type, e.aggregateId])).toEqual([['git-provider.shared', github]]);
    expect(next.nextCursor).not.toBe(after);
  });

  it('the first page without a cursor starts at the beginning; ?type= filters', async () => {
    const first = await page({ limit: 1 });
    expect(first.items.map((e) => e.id)).toEqual([all[0]?.id]);
    // An empty `after=` (a poller that had no cursor yet) also starts at the beginning.
    expect((await page({ limit: 1, after: '' })).items.map((e) => e.id)).toEqual([all[0]?.id]);
    const created = await page({ type: 'git-provider.created' });
    expect(created.items.map((e) => e.aggregateId)).toEqual([github, gitea]);
    const removed = await page({ type: 'git-provider.removed' });
    expect(removed.items.map((e) => e.aggregateId)).toEqual([gitea]);
    expect(removed.nextCursor).toMatch(/^\d+\.\d+$/);
    // Continuing a filtered feed from its cursor finds nothing more of that type.
    expect(await page({ type: 'git-provider.removed', after: removed.nextCursor ?? '' })).toEqual({
      items: [],
      nextCursor: removed.nextCursor,
    });
    expect((await page({ type: 'deployment.requested' })).items).toEqual([]);
  });

  it('bad limit, after or type → 400 VALIDATION_FAILED', async () => {
    for (const query of [
      { limit: 0 },
      { limit: 501 },
      { limit: 'ten' },
      { limit: 1.5 },
      { after: 'abc' },
      { after: '12' },
      { after: '1.2.3' },
      { type: 'DROP TABLE' },
    ]) {
      const res = await t.api.get('/v1/events').query(query).set(org.member.auth);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect((res.body.errors as { path: string }[])[0]?.path).toMatch(/^query\./);
    }
    expectProblem(await t.api.get('/v1/events'), 401, 'UNAUTHENTICATED');
  });
});
