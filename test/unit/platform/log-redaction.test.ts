import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, loggablePath, redactUrls } from '../../../src/platform/logging/logger.js';

describe('log redaction of URLs (finding 7: a credential inside a URL was logged)', () => {
  it.each([
    ['https://oauth2:glpat-SECRET@gitlab.example.com:99999', 'https://[redacted]@gitlab.example.com:99999'],
    ['GET https://h.example.com/api?token=SECRET&x=1 failed', 'GET https://h.example.com/api?[redacted] failed'],
    ['postgres://forgelink:SECRET@db:5432/forgelink', 'postgres://[redacted]@db:5432/forgelink'],
    ['nats://u:SECRET@broker:4222', 'nats://[redacted]@broker:4222'],
    ['see "http://a:b@SECRET@host/x?y=SECRET#frag"', 'see "http://[redacted]@host/x?[redacted]#frag"'],
  ])('%s', (input, expected) => {
    expect(redactUrls(input)).toBe(expected);
    expect(redactUrls(input)).not.toContain('SECRET');
  });

  it('leaves text without URLs alone, and paths keep plain ids only', () => {
    expect(redactUrls('listing repositories of acme/api')).toBe('listing repositories of acme/api');
    expect(loggablePath('/v1/git-providers/0193a1b2-0000-7000-8000-000000000000/branches?repository=x')).toBe(
      '/v1/git-providers/0193a1b2-0000-7000-8000-000000000000/branches',
    );
    expect(loggablePath('/v1/services/application/https%3A%2F%2Fu%3ASECRET%40h/source')).toBe('/v1/services/application/[redacted]/source');
  });

  it('every field, nested object, error (message, stack, input) and message of a real log line is redacted', () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
    let urlError: unknown;
    try {
      new URL('https://oauth2:SECRET1@gitlab.example.com:99999');
    } catch (error) {
      urlError = error;
    }
    logger.error({ err: urlError, detail: { nested: ['x https://u:SECRET2@h/p?q=SECRET3'] } }, 'calling https://h/p?code=SECRET4 failed');
    logger.warn(new Error('fetch https://u:SECRET5@h/ failed'));
    const text = lines.join('');
    expect(lines).toHaveLength(2);
    for (const n of [1, 2, 3, 4, 5]) expect(text).not.toContain(`SECRET${n}`);
    expect(text).toContain('[redacted]');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      level: 50,
      msg: 'calling https://h/p?[redacted] failed',
      err: { type: 'TypeError' },
    });
  });

  it('censors the value of every secret field name at any depth and in any letter case, and leaves other fields alone', () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
    logger.info(
      {
        webhookSecret: 'SECRET1',
        headers: { Authorization: 'Bearer SECRET2', 'x-request-id': 'r-1' },
        provider: { settings: { oauth: { credentials: [{ client_secret: 'SECRET3', clientId: 'client-1' }] } } },
        a: { b: { c: { d: { e: { PrivateKey: 'SECRET4', token: { value: 'SECRET5' } } } } } },
        secretsVersion: 'v-1',
      },
      'configured',
    );
    const text = lines.join('');
    for (const n of [1, 2, 3, 4, 5]) expect(text).not.toContain(`SECRET${n}`);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({
      webhookSecret: '[redacted]',
      headers: { Authorization: '[redacted]', 'x-request-id': 'r-1' },
      provider: { settings: { oauth: { credentials: [{ client_secret: '[redacted]', clientId: 'client-1' }] } } },
      a: { b: { c: { d: { e: { PrivateKey: '[redacted]', token: '[redacted]' } } } } },
      secretsVersion: 'v-1',
    });
  });

  it('an object nested deeper than the walk goes is replaced, not written unredacted', () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
    let deep: Record<string, unknown> = { token: 'SECRET1', note: 'https://u:SECRET2@h/' };
    for (let i = 0; i < 12; i++) deep = { inner: deep };
    logger.info({ deep }, 'nested');
    const text = lines.join('');
    expect(text).not.toContain('SECRET1');
    expect(text).not.toContain('SECRET2');
    expect(text).toContain('[too deep]');
  });
});
