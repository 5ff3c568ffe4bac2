import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { MikroOrmServiceSourceRepository } from '../../../src/modules/service-sources/infrastructure/persistence/mikro-orm-service-source.repository.js';
import { type FailureError } from '../../../src/shared/failure.js';
import { anActor } from '../../builders/actors.js';
import { aGitHubProvider, aGitLabProvider } from '../../builders/git-providers.js';
import { anApplicationSource } from '../../builders/service-sources.js';
import { createOrganization, openPersistence, sql, type Persistence } from '../persistence/database.js';

interface OutboxRow {
  id: string;
  type: string;
  organization_id: string;
  aggregate_id: string;
  occurred_at: string;
  data: Record<string, unknown>;
  txid: string;
  published_at: Date | null;
  attempts: number;
}

describe('outbox rows commit with the state they describe', () => {
  let db: Persistence;
  let sources: MikroOrmServiceSourceRepository;
  let organizationId: string;

  beforeAll(async () => {
    db = await openPersistence(inject('databaseUrl'), new SecretCipher(inject('masterKey')));
    sources = new MikroOrmServiceSourceRepository(db.uow);
    organizationId = await createOrganization(db);
  });

  afterAll(async () => {
    await db?.close();
  });

  const outboxOf = (aggregateId: string): Promise<OutboxRow[]> =>
    sql<OutboxRow>(
      db,
      'select id, type, organization_id, aggregate_id, occurred_at, data, txid::text as txid, published_at, attempts from outbox where aggregate_id = ? order by position',
      [aggregateId],
    );
  const providerRows = async (id: string): Promise<number> => (await sql(db, 'select 1 from git_provider where id = ?', [id])).length;

  it('a unit of work that saves and then throws leaves neither the row nor its outbox rows', async () => {
    const provider = aGitHubProvider().createdBy(anActor('owner', organizationId)).build();
    const owner = { ...anActor('owner', organizationId), userId: provider.createdBy };
    expect(provider.changeSharing(owner, true).ok).toBe(true);
    expect(provider.peekDomainEvents().map((e) => e.type)).toEqual(['git-provider.shared']);

    await expect(
      db.uow.run(async () => {
        await db.providers.save(provider);
        throw new Error('the handler failed after saving');
      }),
    ).rejects.toThrow('the handler failed after saving');
    expect(await providerRows(provider.id)).toBe(0);
    expect(await outboxOf(provider.id)).toEqual([]);
  });

  it('a flush that fails (a database error) also leaves no outbox rows', async () => {
    const owner = anActor('owner', organizationId);
    const first = aGitLabProvider().createdBy(owner).build();
    await db.uow.run(() => db.providers.save(first));
    const created = aGitLabProvider().createdBy(owner).named(first.name).build();
    expect(created.update(owner, { settings: { groupName: 'x' } }).ok).toBe(true);
    const error = await db.uow.run(() => db.providers.save(created)).catch((e: unknown) => e);
    expect((error as FailureError).failure?.code).toBe('CONFLICT');
    expect(await providerRows(created.id)).toBe(0);
    expect(await outboxOf(created.id)).toEqual([]);
  });

  it('a successful unit of work leaves the row and one outbox row per event, in recording order, in the same transaction', async () => {
    const owner = anActor('owner', organizationId);
    const provider = aGitHubProvider().createdBy(owner).build();
    // The provider row first: the ORM knows no relation between the two tables, so it may insert either first.
    await db.uow.run(() => db.providers.save(provider));
    const source = anApplicationSource().inOrganization(organizationId).build();
    expect(provider.changeSharing(owner, true).ok).toBe(true);
    expect(provider.changeSharing(owner, false).ok).toBe(true);
    const recorded = [...provider.peekDomainEvents()];

    await db.uow.run(async () => {
      await db.providers.save(provider);
      await db.uow.run(async () => {
        await sources.save(source);
        source.connect(
          {
            providerId: provider.id,
            providerType: 'github',
            repository: 'acme/shop',
            repositoryId: '1',
            branch: 'main',
            triggerType: 'push',
            watchPaths: null,
            autoDeploy: true,
            buildPath: '/',
            composePath: null,
          },
          { registered: false, url: null },
        );
      });
    });

    expect(await providerRows(provider.id)).toBe(1);
    expect(provider.peekDomainEvents()).toEqual([]);
    const rows = await outboxOf(provider.id);
    expect(
      rows.map((r) => ({
        id: r.id,
        type: r.type,
        organizationId: r.organization_id,
        aggregateId: r.aggregate_id,
        occurredAt: new Date(r.occurred_at),
        data: r.data,
      })),
    ).toEqual(
      recorded.map((e) => ({
        id: e.id,
        type: e.type,
        organizationId: e.organizationId,
        aggregateId: e.aggregateId,
        occurredAt: e.occurredAt,
        data: e.data,
      })),
    );
    for (const row of rows) expect(row).toMatchObject({ published_at: null, attempts: 0 });

    const sourceRows = await outboxOf(source.serviceId);
    expect(sourceRows.map((r) => r.type)).toEqual(['service-source.connected']);
    expect(sourceRows[0]?.data).toEqual({
      serviceType: 'application',
      serviceId: source.serviceId,
      providerId: provider.id,
      repository: 'acme/shop',
      repositoryId: '1',
      branch: 'main',
    });
    // One transaction: every row carries the same transaction id.
    expect(new Set([...rows, ...sourceRows].map((r) => r.txid)).size).toBe(1);
  });

  it('events recorded after a failed unit of work are not lost: a retry writes them', async () => {
    const owner = anActor('owner', organizationId);
    const provider = aGitLabProvider().createdBy(owner).build();
    await db.uow.run(() => db.providers.save(provider));
    const attempt = async (fail: boolean): Promise<void> =>
      db.uow.run(async () => {
        const loaded = await db.providers.findById(provider.id);
        if (!loaded) throw new Error('not found');
        expect(loaded.changeSharing(owner, true).ok).toBe(true);
        await db.providers.save(loaded);
        if (fail) throw new Error('boom');
      });
    await expect(attempt(true)).rejects.toThrow('boom');
    expect(await outboxOf(provider.id)).toEqual([]);
    await attempt(false);
    expect((await outboxOf(provider.id)).map((r) => r.type)).toEqual(['git-provider.shared']);
  });
});
