import 'reflect-metadata';
import { afterAll, expect } from 'vitest';

/**
 * Tests talk only to 127.0.0.1. Every fetch (forge adapters, Octokit) goes through here: a request to any other
 * host is refused before it leaves the process, and the test file fails at the end naming it — even when the
 * code under test swallowed the error.
 */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const outbound: string[] = [];
const realFetch = globalThis.fetch;

globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  if (!LOOPBACK.has(url.hostname)) {
    outbound.push(`${init?.method ?? 'GET'} ${url.origin}${url.pathname}`);
    throw new TypeError(`fetch failed: tests may only reach 127.0.0.1 (refused ${url.origin})`);
  }
  return realFetch(input, init);
}) as typeof fetch;

afterAll(() => {
  expect(outbound, 'requests to addresses other than 127.0.0.1').toEqual([]);
});
