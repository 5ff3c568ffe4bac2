import { createHash, randomBytes } from 'node:crypto';

/** API keys carry 256 bits of randomness, so a plain SHA-256 is a sufficient (and indexable) stored form. */
export function generateApiKey(): string {
  return `flk_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}
