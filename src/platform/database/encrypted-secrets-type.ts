import { type Platform, Type } from '@mikro-orm/core';
import { Secret } from '../../shared/secret.js';
import { type SecretCipher } from '../crypto/secret-cipher.js';

type SecretMap = Partial<Record<string, Secret>>;

/**
 * Maps a record of Secrets to one text column holding a JSON object of AES-GCM ciphertexts.
 * Each Secret instance remembers its ciphertext, so an unchanged secret is not re-encrypted on every
 * flush (a fresh IV would otherwise make every load look dirty and bump the version).
 */
export class EncryptedSecretsType extends Type<SecretMap, string> {
  private readonly ciphertexts = new WeakMap<Secret, string>();

  constructor(private readonly cipher: SecretCipher) {
    super();
  }

  override convertToDatabaseValue(value: SecretMap | string | null | undefined, _platform: Platform): string {
    if (typeof value === 'string') return value;
    const out: Record<string, string> = {};
    for (const name of Object.keys(value ?? {}).sort()) {
      const secret = value?.[name];
      if (!secret) continue;
      let ciphertext = this.ciphertexts.get(secret);
      if (!ciphertext) {
        ciphertext = this.cipher.encrypt(secret.reveal(), name);
        this.ciphertexts.set(secret, ciphertext);
      }
      out[name] = ciphertext;
    }
    return JSON.stringify(out);
  }

  override convertToJSValue(value: string | SecretMap | null | undefined, _platform: Platform): SecretMap {
    if (value === null || value === undefined) return {};
    if (typeof value !== 'string') return value;
    const stored = JSON.parse(value) as Record<string, string>;
    const out: SecretMap = {};
    for (const [name, ciphertext] of Object.entries(stored)) {
      const secret = Secret.of(this.cipher.decrypt(ciphertext, name));
      // Written with an old master key: leave it uncached so the next flush re-encrypts with the current one.
      if (!this.cipher.isStale(ciphertext)) this.ciphertexts.set(secret, ciphertext);
      out[name] = secret;
    }
    return out;
  }

  override compareAsType(): string {
    return 'string';
  }

  override getColumnType(): string {
    return 'text';
  }
}

/** One secret column (repository hooks): the same caching, for a single Secret. */
export class EncryptedSecretType extends Type<Secret, string> {
  private readonly ciphertexts = new WeakMap<Secret, string>();

  constructor(private readonly cipher: SecretCipher, private readonly purpose: string) {
    super();
  }

  override convertToDatabaseValue(value: Secret | string, _platform: Platform): string {
    if (typeof value === 'string') return value;
    let ciphertext = this.ciphertexts.get(value);
    if (!ciphertext) {
      ciphertext = this.cipher.encrypt(value.reveal(), this.purpose);
      this.ciphertexts.set(value, ciphertext);
    }
    return ciphertext;
  }

  override convertToJSValue(value: string | Secret, _platform: Platform): Secret {
    if (typeof value !== 'string') return value;
    const secret = Secret.of(this.cipher.decrypt(value, this.purpose));
    if (!this.cipher.isStale(value)) this.ciphertexts.set(secret, value);
    return secret;
  }

  override compareAsType(): string {
    return 'string';
  }

  override getColumnType(): string {
    return 'text';
  }
}
