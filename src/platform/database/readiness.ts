import { type Knex } from '@mikro-orm/postgresql';
import { type SecretCipher } from '../crypto/secret-cipher.js';
import { HOOK_SECRET_PURPOSE, subscriptionSecretPurpose } from '../crypto/secret-purposes.js';
import { migrationsList } from './migrations/index.js';
import { pendingOf } from './migration-state.js';

/** Associated data of the key check, so its ciphertext cannot stand in for any other secret (or vice versa). */
export const KEY_CHECK_PURPOSE = 'forgelink.key-check';
const KEY_CHECK_PLAINTEXT = 'forgelink master key check v1';

/** What is not ready, in one line that says what to do. */
export interface ReadinessProblem {
  readonly check: 'database' | 'migrations' | 'masterKey';
  /** For /readyz's 503 problem, which needs no authentication: no addresses, driver messages or key ids. */
  readonly detail: string;
  /** For the operator (start-up's stderr line, the log): `detail` with the cause. */
  readonly operatorDetail: string;
}

export type Readiness = { ready: true } | ({ ready: false } & ReadinessProblem);

/** Thrown by start-up checks; `message` is the one line to print. */
export class NotReadyError extends Error {
  override readonly name = 'NotReadyError';
  constructor(readonly problem: ReadinessProblem) {
    super(problem.operatorDetail);
  }
}

const RUN_MIGRATE = 'run `forgelink migrate` (`npm start` migrates before serving)';

/**
 * The contract's readiness, checked in order: the database answers, every migration forgelink knows is
 * applied, and the master key decrypts the stored key check. Read-only; a missing key check is a problem
 * (start-up writes it, see ensureKeyCheck). Errors never escape: each becomes a ReadinessProblem.
 */
export async function checkReadiness(knex: Knex, cipher: SecretCipher): Promise<Readiness> {
  try {
    await knex.raw('select 1');
  } catch (error) {
    return { ready: false, ...databaseProblem(error) };
  }
  try {
    const pending = await pendingMigrations(knex);
    if (pending.length > 0) return { ready: false, ...migrationsProblem(pending) };
    const stored = await readKeyCheck(knex);
    if (stored === undefined) {
      const detail = `no master-key check is stored: ${RUN_MIGRATE}`;
      return { ready: false, check: 'masterKey', detail, operatorDetail: detail };
    }
    const wrong = keyProblem(cipher, [stored]);
    return wrong ? { ready: false, ...wrong } : { ready: true };
  } catch (error) {
    return { ready: false, ...databaseProblem(error) };
  }
}

export function databaseProblem(error: unknown): ReadinessProblem {
  const remedy = 'check DATABASE_URL and that PostgreSQL is running';
  return {
    check: 'database',
    detail: `the database does not answer: ${remedy}`,
    operatorDetail: `the database does not answer (${describe(error)}): ${remedy}`,
  };
}

/**
 * Start-up (`serve`, after `migrate`): throws NotReadyError unless ready. A database without a key check gets one,
 * but only after the configured key has proved it decrypts a stored secret, if there is any: a wrong key on an
 * existing database must not become the recorded one.
 */
export async function ensureReady(knex: Knex, cipher: SecretCipher): Promise<void> {
  const state = await checkReadiness(knex, cipher);
  if (state.ready) return;
  if (state.check !== 'masterKey' || (await readKeyCheck(knex)) !== undefined) throw new NotReadyError(state);
  await ensureKeyCheck(knex, cipher);
  const after = await checkReadiness(knex, cipher);
  if (!after.ready) throw new NotReadyError(after);
}

/** Writes the key check when absent (after proving the key on stored secrets), then verifies it. Idempotent, safe to race. */
export async function ensureKeyCheck(knex: Knex, cipher: SecretCipher): Promise<void> {
  if ((await readKeyCheck(knex)) === undefined) {
    const wrong = keyProblem(cipher, await sampleStoredSecrets(knex));
    if (wrong) throw new NotReadyError(wrong);
    await knex.raw('insert into key_check (id, value) values (1, ?) on conflict (id) do nothing', [
      cipher.encrypt(KEY_CHECK_PLAINTEXT, KEY_CHECK_PURPOSE),
    ]);
  }
  const stored = await readKeyCheck(knex);
  const wrong = stored === undefined ? undefined : keyProblem(cipher, [stored]);
  if (wrong) throw new NotReadyError(wrong);
}

/** Re-encrypts the key check under the current key (part of `secrets rewrap`); true when it changed. */
export async function rewrapKeyCheck(trx: Knex, cipher: SecretCipher): Promise<boolean> {
  const { rows } = (await trx.raw('select value from key_check where id = 1 for update')) as { rows: { value: string }[] };
  const value = rows[0]?.value;
  if (value === undefined || !cipher.isStale(value)) return false;
  const plaintext = cipher.decrypt(value, KEY_CHECK_PURPOSE);
  await trx.raw('update key_check set value = ? where id = 1', [cipher.encrypt(plaintext, KEY_CHECK_PURPOSE)]);
  return true;
}

/** Names of the migrations forgelink knows that the database has not applied, in order. */
export function pendingMigrations(knex: Knex): Promise<string[]> {
  return pendingOf(
    (sql) => knex.raw(sql) as Promise<{ rows: Record<string, unknown>[] }>,
    migrationsList.map((m) => m.name),
  );
}

function migrationsProblem(pending: string[]): ReadinessProblem {
  const none = pending.length === migrationsList.length;
  const detail = none
    ? `the database has no forgelink schema (no migration applied): ${RUN_MIGRATE}`
    : `${pending.length} of ${migrationsList.length} migrations are not applied (${pending.join(', ')}): ${RUN_MIGRATE}`;
  return { check: 'migrations', detail, operatorDetail: detail };
}

type Sample = { ciphertext: string; purpose: string };

async function readKeyCheck(knex: Knex): Promise<Sample | undefined> {
  const { rows } = (await knex.raw('select value from key_check where id = 1')) as { rows: { value: string }[] };
  return rows[0] ? { ciphertext: rows[0].value, purpose: KEY_CHECK_PURPOSE } : undefined;
}

/** One provider, hook and subscription secret each, if any: enough to prove a key on a database written before the key check. */
async function sampleStoredSecrets(knex: Knex): Promise<Sample[]> {
  const samples: Sample[] = [];
  const providers = (await knex.raw(`select secrets from git_provider where secrets <> '{}' limit 1`)) as { rows: { secrets: string }[] };
  const first = providers.rows[0] ? Object.entries(JSON.parse(providers.rows[0].secrets) as Record<string, string>)[0] : undefined;
  if (first) samples.push({ ciphertext: first[1], purpose: first[0] });
  const hooks = (await knex.raw('select secret from repository_hook limit 1')) as { rows: { secret: string }[] };
  if (hooks.rows[0]) samples.push({ ciphertext: hooks.rows[0].secret, purpose: HOOK_SECRET_PURPOSE });
  const subscriptions = (await knex.raw('select id, secret from event_subscription limit 1')) as { rows: { id: string; secret: string }[] };
  if (subscriptions.rows[0])
    samples.push({ ciphertext: subscriptions.rows[0].secret, purpose: subscriptionSecretPurpose(subscriptions.rows[0].id) });
  return samples;
}

function keyProblem(cipher: SecretCipher, samples: Sample[]): ReadinessProblem | undefined {
  for (const sample of samples) {
    try {
      cipher.decrypt(sample.ciphertext, sample.purpose);
    } catch {
      const writtenWith = sample.ciphertext.split('.')[1] ?? 'unknown';
      const remedy = 'set the key this database was set up with, or list it in FORGELINK_MASTER_KEYS_OLD during a rotation';
      return {
        check: 'masterKey',
        detail: `FORGELINK_MASTER_KEY does not decrypt the stored secrets: ${remedy}`,
        operatorDetail: `FORGELINK_MASTER_KEY does not decrypt the stored secrets (written with key id ${writtenWith}; the configured key${cipher.keyIds.length > 1 ? 's have ids' : ' has id'} ${cipher.keyIds.join(', ')}): ${remedy}`,
      };
    }
  }
  return undefined;
}

/** A driver error in a few words, without connection strings (which could carry a password). */
function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message =
    error instanceof Error ? error.message.split('\n')[0]!.replace(/postgres(ql)?:\/\/\S+/g, '<database url>') : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
