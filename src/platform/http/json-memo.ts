import { createHash } from 'node:crypto';
import { type Response } from 'express';

interface Serialised {
  readonly body: Buffer;
  readonly etag: string;
}

/**
 * JSON answers derived from a value that never changes while it is held (a cached repositories list): serialised
 * once, with a strong ETag over the bytes, instead of at every request (the full picker list is ≈ 1 MB of JSON).
 * Keyed weakly by that value, so an entry goes when the value leaves its cache. express answers a matching
 * If-None-Match with 304 and no body; `Cache-Control: private, no-cache` lets a browser keep the list and revalidate it.
 */
export class JsonMemo {
  private readonly bodies = new WeakMap<object, Serialised>();

  /** `body` must be a pure function of `key`: the first answer for a key is the answer for all of them. */
  send(res: Response, key: object, body: () => unknown): void {
    let serialised = this.bodies.get(key);
    if (!serialised) {
      const bytes = Buffer.from(JSON.stringify(body()), 'utf8');
      serialised = { body: bytes, etag: `"${createHash('sha256').update(bytes).digest('base64url')}"` };
      this.bodies.set(key, serialised);
    }
    res.setHeader('ETag', serialised.etag);
    res.setHeader('Cache-Control', 'private, no-cache');
    res.type('application/json').send(serialised.body);
  }
}
