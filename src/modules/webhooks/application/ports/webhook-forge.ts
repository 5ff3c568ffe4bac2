import { type ParsedWebhook } from '../../domain/push.js';

export interface IncomingWebhook {
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Buffer;
}

/**
 * One per forge: how it signs, names and identifies deliveries, and what its payload means.
 * `verify` runs on the raw bytes before anything is parsed.
 */
export interface WebhookForge {
  /** The forge's delivery id (dedup key), or undefined when the request carries none. */
  deliveryId(request: IncomingWebhook): string | undefined;
  /** The forge's event name (X-GitHub-Event, X-Gitlab-Event, ...), or undefined. */
  eventName(request: IncomingWebhook): string | undefined;
  /**
   * Constant-time check of the request against the candidate secrets (a provider's app secret, or every
   * hook secret registered for it). False when no secret is configured or the header is missing: never fail open.
   */
  verify(request: IncomingWebhook, secrets: readonly string[]): boolean;
  /**
   * The payload's JSON text from a verified body: the body itself, or (GitHub) the form's `payload` field.
   * Throws WebhookBodyError when the body cannot hold a payload.
   */
  payloadText(request: IncomingWebhook): string;
  /** Interprets an authentic payload. Throws only for JSON that is not an object; unknown events are 'ignored'. */
  parse(eventName: string | undefined, payload: unknown): ParsedWebhook;
}

/** Each provider type's WebhookForge (the forge plug-ins'), and where its deliveries' secrets come from. */
export interface WebhookForges {
  readonly forges: Readonly<Record<string, WebhookForge>>;
  /** True when the provider's own stored `webhookSecret` signs its deliveries (an app-level hook); else each repository hook's secret does. */
  signedByProvider(type: string): boolean;
}

/** A verified body that holds no payload (a form without its `payload` field): answered 400. */
export class WebhookBodyError extends Error {
  override name = 'WebhookBodyError';
}
