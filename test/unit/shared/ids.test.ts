import { describe, expect, it } from 'vitest';
import { isUuid, newId } from '../../../src/shared/ids.js';

describe('newId: UUID v7 from a pool of random bytes', () => {
  it('makes distinct, valid version-7 ids that increase, also many within one millisecond', () => {
    const ids = Array.from({ length: 5_000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
  });

  it('carries the time it was made in its first 48 bits', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    const ms = parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });
});
