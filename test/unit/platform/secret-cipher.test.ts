import { describe, it, expect } from 'vitest';
import { SecretCipher, generateMasterKey } from '../../../src/platform/crypto/secret-cipher.js';

const keyA = generateMasterKey();
const keyB = generateMasterKey();

/** Flips one bit of the decoded base64url part `index` of a ciphertext. */
function tamper(ciphertext: string, index: number): string {
  const parts = ciphertext.split('.');
  const bytes = Buffer.from(parts[index] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SecretCipher', () => {
  it('round-trips text, unicode and the empty string, with a fresh IV each time', () => {
    const cipher = new SecretCipher(keyA);
    for (const text of ['ghp_abc', 'pässwörd 🔑', '', '-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----']) {
      const first = cipher.encrypt(text, 'accessToken');
      const second = cipher.encrypt(text, 'accessToken');
      expect(first).not.toBe(second);
      expect(cipher.decrypt(first, 'accessToken')).toBe(text);
      expect(cipher.decrypt(second, 'accessToken')).toBe(text);
    }
  });

  it('writes v1.<keyId>.<iv>.<tag>.<ciphertext> with no plaintext inside', () => {
    const cipher = new SecretCipher(keyA);
    const ciphertext = cipher.encrypt('super-secret-value');
    const [version, id, iv, tag, body] = ciphertext.split('.');
    expect(version).toBe('v1');
    expect(id).toBe(cipher.currentKeyId);
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(Buffer.from(iv ?? '', 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag ?? '', 'base64url')).toHaveLength(16);
    expect(body).toBeTruthy();
    expect(ciphertext).not.toContain('super-secret');
    expect(Buffer.from(body ?? '', 'base64url').toString('utf8')).not.toContain('super-secret');
  });

  it.each([
    ['iv', 2],
    ['tag', 3],
    ['ciphertext', 4],
  ])('throws when the %s was tampered with', (_part, index) => {
    const cipher = new SecretCipher(keyA);
    const ciphertext = cipher.encrypt('value', 'aad');
    expect(() => cipher.decrypt(tamper(ciphertext, index), 'aad')).toThrow();
  });

  it('throws when the tag was truncated (GCM would otherwise accept a 4-byte prefix of the real tag)', () => {
    const cipher = new SecretCipher(keyA);
    const parts = cipher.encrypt('value', 'aad').split('.');
    for (const length of [4, 8, 12, 15]) {
      const truncated = [...parts];
      truncated[3] = Buffer.from(parts[3] ?? '', 'base64url')
        .subarray(0, length)
        .toString('base64url');
      expect(() => cipher.decrypt(truncated.join('.'), 'aad')).toThrow();
    }
  });

  it('throws on a malformed ciphertext or unknown version', () => {
    const cipher = new SecretCipher(keyA);
    const ciphertext = cipher.encrypt('value');
    expect(() => cipher.decrypt('plaintext')).toThrow(/Unrecognised/);
    expect(() => cipher.decrypt(ciphertext.replace(/^v1/, 'v2'))).toThrow(/Unrecognised/);
    expect(() => cipher.decrypt(ciphertext.split('.').slice(0, 3).join('.'))).toThrow(/Unrecognised/);
  });

  it('binds the associated data: a ciphertext moved to another secret name does not decrypt', () => {
    const cipher = new SecretCipher(keyA);
    const ciphertext = cipher.encrypt('value', 'accessToken');
    expect(() => cipher.decrypt(ciphertext, 'refreshToken')).toThrow();
    expect(() => cipher.decrypt(ciphertext)).toThrow();
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => new SecretCipher(Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
    expect(() => new SecretCipher(keyA, ['c2hvcnQ='])).toThrow(/32 bytes/);
  });

  it('does not decrypt with another key, and names the missing key id', () => {
    const ciphertext = new SecretCipher(keyA).encrypt('value');
    expect(() => new SecretCipher(keyB).decrypt(ciphertext)).toThrow(/FORGELINK_MASTER_KEYS_OLD/);
  });

  it('rotation: an old key still decrypts, new writes use the current key, isStale tells them apart', () => {
    const before = new SecretCipher(keyA);
    const written = before.encrypt('rotated secret', 'privateKey');
    const after = new SecretCipher(keyB, [keyA]);
    expect(after.currentKeyId).not.toBe(before.currentKeyId);
    expect(after.decrypt(written, 'privateKey')).toBe('rotated secret');
    expect(after.isStale(written)).toBe(true);
    const rewritten = after.encrypt('rotated secret', 'privateKey');
    expect(after.isStale(rewritten)).toBe(false);
    expect(rewritten.split('.')[1]).toBe(after.currentKeyId);
    expect(() => before.decrypt(rewritten, 'privateKey')).toThrow();
    expect(before.isStale(written)).toBe(false);
  });

  it('listing the current key among the old ones is harmless', () => {
    const cipher = new SecretCipher(keyA, [keyA, keyB]);
    expect(cipher.decrypt(cipher.encrypt('x'))).toBe('x');
    expect(cipher.decrypt(new SecretCipher(keyB).encrypt('y'))).toBe('y');
  });
});
