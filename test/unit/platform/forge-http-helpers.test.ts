import { describe, it, expect } from 'vitest';
import { ConditionalCache, mapLimit, parseLinkHeader, retryAfterSeconds } from '../../../src/forges/shared/forge-http.js';

describe('parseLinkHeader', () => {
  it('reads GitHub/Gitea paging links', () => {
    const header =
      '<https://api.github.com/user/repos?page=2&per_page=100>; rel="next", <https://api.github.com/user/repos?page=5&per_page=100>; rel="last"';
    expect(parseLinkHeader(header)).toEqual({
      next: 'https://api.github.com/user/repos?page=2&per_page=100',
      last: 'https://api.github.com/user/repos?page=5&per_page=100',
    });
  });

  it('reads unquoted rels, several rels in one link, extra parameters and odd spacing', () => {
    const header =
      '<https://gitlab.example.com/api/v4/projects?page=1>;rel=first,<https://gitlab.example.com/api/v4/projects?page=3>;  title="x"; rel="prev previous"';
    expect(parseLinkHeader(header)).toEqual({
      first: 'https://gitlab.example.com/api/v4/projects?page=1',
      prev: 'https://gitlab.example.com/api/v4/projects?page=3',
      previous: 'https://gitlab.example.com/api/v4/projects?page=3',
    });
  });

  it('keeps a URL that contains a comma', () => {
    const header =
      '<https://api.github.com/search/code?q=a,b&page=2>; rel="next", <https://api.github.com/search/code?q=a,b&page=9>; rel="last"';
    expect(parseLinkHeader(header)).toEqual({
      next: 'https://api.github.com/search/code?q=a,b&page=2',
      last: 'https://api.github.com/search/code?q=a,b&page=9',
    });
  });

  it('answers {} for a missing, empty or malformed header', () => {
    expect(parseLinkHeader(null)).toEqual({});
    expect(parseLinkHeader('')).toEqual({});
    expect(parseLinkHeader('garbage; rel="next"')).toEqual({});
    expect(parseLinkHeader('<https://x.example/a>; title="no rel"')).toEqual({});
  });
});

describe('retryAfterSeconds', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const h = (init: Record<string, string>): Headers => new Headers(init);

  it('reads Retry-After in seconds (rounded up, at least 1)', () => {
    expect(retryAfterSeconds(h({ 'retry-after': '120' }), now)).toBe(120);
    expect(retryAfterSeconds(h({ 'retry-after': '1.2' }), now)).toBe(2);
    expect(retryAfterSeconds(h({ 'retry-after': '0' }), now)).toBe(1);
  });

  it('reads Retry-After as an HTTP date', () => {
    expect(retryAfterSeconds(h({ 'retry-after': 'Thu, 01 Jan 2026 00:01:30 GMT' }), now)).toBe(90);
    expect(retryAfterSeconds(h({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }), now)).toBe(1);
  });

  it('falls back to x-ratelimit-reset as epoch seconds (GitHub, GitLab) or as seconds from now (ratelimit-reset)', () => {
    expect(retryAfterSeconds(h({ 'x-ratelimit-reset': String(now / 1000 + 300) }), now)).toBe(300);
    expect(retryAfterSeconds(h({ 'x-ratelimit-reset': String(now / 1000 - 5) }), now)).toBe(1);
    expect(retryAfterSeconds(h({ 'ratelimit-reset': '42' }), now)).toBe(42);
  });

  it('prefers Retry-After over the reset header', () => {
    expect(retryAfterSeconds(h({ 'retry-after': '7', 'x-ratelimit-reset': String(now / 1000 + 300) }), now)).toBe(7);
  });

  it('answers undefined when nothing usable is there', () => {
    expect(retryAfterSeconds(h({}), now)).toBeUndefined();
    expect(retryAfterSeconds(h({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterSeconds(h({ 'x-ratelimit-reset': 'later' }), now)).toBeUndefined();
  });
});

describe('ConditionalCache', () => {
  it('stores and returns an answer by key', () => {
    const cache = new ConditionalCache();
    cache.set('a', { etag: 'W/"1"', data: [1] });
    expect(cache.get('a')).toEqual({ etag: 'W/"1"', data: [1] });
    expect(cache.get('b')).toBeUndefined();
    cache.set('a', { etag: 'W/"2"', data: [2] });
    expect(cache.get('a')?.etag).toBe('W/"2"');
  });

  it('evicts the least recently used entry beyond its bound', () => {
    const cache = new ConditionalCache(2);
    cache.set('a', { etag: 'a', data: 1 });
    cache.set('b', { etag: 'b', data: 2 });
    cache.get('a');
    cache.set('c', { etag: 'c', data: 3 });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.etag).toBe('a');
    expect(cache.get('c')?.etag).toBe('c');
    cache.set('c', { etag: 'c2', data: 4 });
    expect(cache.get('a')?.etag).toBe('a');
  });
});

describe('mapLimit', () => {
  it('keeps the input order and never exceeds the limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 20 }, (_, i) => i);
    const result = await mapLimit(items, 3, async (item, index) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, (20 - item) % 4));
      inFlight--;
      return `${item}:${index}`;
    });
    expect(result).toEqual(items.map((i) => `${i}:${i}`));
    expect(peak).toBe(3);
  });

  it('handles an empty list and a limit above the length', async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
    expect(await mapLimit([1, 2], 10, async (x) => x * 2)).toEqual([2, 4]);
  });

  it('rejects when one call fails', async () => {
    await expect(
      mapLimit([1, 2, 3], 2, async (x) => {
        if (x === 2) throw new Error('boom');
        return x;
      }),
    ).rejects.toThrow('boom');
  });

  it('starts no new call after a failure: a rate-limited listing stops asking for pages', async () => {
    const started: number[] = [];
    const items = Array.from({ length: 20 }, (_, i) => i);
    await expect(
      mapLimit(items, 4, async (x) => {
        started.push(x);
        await new Promise((r) => setTimeout(r, 1));
        if (x === 5) throw new Error('rate limited');
        return x;
      }),
    ).rejects.toThrow('rate limited');
    await new Promise((r) => setTimeout(r, 30));
    // Item 5 was started with at most 3 others in flight; none of the later ones may start after it failed.
    expect(Math.max(...started)).toBeLessThanOrEqual(5 + 3);
    expect(started.length).toBeLessThan(items.length);
  });

  it('throws on a limit below 1 rather than silently answering holes', async () => {
    await expect(mapLimit([1, 2, 3], 0, async (x) => x + 1)).rejects.toThrow(RangeError);
    await expect(mapLimit([1, 2], Number.NaN, async (x) => x)).rejects.toThrow(RangeError);
  });
});
