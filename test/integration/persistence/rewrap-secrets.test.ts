import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateMasterKey, SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { rewrapSecrets } from '../../../src/platform/database/rewrap-secrets.js';
import { HOOK_SECRET_PURPOSE, subscriptionSecretPurpose } from '../../../src/platform/crypto/secret-purposes.js';
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

  it('re-encrypts provider, hook and event-subscription secrets under the current key without bumping versions; old keys are then unnecessary', async () => {
    const organizationId = await createOrganization(withA);
    const provider = aGitLabProvider().createdBy(anActor('owner', organizationId)).authorized().build();
    await withA.uow.run(() => withA.providers.save(provider));
    const hookSecret = 'hook-secret-0123456789';
    await sql(
      withA,
      `insert into repository_hook (provider_id, repository, hook_id, url, secret, created_at) values (?, 'acme/api', '7', 'http://x/v1/webhooks/1', ?, now())`,
      [provider.id, new SecretCipher(keyA).encrypt(hookSecret, HOOK_SECRET_PURPOSE)],
    );
    const subscriptionId = '0192f0c4-8a2b-7c3d-9e4f-0123456789ab';
    const signingSecret = 'whsec_c2lnbmluZy1zZWNyZXQtZm9yLXRoZS1yZXdyYXAtdGVzdA==';
    await sql(
      withA,
      `insert into event_subscription (id, organization_id, url, secret, created_by, created_at, cursor_txid, cursor_position)
       values (?, ?, 'https://deployer.example/hooks', ?, 'owner', now(), pg_snapshot_xmin(pg_current_snapshot()), 0)`,
      [subscriptionId, organizationId, new SecretCipher(keyA).encrypt(signingSecret, subscriptionSecretPurpose(subscriptionId))],
    );
    const [before] = await sql<{ version: number }>(withA, 'select version from git_provider where id = ?', [provider.id]);
    await expect(onlyB.uow.run(() => onlyB.providers.findById(provider.id))).rejects.toThrow(/No master key with id/);

    const rotating = new SecretCipher(keyB, [keyA]);
    expect(await rewrapSecrets(withA.orm.em.getKnex(), rotating)).toEqual({ providers: 1, hooks: 1, subscriptions: 1 });
    expect(await rewrapSecrets(withA.orm.em.getKnex(), rotating)).toEqual({ providers: 0, hooks: 0, subscriptions: 0 });

    const loaded = await onlyB.uow.run(() => onlyB.providers.findById(provider.id));
    expect(loaded?.secret('accessToken')?.reveal()).toBe(provider.secret('accessToken')?.reveal());
    expect(loaded?.secret('clientSecret')?.reveal()).toBe(provider.secret('clientSecret')?.reveal());
    const [after] = await sql<{ version: number }>(withA, 'select version from git_provider where id = ?', [provider.id]);
    expect(after?.version).toBe(before?.version);
    const [hook] = await sql<{ secret: string }>(withA, 'select secret from repository_hook where provider_id = ?', [provider.id]);
    expect(new SecretCipher(keyB).decrypt(hook?.secret ?? '', HOOK_SECRET_PURPOSE)).toBe(hookSecret);
    const [subscription] = await sql<{ secret: string }>(withA, 'select secret from event_subscription where id = ?', [subscriptionId]);
    expect(new SecretCipher(keyB).decrypt(subscription?.secret ?? '', subscriptionSecretPurpose(subscriptionId))).toBe(signingSecret);
  });
});
