import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Failure, failure } from '../../../shared/failure.js';
import { err, ok, type Result } from '../../../shared/result.js';
import { type ReadDatabase } from '../../../shared/read-database.js';
import { type StateClaims, type StatePurpose, type StateTokens } from '../application/ports/state-tokens.js';

const TTL_MS = 10 * 60_000;

interface Payload {
  p: StatePurpose;
  pid: string;
  uid: string;
  oid: string;
  n: string;
  exp: number;
}

/**
 * `base64url(payload).base64url(HMAC-SHA256)`, keyed by a key derived from the master key. Single use:
 * consuming inserts the nonce into consumed_state, whose primary key refuses a second use.
 */
export class HmacStateTokens implements StateTokens {
  private readonly key: Buffer;

  constructor(
    masterKeyBase64: string,
    private readonly db: ReadDatabase,
    private readonly now: () => number = Date.now,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(masterKeyBase64, 'base64'), Buffer.alloc(0), 'forgelink oauth state v1', 32));
  }

  issue(claims: StateClaims): string {
    const payload: Payload = {
      p: claims.purpose,
      pid: claims.providerId,
      uid: claims.userId,
      oid: claims.organizationId,
      n: randomBytes(16).toString('base64url'),
      exp: this.now() + TTL_MS,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  async consume(token: string, purpose: StatePurpose): Promise<Result<StateClaims, Failure>> {
    const payload = this.verify(token);
    if (!payload) return err(failure.invalidState('The state is not one forgelink issued'));
    if (payload.p !== purpose) return err(failure.invalidState('The state was issued for another flow or provider type'));
    if (payload.exp < this.now()) return err(failure.invalidState('The state has expired (10 minutes); start the authorisation again'));
    const inserted = await this.db.query<{ nonce: string }>(
      'insert into consumed_state (nonce, expires_at) values (?, ?) on conflict (nonce) do nothing returning nonce',
      [payload.n, new Date(payload.exp)],
    );
    if (inserted.length === 0) return err(failure.invalidState('The state was already used; start the authorisation again'));
    if (Math.random() < 0.05) await this.db.query('delete from consumed_state where expires_at < now()').catch(() => undefined);
    return ok({ purpose: payload.p, providerId: payload.pid, userId: payload.uid, organizationId: payload.oid });
  }

  private verify(token: string): Payload | undefined {
    if (typeof token !== 'string' || token.length > 2000) return undefined;
    const [body, signature, extra] = token.split('.');
    if (!body || !signature || extra !== undefined) return undefined;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
      if (typeof payload.pid !== 'string' || typeof payload.n !== 'string' || typeof payload.exp !== 'number') return undefined;
      return payload;
    } catch {
      return undefined;
    }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
