import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Field names whose values never reach a log line, wherever they appear in a logged object. */
const SECRET_KEYS = [
  'authorization', 'cookie', 'privateKey', 'private_key', 'pem', 'webhookSecret', 'webhook_secret', 'clientSecret', 'client_secret',
  'secret', 'accessToken', 'access_token', 'refreshToken', 'refresh_token', 'apiToken', 'appPassword', 'password', 'token', 'apiKey', 'state',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const paths = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `req.headers.${key}`]);
  return pino(
    {
      level,
      base: { service: 'forgelink' },
      redact: { paths, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
