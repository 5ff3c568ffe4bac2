import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM with a key id in every ciphertext: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts).
 * The key id is the first 8 hex chars of SHA-256(key), so after a rotation the old keys listed in
 * FORGELINK_MASTER_KEYS_OLD still decrypt what they wrote, and new writes use the current key.
 */
export class SecretCipher {
  private readonly current: { id: string; key: Buffer };
  private readonly keys = new Map<string, Buffer>();

  constructor(masterKeyBase64: string, oldKeysBase64: readonly string[] = []) {
    const decode = (value: string): Buffer => {
      const key = Buffer.from(value, 'base64');
      if (key.length !== 32) throw new Error('A master key must be 32 bytes, base64-encoded');
      return key;
    };
    const key = decode(masterKeyBase64);
    this.current = { id: keyId(key), key };
    this.keys.set(this.current.id, key);
    for (const old of oldKeysBase64) {
      const oldKey = decode(old);
      if (!this.keys.has(keyId(oldKey))) this.keys.set(keyId(oldKey), oldKey);
    }
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  /** Ids of every key this cipher can decrypt with: the current one first, then FORGELINK_MASTER_KEYS_OLD. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  encrypt(plaintext: string, associatedData = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', this.current.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join(
      '.',
    );
  }

  decrypt(ciphertext: string, associatedData = ''): string {
    const [version, id, iv, tag, body] = ciphertext.split('.');
    if (version !== 'v1' || !id || !iv || !tag || body === undefined) throw new Error('Unrecognised ciphertext format');
    const key = this.keys.get(id);
    if (!key) throw new Error(`No master key with id ${id} is configured (set FORGELINK_MASTER_KEYS_OLD during a rotation)`);
    // A fixed tag length: GCM otherwise accepts a truncated tag (as short as 4 bytes) as authentic.
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** True when the ciphertext was written with an old key and should be re-encrypted. */
  isStale(ciphertext: string): boolean {
    return ciphertext.split('.')[1] !== this.current.id;
  }
}

const keyId = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 8);

export const generateMasterKey = (): string => randomBytes(32).toString('base64');
