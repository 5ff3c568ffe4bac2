import { createHmac, randomBytes } from 'node:crypto';
import { Secret } from '../../../shared/secret.js';
import { type SigningSecrets } from '../application/event-subscriptions.js';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/, spec.md "Signature scheme"): the secret is
 * `whsec_` + base64 of 24–64 random bytes; the HMAC-SHA256 key is those bytes (base64-decoded, prefix dropped);
 * the signed content is `<webhook-id>.<webhook-timestamp>.<body>`; the header is `v1,<base64 signature>`.
 * Tests verify these headers with the reference `standardwebhooks` library.
 */
export const SECRET_PREFIX = 'whsec_';

export const standardWebhookSecrets: SigningSecrets = {
  generate: () => Secret.of(SECRET_PREFIX + randomBytes(32).toString('base64')),
};

/** The three request headers for one attempt; `timestamp` is Unix seconds (a fresh one per attempt). */
export function signStandardWebhook(
  secret: Secret,
  id: string,
  timestamp: number,
  body: string,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const encoded = secret.reveal().startsWith(SECRET_PREFIX) ? secret.reveal().slice(SECRET_PREFIX.length) : secret.reveal();
  const key = Buffer.from(encoded, 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` };
}
