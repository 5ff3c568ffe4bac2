import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

/** Random bytes for 256 ids, filled at once: one call into the CSPRNG per 256 ids instead of one per id. */
const pool = new Uint8Array(16 * 256);
let next = pool.length;

function random16(): Uint8Array {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const bytes = pool.subarray(next, next + 16);
  next += 16;
  return bytes;
}

/** The millisecond and counter of the last id (RFC 9562 §6.2 method 1, as the uuid package keeps them). */
let lastMs = -Infinity;
let counter = 0;

/**
 * Time-ordered UUID v7 (RFC 9562): index-friendly primary keys and event ids, increasing also within one
 * millisecond (a 31-bit counter seeded at random each millisecond). The uuid package encodes; the random bytes
 * come from a pool, and the counter is kept here because the package keeps it only when it draws the bytes itself.
 */
export function newId(): string {
  const random = random16();
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = (((random[6] ?? 0) & 0x7f) << 24) | ((random[7] ?? 0) << 16) | ((random[8] ?? 0) << 8) | (random[9] ?? 0);
  } else {
    counter = (counter + 1) | 0;
    if (counter === 0) lastMs++;
  }
  return v7({ random, msecs: lastMs, seq: counter });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);
