import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { type StateClaims } from '../../../src/modules/git-providers/application/ports/state-tokens.js';
import { HmacStateTokens } from '../../../src/modules/git-providers/infrastructure/hmac-state-tokens.js';
import { generateMasterKey, SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { KnexReadDatabase } from '../../../src/platform/database/knex-read-database.js';
import { newId } from '../../../src/shared/ids.js';
import { openPersistence, sql, type Persistence } from './database.js';

const codeOf = (result: { ok: boolean; error?: { code: string } }): string | undefined => (result.ok ? undefined : result.error?.code);

describe('HmacStateTokens (signed, single-use, expiring)', () => {
  const masterKey = inject('masterKey');
  let db: Persistence;
  let read: KnexReadDatabase;
  let clock: number;
  let tokens: HmacStateTokens;

  const claims = (overrides: Partial<StateClaims> = {}): StateClaims => ({
    purpose: 'gitlab',
    providerId: newId(),
    userId: 'user-1',
    organizationId: newId(),
    ...overrides,
  });

  beforeAll(async () => {
    db = await openPersistence(inject('databaseUrl'), new SecretCipher(masterKey));
    read = new KnexReadDatabase(db.orm.em.getKnex());
    // Near the real time: the database's own clean-up of used nonces compares with its now().
    clock = Date.now();
    tokens = new HmacStateTokens(masterKey, read, () => clock);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('consumes once and answers the claims; a second use is INVALID_STATE', async () => {
    const issued = claims({ purpose: 'gitea' });
    const token = tokens.issue(issued);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(await tokens.consume(token, 'gitea')).toEqual({ ok: true, value: issued });
    const again = await tokens.consume(token, 'gitea');
    expect(codeOf(again)).toBe('INVALID_STATE');
    expect(again.ok ? '' : again.error.detail).toMatch(/already used/);
  });

  it('two concurrent uses of one state: exactly one wins', async () => {
    const token = tokens.issue(claims({ purpose: 'github-install' }));
    const results = await Promise.all(Array.from({ length: 4 }, () => tokens.consume(token, 'github-install')));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => codeOf(r) === 'INVALID_STATE')).toHaveLength(3);
  });

  it('refuses a forged signature, a changed payload and a state signed with another master key', async () => {
    const token = tokens.issue(claims());
    const [body, signature] = token.split('.') as [string, string];
    const flipped = `${body}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(codeOf(await tokens.consume(flipped, 'gitlab'))).toBe('INVALID_STATE');

    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tampered = Buffer.from(JSON.stringify({ ...payload, uid: 'attacker' })).toString('base64url');
    expect(codeOf(await tokens.consume(`${tampered}.${signature}`, 'gitlab'))).toBe('INVALID_STATE');

    const foreign = new HmacStateTokens(generateMasterKey(), read, () => clock).issue(claims());
    const result = await tokens.consume(foreign, 'gitlab');
    expect(codeOf(result)).toBe('INVALID_STATE');
    expect(result.ok ? '' : result.error.detail).toMatch(/not one forgelink issued/);

    // None of these burned the genuine state.
    expect((await tokens.consume(token, 'gitlab')).ok).toBe(true);
  });

  it.each(['', 'abc', 'a.b', 'a.b.c', '.', `${'a'.repeat(2001)}.b`])('refuses the malformed state %j', async (token) => {
    expect(codeOf(await tokens.consume(token, 'gitlab'))).toBe('INVALID_STATE');
  });

  it('refuses a state issued for another flow, without burning it', async () => {
    const token = tokens.issue(claims({ purpose: 'gitlab' }));
    const wrong = await tokens.consume(token, 'gitea');
    expect(codeOf(wrong)).toBe('INVALID_STATE');
    expect(wrong.ok ? '' : wrong.error.detail).toMatch(/another flow/);
    expect(codeOf(await tokens.consume(token, 'github-install'))).toBe('INVALID_STATE');
    expect((await tokens.consume(token, 'gitlab')).ok).toBe(true);
  });

  it('expires after 10 minutes (injected clock)', async () => {
    const start = clock;
    const fresh = tokens.issue(claims());
    const stale = tokens.issue(claims());
    try {
      clock = start + 9 * 60_000;
      expect((await tokens.consume(fresh, 'gitlab')).ok).toBe(true);
      clock = start + 10 * 60_000 + 1;
      const expired = await tokens.consume(stale, 'gitlab');
      expect(codeOf(expired)).toBe('INVALID_STATE');
      expect(expired.ok ? '' : expired.error.detail).toMatch(/expired/);
    } finally {
      clock = start;
    }
  });

  it('remembers a used nonce until the state would have expired', async () => {
    const token = tokens.issue(claims());
    expect((await tokens.consume(token, 'gitlab')).ok).toBe(true);
    const payload = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { n: string; exp: number };
    const rows = await sql<{ expires_at: string }>(db, 'select expires_at::text from consumed_state where nonce = ?', [payload.n]);
    expect(rows).toHaveLength(1);
    expect(new Date(rows[0]?.expires_at ?? '').getTime()).toBe(payload.exp);
  });
});
