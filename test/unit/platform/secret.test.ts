import { describe, it, expect } from 'vitest';
import { format, inspect } from 'node:util';
import { createLogger } from '../../../src/platform/logging/logger.js';
import { Secret } from '../../../src/shared/secret.js';

const VALUE = 'ghp_s3cr3t-value-1234';

describe('Secret', () => {
  const secret = Secret.of(VALUE);

  it('reveals its value only when asked', () => {
    expect(secret.reveal()).toBe(VALUE);
  });

  it.each([
    ['String()', () => String(secret)],
    ['template literal', () => `token=${secret}`],
    ['string concatenation', () => 'token=' + secret],
    ['JSON.stringify', () => JSON.stringify({ token: secret, nested: { list: [secret] } })],
    ['util.inspect', () => inspect(secret)],
    ['util.inspect nested, deep', () => inspect({ a: { b: { token: secret } } }, { depth: 10, showHidden: true })],
    ['util.format %s', () => format('%s', secret)],
    ['util.format %o', () => format('%o', { token: secret })],
    ['util.format %O', () => format('%O', secret)],
    ['util.format %j', () => format('%j', { token: secret })],
    ['util.format with no placeholder (console.log)', () => format('token', secret)],
  ])('never prints itself: %s', (_how, render) => {
    const text = render();
    expect(text).not.toContain(VALUE);
    expect(text).not.toContain('s3cr3t');
    expect(text).toContain('redacted');
  });

  it('has no enumerable property that holds the value', () => {
    expect(Object.keys(secret)).toEqual([]);
    expect(Object.getOwnPropertyNames(secret)).toEqual([]);
    expect({ ...secret }).toEqual({});
  });

  it('a pino log line shows it redacted even under a key the logger does not know', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    logger.info({ credential: secret, deep: { value: secret } }, `using ${secret}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(VALUE);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      credential: '[redacted]',
      deep: { value: '[redacted]' },
      msg: 'using [redacted]',
    });
  });

  it('compares by value without revealing', () => {
    expect(secret.equals(Secret.of(VALUE))).toBe(true);
    expect(secret.equals(Secret.of('other'))).toBe(false);
  });

  it('refuses an empty secret', () => {
    expect(() => Secret.of('')).toThrow();
  });
});
