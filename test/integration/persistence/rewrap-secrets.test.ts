import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateMasterKey, SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { rewrapSecrets } from '../../../src/platform/database/rewrap-secrets.js';
import { HOOK_SECRET_PURPOSE } from '../../../src/modules/webhooks/infrastructure/repository-hooks.js';
import { anActor } from '../../builders/actors.js';
import { aGitLabProvider } from '../../builders/git-providers.js';
import { createOrganization, createScratchDatabase, openPersistence, sql, type Persistence } from './database.js';

// A scratch database: rewrapping touches every row, and the shared test database holds rows of other keys.
describe('secrets rewrap (finishing a master-key rotation)', () => {
  const keyA = generateMasterKey();
  const keyB = generateMasterKey();
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let withA: Persistence;
  let onlyB: Persistence;

  beforeAll(async () => {
    scratch = await createScratchDatabase(inject('adminDatabaseUrl'), 'rewrap');
    withA = await openPersistence(scratch.url, new SecretCipher(keyA), { migrate: true });
    onlyB = await openPersistence(scratch.url, new SecretCipher(keyB));
  });

  afterAll(async () => {
    await Promise.all([withA?.close(), onlyB?.close()]);
    await scratch?.drop();
  });

  it('re-encrypts provider and hook secrets under the current key without bumping versions; old keys are then unnecessary', async () => {
    const organizationId = await createOrganization(withA);
    const provider = aGitLabProvider().createdBy(anActor('owner', organizationId)).authorized().build();
    await withA.uow.run(() => withA.providers.save(provider));
    const hookSecret = 'hook-secret-0123456789';
    await sql(withA, `insert into repository_hook (provider_id, repository, hook_id, url, secret, created_at) values (?, 'acme/api', '7', 'http://x/v1/webhooks/1', ?, now())`, [
      provider.id,
      new SecretCipher(keyA).encrypt(hookSecret, HOOK_SECRET_PURPOSE),
    ]);
    const [before] = await sql<{ version: number }>(withA, 'select version from git_provider where id = ?', [provider.id]);
    await expect(onlyB.uow.run(() => onlyB.providers.findById(provider.id))).rejects.toThrow(/No master key with id/);

    const rotating = new SecretCipher(keyB, [keyA]);
    expect(await rewrapSecrets(withA.orm.em.getKnex(), rotating)).toEqual({ providers: 1, hooks: 1 });
    expect(await rewrapSecrets(withA.orm.em.getKnex(), rotating)).toEqual({ providers: 0, hooks: 0 });

    const loaded = await onlyB.uow.run(() => onlyB.providers.findById(provider.id));
    expect(loaded?.secret('accessToken')?.reveal()).toBe(provider.secret('accessToken')?.reveal());
    expect(loaded?.secret('clientSecret')?.reveal()).toBe(provider.secret('clientSecret')?.reveal());
    const [after] = await sql<{ version: number }>(withA, 'select version from git_provider where id = ?', [provider.id]);
    expect(after?.version).toBe(before?.version);
    const [hook] = await sql<{ secret: string }>(withA, 'select secret from repository_hook where provider_id = ?', [provider.id]);
    expect(new SecretCipher(keyB).decrypt(hook?.secret ?? '', HOOK_SECRET_PURPOSE)).toBe(hookSecret);
  });
});
