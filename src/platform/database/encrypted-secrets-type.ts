import { type Platform, Type } from '@mikro-orm/core';
import { Secret } from '../../shared/secret.js';
import { type SecretCipher } from '../crypto/secret-cipher.js';

type SecretMap = Partial<Record<string, Secret>>;

/**
 * Column types that encrypt Secrets with AES-GCM. Each Secret instance remembers its ciphertext, so an
 * unchanged secret is not re-encrypted on every flush (a fresh IV would otherwise make every load look
 * dirty and bump the version). The cipher and cache live in a closure: MikroORM copies type instances,
 * and a copied WeakMap or key map would not survive that.
 */
function secretCodec(cipher: SecretCipher) {
  const ciphertexts = new WeakMap<Secret, string>();
  return {
    encrypt(secret: Secret, purpose: string): string {
      let ciphertext = ciphertexts.get(secret);
      if (!ciphertext) {
        ciphertext = cipher.encrypt(secret.reveal(), purpose);
        ciphertexts.set(secret, ciphertext);
      }
      return ciphertext;
    },
    decrypt(ciphertext: string, purpose: string): Secret {
      const secret = Secret.of(cipher.decrypt(ciphertext, purpose));
      // Written with an old master key: leave it uncached so the next write re-encrypts with the current one.
      if (!cipher.isStale(ciphertext)) ciphertexts.set(secret, ciphertext);
      return secret;
    },
  };
}

/** A record of Secrets in one text column: a JSON object of secret name → ciphertext (name bound as AAD). */
export function encryptedSecretsType(cipher: SecretCipher): new () => Type<SecretMap, string> {
  const codec = secretCodec(cipher);
  return class EncryptedSecretsType extends Type<SecretMap, string> {
    override convertToDatabaseValue(value: SecretMap | string | null | undefined, _platform: Platform): string {
      if (typeof value === 'string') return value;
      const out: Record<string, string> = {};
      for (const name of Object.keys(value ?? {}).sort()) {
        const secret = value?.[name];
        if (secret) out[name] = codec.encrypt(secret, name);
      }
      return JSON.stringify(out);
    }

    override convertToJSValue(value: string | SecretMap | null | undefined, _platform: Platform): SecretMap {
      if (value === null || value === undefined) return {};
      if (typeof value !== 'string') return value;
      const stored = JSON.parse(value) as Record<string, string>;
      return Object.fromEntries(Object.entries(stored).map(([name, ciphertext]) => [name, codec.decrypt(ciphertext, name)]));
    }

    override compareAsType(): string {
      return 'string';
    }

    // Snapshot the stored text as read: re-encoding at load would encrypt stale (old-key) secrets with the
    // current key into the snapshot itself, so the flush would see no change and never rewrite them.
    override ensureComparable(): boolean {
      return false;
    }

    override getColumnType(): string {
      return 'text';
    }
  };
}
