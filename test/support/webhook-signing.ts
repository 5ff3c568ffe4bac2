import { createHmac, randomUUID } from 'node:crypto';

/** Lower-cased request headers, as a forge would send them for one delivery. */
export type WebhookHeaders = Record<string, string>;

export interface DeliveryOptions {
  readonly event?: string;
  /** The forge's delivery id; a fresh UUID when omitted. */
  readonly delivery?: string;
}

const toBuffer = (body: Buffer | string): Buffer => (typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
const hexHmac = (body: Buffer | string, secret: string): string => createHmac('sha256', secret).update(toBuffer(body)).digest('hex');

/** GitHub: `X-Hub-Signature-256: sha256=<hex>`. */
export function signGitHub(body: Buffer | string, secret: string, options: DeliveryOptions = {}): WebhookHeaders {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/forgelink-test',
    'x-github-event': options.event ?? 'push',
    'x-github-delivery': options.delivery ?? randomUUID(),
    'x-github-hook-id': '1',
    'x-hub-signature-256': `sha256=${hexHmac(body, secret)}`,
  };
}

/** GitLab: the secret itself in `X-Gitlab-Token`; `Idempotency-Key` is the same on retries. */
export function signGitLab(
  body: Buffer | string,
  secret: string,
  options: DeliveryOptions & { readonly idempotencyKey?: string | null } = {},
): WebhookHeaders {
  void body; // GitLab does not sign the body.
  const delivery = options.delivery ?? randomUUID();
  const headers: WebhookHeaders = {
    'content-type': 'application/json',
    'user-agent': 'GitLab/17.0.0',
    'x-gitlab-event': options.event ?? 'Push Hook',
    'x-gitlab-token': secret,
    'x-gitlab-webhook-uuid': randomUUID(),
    'x-gitlab-event-uuid': randomUUID(),
  };
  // Older GitLab sends no Idempotency-Key (pass null); then the webhook UUID is the delivery id.
  if (options.idempotencyKey === null) headers['x-gitlab-webhook-uuid'] = delivery;
  else headers['idempotency-key'] = options.idempotencyKey ?? delivery;
  return headers;
}

/** Gitea: bare hex `X-Gitea-Signature`. Forgejo sends its own X-Forgejo-* headers and the X-Gitea-* ones too. */
export function signGitea(
  body: Buffer | string,
  secret: string,
  options: DeliveryOptions & { readonly flavour?: 'gitea' | 'forgejo' } = {},
): WebhookHeaders {
  const signature = hexHmac(body, secret);
  const event = options.event ?? 'push';
  const delivery = options.delivery ?? randomUUID();
  const headers: WebhookHeaders = {
    'content-type': 'application/json',
    'x-gitea-event': event,
    'x-gitea-event-type': event,
    'x-gitea-delivery': delivery,
    'x-gitea-signature': signature,
  };
  if (options.flavour === 'forgejo') {
    Object.assign(headers, {
      'x-forgejo-event': event,
      'x-forgejo-event-type': event,
      'x-forgejo-delivery': delivery,
      'x-forgejo-signature': signature,
    });
  }
  return headers;
}

/** Bitbucket Cloud: `X-Hub-Signature: sha256=<hex>`; `X-Request-UUID` is reused on retries. */
export function signBitbucket(
  body: Buffer | string,
  secret: string,
  options: DeliveryOptions & { readonly attempt?: number; readonly hook?: string } = {},
): WebhookHeaders {
  return {
    'content-type': 'application/json',
    'user-agent': 'Bitbucket-Webhooks/2.0',
    'x-event-key': options.event ?? 'repo:push',
    'x-request-uuid': options.delivery ?? randomUUID(),
    'x-hook-uuid': options.hook ?? randomUUID(),
    'x-attempt-number': String(options.attempt ?? 1),
    'x-hub-signature': `sha256=${hexHmac(body, secret)}`,
  };
}

/** Bitbucket Data Center: `X-Hub-Signature: sha256=<hex>`, `X-Event-Key`, and `X-Request-Id` naming the delivery. */
export function signBitbucketDatacenter(body: Buffer | string, secret: string, options: DeliveryOptions = {}): WebhookHeaders {
  return {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'Atlassian HttpClient 4.2.0 / Bitbucket-9.4.0 (9004000) / Default',
    'x-event-key': options.event ?? 'repo:refs_changed',
    'x-request-id': options.delivery ?? randomUUID(),
    'x-hub-signature': `sha256=${hexHmac(body, secret)}`,
  };
}

export const signFor = {
  github: signGitHub,
  gitlab: signGitLab,
  gitea: signGitea,
  bitbucket: signBitbucket,
  'bitbucket-datacenter': signBitbucketDatacenter,
} as const;

/**
 * JSON as Go's encoding/json writes it (Gitea, Forgejo): `<`, `>`, `&`, U+2028 and U+2029 escaped. A receiver that
 * re-serialises the parsed body instead of hashing the raw bytes fails on these (Dokploy#5149).
 */
export function goJsonBody(value: unknown): Buffer {
  const json = JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return Buffer.from(json, 'utf8');
}

let deliveries = 0;

/**
 * The same event as a new delivery: byte-different (trailing whitespace, still the same JSON). A forge's own
 * deliveries always differ; byte-identical bodies are replays and answer `duplicate` (API contract).
 */
export function anotherDelivery(body: Buffer | string): Buffer {
  return Buffer.concat([toBuffer(body), Buffer.from(' '.repeat(++deliveries), 'utf8')]);
}
