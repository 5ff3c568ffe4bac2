import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { type ServiceSource } from '../../../src/modules/service-sources/domain/service-source.js';
import { MikroOrmServiceSourceRepository } from '../../../src/modules/service-sources/infrastructure/persistence/mikro-orm-service-source.repository.js';
import { SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { anActor } from '../../builders/actors.js';
import { aGitLabProvider } from '../../builders/git-providers.js';
import { aComposeSource, anApplicationSource } from '../../builders/service-sources.js';
import { createOrganization, openPersistence, sql, type Persistence } from './database.js';

describe('MikroOrmServiceSourceRepository', () => {
  let db: Persistence;
  let sources: MikroOrmServiceSourceRepository;
  let organizationId: string;
  let providerId: string;

  beforeAll(async () => {
    db = await openPersistence(inject('databaseUrl'), new SecretCipher(inject('masterKey')));
    sources = new MikroOrmServiceSourceRepository(db.uow);
    organizationId = await createOrganization(db);
    const provider = aGitLabProvider().createdBy(anActor('owner', organizationId)).authorized().build();
    await db.uow.run(() => db.providers.save(provider));
    providerId = provider.id;
  });

  afterAll(async () => {
    await db?.close();
  });

  const load = async (source: ServiceSource): Promise<ServiceSource> => {
    const found = await db.uow.run(() => sources.find(source.organizationId, source.serviceType, source.serviceId));
    if (!found) throw new Error('not found');
    return found;
  };

  it('round-trips a connected compose (watch paths, webhook, subgroup owner) and a disconnect clears the stored Git fields', async () => {
    const source = aComposeSource()
      .inOrganization(organizationId)
      .connectedTo({
        providerId,
        providerType: 'gitlab',
        repository: 'acme/platform/stack',
        watchPaths: ['deploy/**', '!docs/**'],
        composePath: 'deploy/compose.yml',
      })
      .withStatus('running')
      .build();
    await db.uow.run(() => sources.save(source));
    const loaded = await load(source);
    const pick = (s: ServiceSource): Record<string, unknown> => ({
      serviceType: s.serviceType,
      serviceId: s.serviceId,
      organizationId: s.organizationId,
      sourceType: s.sourceType,
      providerId: s.providerId,
      providerType: s.providerType,
      repository: s.repository,
      repositoryId: s.repositoryId,
      owner: s.owner,
      branch: s.branch,
      triggerType: s.triggerType,
      watchPaths: s.watchPaths,
      autoDeploy: s.autoDeploy,
      buildPath: s.buildPath,
      composePath: s.composePath,
      status: s.status,
      webhook: s.webhook,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
    });
    expect(pick(loaded)).toEqual(pick(source));
    expect(loaded.owner).toBe('acme/platform');

    expect((await db.uow.run(() => sources.findConnectedToProvider(providerId))).map((s) => s.serviceId)).toContain(source.serviceId);

    await db.uow.run(async () => {
      const s = await sources.find(organizationId, 'compose', source.serviceId);
      if (!s) throw new Error('not found');
      s.disconnect();
      await sources.save(s);
    });
    const [row] = await sql<Record<string, unknown>>(db, 'select * from service_source where service_type = ? and service_id = ?', [
      'compose',
      source.serviceId,
    ]);
    expect(row).toMatchObject({
      source_type: 'none',
      provider_id: null,
      provider_type: null,
      repository: null,
      repository_id: null,
      owner: null,
      branch: null,
      trigger_type: null,
      watch_paths: null,
      auto_deploy: false,
      build_path: '/',
      compose_path: null,
      status: 'idle',
      webhook: { registered: false, url: null },
      version: 2,
    });
    expect((await db.uow.run(() => sources.findConnectedToProvider(providerId))).map((s) => s.serviceId)).not.toContain(source.serviceId);
    const events = await sql<{ type: string }>(db, 'select type from outbox where aggregate_id = ? order by position', [source.serviceId]);
    expect(events.map((e) => e.type)).toEqual(['service-source.disconnected']);
  });

  it('loading and saving an unchanged source does not bump its version', async () => {
    const source = anApplicationSource().inOrganization(organizationId).connectedTo({ providerId, providerType: 'gitlab' }).build();
    await db.uow.run(() => sources.save(source));
    await db.uow.run(async () => {
      const s = await sources.find(organizationId, 'application', source.serviceId);
      if (!s) throw new Error('not found');
      await sources.save(s);
    });
    const [row] = await sql<{ version: number }>(db, 'select version from service_source where service_id = ?', [source.serviceId]);
    expect(row?.version).toBe(1);
  });
});
