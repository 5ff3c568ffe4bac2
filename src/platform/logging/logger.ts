import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Field names (compared case-insensitively) whose values never reach a log line, wherever they appear in a logged object. */
const SECRET_KEYS = new Set(
  [
    'authorization',
    'cookie',
    'privateKey',
    'private_key',
    'pem',
    'webhookSecret',
    'webhook_secret',
    'clientSecret',
    'client_secret',
    'secret',
    'accessToken',
    'access_token',
    'refreshToken',
    'refresh_token',
    'apiToken',
    'appPassword',
    'password',
    'token',
    'apiKey',
    'state',
  ].map((key) => key.toLowerCase()),
);

const CENSOR = '[redacted]';
const TOO_DEEP = '[too deep]';

/**
 * Without a destination: stdout through a buffer written every 4 KiB or 250 ms (one write per ~20 request lines
 * instead of one each, the hot path's largest syscall after the database's); pino flushes it synchronously at exit.
 */
export function createLogger(
  level: string,
  destination: DestinationStream = pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 }),
): Logger {
  return pino(
    {
      level,
      base: { service: 'forgelink' },
      // Secret fields are censored by sanitize(), at any depth, in the one walk it makes over every line anyway
      // (pino's path-based `redact` needed four wildcard paths per key and cost more than the rest of a line).
      // Errors are serialised by sanitize() (pino's err serializer, then redaction), wherever they sit; pino's own
      // err serializer would serialise that plain object again and lose its type.
      serializers: { err: (value: unknown) => value },
      // Every field of every line (errors included), and every message: no URL keeps its userinfo or query string.
      formatters: { log: (object) => sanitize(object, 0) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          // logger.warn(error): pino would take the message from the error itself, past this hook.
          const [first, ...rest] = args as unknown[];
          const normalized =
            first instanceof Error ? [{ err: first }, typeof rest[0] === 'string' ? rest[0] : first.message, ...rest.slice(1)] : args;
          method.apply(this, normalized.map((arg) => (typeof arg === 'string' ? redactUrls(arg) : arg)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/**
 * URL userinfo and query strings in any text, whatever the scheme (`https://user:pass@host/p?q=1` →
 * `https://[redacted]@host/p?[redacted]`; `postgres://u:p@db/x` too). A token typed into a URL, a signed state or
 * a code in a callback URL, a password in a connection string: none of them reaches a log line.
 */
export function redactUrls(text: string): string {
  if (!text.includes('://')) return text;
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>]*@/gi, '$1[redacted]@')
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)\?[^\s#"'<>]*/gi, '$1?[redacted]');
}

/**
 * A request path fit for a log line: the query string dropped, and any segment that is not a plain id (letters,
 * digits, `.`, `_`, `~`, `:`, `-`; at most 200) replaced, so raw values sent in a path are not copied into logs.
 */
export function loggablePath(originalUrl: string): string {
  const path = originalUrl.split('?')[0] ?? '';
  return path
    .split('/')
    .map((segment) => (/^[\w.~:-]{0,200}$/.test(segment) ? segment : '[redacted]'))
    .join('/');
}

const MAX_DEPTH = 8;

/**
 * Strings through redactUrls, the values of SECRET_KEYS censored, errors serialised first (without `input`: Node's
 * URL errors carry the raw value).
 */
function sanitize(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactUrls(value);
  if (value === null || typeof value !== 'object') return value;
  // Deeper than any line forgelink logs: not walked, so not written either (it could hold a secret field).
  if (depth > MAX_DEPTH) return TOO_DEEP;
  if (value instanceof Error) {
    const { input: _input, ...serialized } = pino.stdSerializers.err(value) as unknown as Record<string, unknown>;
    return sanitize(serialized, depth + 1);
  }
  if (Array.isArray(value)) return value.map((item) => sanitize(item, depth + 1));
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  // A value that says how it serialises (Secret → "[redacted]") is logged that way.
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return sanitize(toJSON.call(value), depth + 1);
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>))
    out[key] = SECRET_KEYS.has(key.toLowerCase()) ? CENSOR : sanitize(inner, depth + 1);
  return out;
}
