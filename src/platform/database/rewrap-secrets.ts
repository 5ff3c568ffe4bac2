import { type Knex } from '@mikro-orm/postgresql';
import { type SecretCipher } from '../crypto/secret-cipher.js';
import { HOOK_SECRET_PURPOSE, subscriptionSecretPurpose } from '../crypto/secret-purposes.js';
import { rewrapKeyCheck } from './readiness.js';

/**
 * Finishes a master-key rotation: re-encrypts every secret still written with an old key under the
 * current one (provider secrets, repository-hook secrets and event-subscription signing secrets), in one transaction, without touching
 * versions. Afterwards the old keys can leave FORGELINK_MASTER_KEYS_OLD.
 */
export async function rewrapSecrets(
  knex: Knex,
  cipher: SecretCipher,
  progress: (message: string) => void = () => undefined,
): Promise<{ providers: number; hooks: number; subscriptions: number }> {
  return knex.transaction(async (trx) => {
    let providers = 0;
    const { rows } = (await trx.raw('select id, secrets from git_provider for update')) as { rows: { id: string; secrets: string }[] };
    progress(`re-encrypting under key ${cipher.currentKeyId}: checking ${rows.length} provider${rows.length === 1 ? '' : 's'}`);
    for (const row of rows) {
      const stored = JSON.parse(row.secrets) as Record<string, string>;
      let changed = false;
      for (const [name, ciphertext] of Object.entries(stored)) {
        if (!cipher.isStale(ciphertext)) continue;
        stored[name] = cipher.encrypt(cipher.decrypt(ciphertext, name), name);
        changed = true;
      }
      if (!changed) continue;
      await trx.raw('update git_provider set secrets = ? where id = ?', [JSON.stringify(stored), row.id]);
      providers++;
    }
    progress(`  ${providers} of ${rows.length} provider${rows.length === 1 ? '' : 's'} re-encrypted`);
    let hooks = 0;
    const { rows: hookRows } = (await trx.raw('select provider_id, repository, secret from repository_hook for update')) as {
      rows: { provider_id: string; repository: string; secret: string }[];
    };
    progress(`checking ${hookRows.length} repository hook secret${hookRows.length === 1 ? '' : 's'}`);
    for (const hook of hookRows) {
      if (!cipher.isStale(hook.secret)) continue;
      const rewrapped = cipher.encrypt(cipher.decrypt(hook.secret, HOOK_SECRET_PURPOSE), HOOK_SECRET_PURPOSE);
      await trx.raw('update repository_hook set secret = ? where provider_id = ? and repository = ?', [
        rewrapped,
        hook.provider_id,
        hook.repository,
      ]);
      hooks++;
    }
    progress(`  ${hooks} of ${hookRows.length} hook secret${hookRows.length === 1 ? '' : 's'} re-encrypted`);
    let subscriptions = 0;
    const { rows: subscriptionRows } = (await trx.raw('select id, secret from event_subscription for update')) as {
      rows: { id: string; secret: string }[];
    };
    progress(`checking ${subscriptionRows.length} event subscription secret${subscriptionRows.length === 1 ? '' : 's'}`);
    for (const subscription of subscriptionRows) {
      if (!cipher.isStale(subscription.secret)) continue;
      const purpose = subscriptionSecretPurpose(subscription.id);
      await trx.raw('update event_subscription set secret = ? where id = ?', [
        cipher.encrypt(cipher.decrypt(subscription.secret, purpose), purpose),
        subscription.id,
      ]);
      subscriptions++;
    }
    progress(
      `  ${subscriptions} of ${subscriptionRows.length} subscription secret${subscriptionRows.length === 1 ? '' : 's'} re-encrypted`,
    );
    if (await rewrapKeyCheck(trx, cipher)) progress('  master-key check re-encrypted');
    progress('committing');
    return { providers, hooks, subscriptions };
  });
}
