import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { PreparedStatements } from '../../../src/platform/database/prepared-statements.js';
import { SCREEN_SQL, screenParams, SqlDeliveryStore } from '../../../src/modules/webhooks/infrastructure/sql-delivery-store.js';
import { type RepositoryHooks } from '../../../src/modules/webhooks/infrastructure/repository-hooks.js';
import { WebhookDelivery } from '../../../src/modules/webhooks/domain/webhook-delivery.js';
import { newId } from '../../../src/shared/ids.js';
import { anActor } from '../../builders/actors.js';
import { aGitHubProvider } from '../../builders/git-providers.js';
import { createOrganization, createScratchDatabase, openPersistence, sql, type Persistence } from './database.js';

/**
 * SqlDeliveryStore against PostgreSQL: the batched statements (ADR 0021) keep every guarantee of one delivery per
 * statement — dedupe by the unique indexes also inside one batch, one bad delivery failing alone, the screen telling
 * the provider's current secrets version.
 */
describe('SqlDeliveryStore: batched deliveries', () => {
  let db: Persistence;
  let statements: PreparedStatements;
  let store: SqlDeliveryStore;
  let organizationId: string;
  let providerId: string;

  beforeAll(async () => {
    db = await openPersistence(inject('databaseUrl'), new SecretCipher(inject('masterKey')));
    organizationId = await createOrganization(db);
    const provider = aGitHubProvider().createdBy(anActor('owner', organizationId)).installed().build();
    await db.uow.run(() => db.providers.save(provider));
    providerId = provider.id;
    statements = new PreparedStatements(inject('databaseUrl'));
    // GitHub deliveries are signed with the provider's own secret: repository hooks are never asked here.
    store = new SqlDeliveryStore(statements, db.uow, db.providers, {} as RepositoryHooks, () => true);
  });

  afterAll(async () => {
    await statements?.close();
    await db?.close();
  });

  const delivery = (deliveryId: string, bodySha256 = newId().replaceAll('-', '').padEnd(64, '0')): WebhookDelivery =>
    new WebhookDelivery(providerId, 'github', organizationId, deliveryId, 'push', new Date(), bodySha256);

  const rowsOf = (deliveryId: string) =>
    sql<{ outcome: string }>(db, 'select outcome from webhook_delivery where provider_id = ? and delivery_id = ? order by outcome', [
      providerId,
      deliveryId,
    ]);

  it('copies of one delivery recorded at once, in one statement: exactly one is first, the rest are duplicates', async () => {
    const query = vi.spyOn(statements, 'query');
    const same = `same-${newId()}`;
    const distinct = Array.from({ length: 10 }, (_, i) => `distinct-${i}-${newId()}`);
    const copies = Array.from({ length: 10 }, () => delivery(same));
    const others = distinct.map((id) => delivery(id));
    const firsts = await Promise.all([...copies, ...others].map((d) => store.record(d)));
    const statementsRun = query.mock.calls.length;
    query.mockRestore();

    expect(firsts.slice(0, 10).filter(Boolean)).toHaveLength(1);
    expect(firsts.slice(10)).toEqual(Array.from({ length: 10 }, () => true));
    // 20 deliveries, far fewer statements: the ones that arrived while the first was in flight went out together.
    expect(statementsRun).toBeLessThanOrEqual(3);
    expect((await rowsOf(same)).map((r) => r.outcome)).toEqual([...Array.from({ length: 9 }, () => 'duplicate'), 'ignored']);
    for (const id of distinct) expect((await rowsOf(id)).map((r) => r.outcome)).toEqual(['ignored']);
  });

  it('the same body under two delivery ids in one batch: the second is a duplicate (the replay index decides inside the statement)', async () => {
    const body = 'b'.repeat(64);
    const [a, b] = [delivery(`replay-a-${newId()}`, body), delivery(`replay-b-${newId()}`, body)];
    const query = vi.spyOn(statements, 'query');
    const firsts = await Promise.all([store.record(delivery(`warm-${newId()}`)), store.record(a), store.record(b)]);
    expect(query.mock.calls.length).toBe(2);
    query.mockRestore();
    expect(firsts).toEqual([true, true, false]);
  });

  it('one delivery the database refuses fails alone: the others of its batch are recorded', async () => {
    const good = Array.from({ length: 5 }, (_, i) => delivery(`good-${i}-${newId()}`));
    // Not an organisation id PostgreSQL can read: the batch's statement fails, then each delivery is recorded alone.
    const bad = new WebhookDelivery(providerId, 'github', 'not-a-uuid', `bad-${newId()}`, 'push', new Date(), 'c'.repeat(64));
    const answers = await Promise.allSettled([
      store.record(delivery(`warm-${newId()}`)),
      ...good.map((d) => store.record(d)),
      store.record(bad),
    ]);
    expect(answers.map((a) => a.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
    ]);
    for (const d of good) expect((await rowsOf(d.deliveryId)).map((r) => r.outcome)).toEqual(['ignored']);
    expect(await rowsOf(bad.deliveryId)).toEqual([]);
  });

  it('deliveries arriving at once for a provider not read yet share one load of its secrets', async () => {
    const cold = new SqlDeliveryStore(statements, db.uow, db.providers, {} as RepositoryHooks, () => true);
    const findById = vi.spyOn(db.providers, 'findById');
    try {
      const provider = await cold.provider(providerId);
      if (!provider) throw new Error('the provider was not found');
      const loads = await Promise.all(Array.from({ length: 20 }, () => cold.secrets(provider)));
      expect(findById).toHaveBeenCalledTimes(1);
      expect(new Set(loads.map((secrets) => secrets.length))).toEqual(new Set([1]));
      expect(cold.knownProvider(providerId)?.provider.secretsVersion).toBe(provider.secretsVersion);
    } finally {
      findById.mockRestore();
    }
  });

  it('the screen reports the provider secrets version of now: a changed webhook secret shows, a deleted provider is null', async () => {
    const before = await store.provider(providerId);
    expect(before).not.toBeNull();
    const screen = (id: string) => store.screen(id, `screen-${newId()}`, 'd'.repeat(64), []);
    expect((await screen(providerId)).secretsVersion).toBe(before?.secretsVersion);
    await sql(db, `update git_provider set secrets = secrets || 'x' where id = ?`, [providerId]);
    expect((await screen(providerId)).secretsVersion).not.toBe(before?.secretsVersion);
    expect((await screen(newId())).secretsVersion).toBeNull();
    // In one statement: each delivery gets its own provider's version, however many share a provider.
    const now = await store.provider(providerId);
    const batch = await Promise.all([screen(providerId), screen(providerId), screen(newId()), screen(providerId), screen(newId())]);
    expect(batch.map((b) => b.secretsVersion)).toEqual([now?.secretsVersion, now?.secretsVersion, null, now?.secretsVersion, null]);
  });

  it("the hot path's sessions rule out sequential scans and JIT compilation; the ORM's sessions keep the server's defaults", async () => {
    const setting = async (name: string) => (await statements.query<Record<string, string>>(undefined, `show ${name}`, []))[0]?.[name];
    expect(await setting('enable_seqscan')).toBe('off');
    expect(await setting('jit')).toBe('off');
    expect((await sql<{ enable_seqscan: string }>(db, 'show enable_seqscan'))[0]?.enable_seqscan).toBe('on');
  });

  it('the screen is planned as index lookups only, even on empty tables (a cached plan must stay right as they grow)', async () => {
    // A new installation after its first deliveries: small tables, analysed while small (autovacuum does so after
    // 50 rows). A plain session plans sequential scans there, and a cached plan would keep them as the tables grow.
    const scratch = await createScratchDatabase(inject('adminDatabaseUrl'), 'screen_plan');
    const fresh = await openPersistence(scratch.url, new SecretCipher(inject('masterKey')), { migrate: true });
    const hotPath = new PreparedStatements(scratch.url);
    const plain = new pg.Client({ connectionString: scratch.url });
    try {
      const org = await createOrganization(fresh);
      const provider = aGitHubProvider().createdBy(anActor('owner', org)).installed().build();
      await fresh.uow.run(() => fresh.providers.save(provider));
      await sql(
        fresh,
        `insert into webhook_delivery (id, provider_id, organization_id, delivery_id, event, received_at, outcome, deployments, body_sha256)
         select gen_random_uuid(), ?, ?, 'd-' || g, 'push', now(), 'ignored', 0, md5(g::text) from generate_series(1, 60) g`,
        [provider.id, org],
      );
      await sql(fresh, 'analyze');
      await plain.connect();
      const params = screenParams([
        {
          providerId,
          deliveryId: `plan-${newId()}`,
          bodySha256: 'e'.repeat(64),
          targets: [
            { repository: { id: '1', fullName: 'o/r' }, ref: { type: 'branch', name: 'main' } },
            { repository: { id: '1', fullName: 'o/r' }, ref: { type: 'tag', name: 'v1' } },
            { repository: { fullName: 'o/r' }, targetBranch: 'main' },
          ],
        },
      ]);
      const explain = `explain (format json) ${SCREEN_SQL}`;
      const [ours] = await hotPath.query<ExplainRow>(undefined, explain, params);
      const { rows: theirs } = await plain.query<ExplainRow>(explain, params);
      expect(scansOf(theirs[0]).filter((scan) => scan.startsWith('Seq Scan')).length).toBeGreaterThan(0);
      const scans = scansOf(ours);
      expect(scans.filter((scan) => scan.startsWith('Seq Scan'))).toEqual([]);
      for (const table of ['webhook_delivery', 'service_source', 'git_provider'])
        expect(scans.some((scan) => scan.includes('Index') && scan.endsWith(table))).toBe(true);
    } finally {
      await plain.end();
      await hotPath.close();
      await fresh.close();
      await scratch.drop();
    }
  });
});

type ExplainRow = { 'QUERY PLAN': { Plan: PlanNode }[] };

function scansOf(row: ExplainRow | undefined): string[] {
  const scans: string[] = [];
  const walk = (node: PlanNode): void => {
    if (node['Node Type'].includes('Scan')) scans.push(`${node['Node Type']} ${node['Relation Name'] ?? node['Function Name'] ?? ''}`);
    for (const child of node.Plans ?? []) walk(child);
  };
  const plan = row?.['QUERY PLAN'][0]?.Plan;
  if (plan) walk(plan);
  return scans;
}

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Relation Name'?: string;
  readonly 'Function Name'?: string;
  readonly Plans?: PlanNode[];
}
