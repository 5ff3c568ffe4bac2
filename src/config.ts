import { isIP } from 'node:net';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const httpUrl = z.url({ protocol: /^https?$/ });
const list = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/**
 * FORGE_URL_ALLOWLIST entries are matched against a URL's host (`gitea.internal`, `10.0.0.5`, `fd00::1`) or
 * host:port (`gitlab.corp:8443`, `[fd00::1]:3000`), so anything else (a scheme, a path, credentials) would
 * silently match nothing: refuse it.
 */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;
export function allowlistEntryProblem(entry: string): string | null {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const plain = /^([^:]+)(?::(\d+))?$/.exec(entry);
  const [host, portText] = bracketed
    ? [bracketed[1] ?? '', bracketed[2]]
    : isIP(entry) === 6
      ? [entry, undefined]
      : plain
        ? [plain[1] ?? '', plain[2]]
        : ['', undefined];
  const hostOk = bracketed ? isIP(host) === 6 : isIP(host) === 4 || isIP(host) === 6 || HOST_NAME.test(host);
  const portOk = portText === undefined || (Number(portText) >= 1 && Number(portText) <= 65535);
  if (hostOk && portOk) return null;
  const hint = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? ` (write the host without the scheme: ${safeHost(entry)})` : '';
  return `"${entry}" is not a host or host:port${hint}`;
}
const safeHost = (entry: string): string => {
  try {
    return new URL(entry).host || 'host:port';
  } catch {
    return 'host:port';
  }
};

/**
 * TRUST_PROXY, as express's `trust proxy` setting: `true` (every hop), a hop count (`1`), or a comma list of
 * `loopback`, `linklocal`, `uniquelocal`, addresses and CIDR ranges. Only then is X-Forwarded-For believed.
 */
export type TrustProxy = boolean | number | readonly string[];
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
function parseTrustProxy(value: string, ctx: z.RefinementCtx): TrustProxy {
  const text = value.trim();
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^\d+$/.test(text)) return Number(text);
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = entries.filter((entry) => {
    if (PROXY_NAMES.has(entry)) return false;
    const [address = '', prefix, ...extra] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || extra.length > 0) return true;
    return prefix !== undefined && !(/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
  });
  if (entries.length === 0 || bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `${bad.length ? `"${bad.join('", "')}" ${bad.length === 1 ? 'is' : 'are'} not` : 'is not'} a hop count, true/false, loopback/linklocal/uniquelocal, an IP address or a CIDR range`,
    });
    return z.NEVER;
  }
  return entries;
}

const masterKey = z.string().refine((value) => Buffer.from(value, 'base64').length === 32, 'must be a base64-encoded 32-byte key');

const schema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  FORGELINK_MASTER_KEY: masterKey.optional(),
  FORGELINK_MASTER_KEYS_OLD: list.pipe(z.array(masterKey)),
  FORGELINK_DATA_DIR: z.string().min(1).default('./.forgelink'),
  PUBLIC_URL: httpUrl.optional(),
  DASHBOARD_URL: httpUrl.optional(),
  FORGE_URL_ALLOWLIST: list.superRefine((entries, ctx) => {
    for (const entry of entries) {
      const problem = allowlistEntryProblem(entry);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
  }),
  BITBUCKET_API_URL: httpUrl.default('https://api.bitbucket.org/2.0'),
  EVENT_BROKER_URL: z.url({ protocol: /^(nats|tls)$/ }).optional(),
  FORGELINK_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(90),
  FORGELINK_COMMIT_STATUS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 32`)')
    .regex(/^\S+$/, 'must not contain spaces')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.string().transform(parseTrustProxy).optional(),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Undefined: start the embedded PostgreSQL under dataDir. */
  readonly databaseUrl?: string;
  /** Undefined only with the embedded database, where it is generated into dataDir/master.key. */
  readonly masterKey?: string;
  readonly oldMasterKeys: readonly string[];
  readonly dataDir: string;
  /** Undefined: http://HOST:PORT once the port is known. */
  readonly publicUrl?: string;
  readonly dashboardUrl?: string;
  readonly forgeUrlAllowlist: readonly string[];
  readonly bitbucketApiUrl: string;
  readonly eventBrokerUrl?: string;
  /** Days published events and delivery records are kept; 0 keeps them forever. */
  readonly retentionDays: number;
  /** Attempts to post one commit status before it is given up (`failed`); undefined: 8. */
  readonly commitStatusMaxAttempts?: number;
  readonly logLevel: string;
  /** When set, `GET /metrics` asks for it as a bearer token; unset, `/metrics` is open on the bind address. */
  readonly metricsToken?: string;
  /** express `trust proxy`; false (the default) logs the socket's address, never X-Forwarded-For. */
  readonly trustProxy?: TrustProxy;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The only reader of process.env. A wrong value stops start-up with a message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blank = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = schema.safeParse(blank);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`));
  }
  const e = parsed.data;
  if (e.DATABASE_URL && !e.FORGELINK_MASTER_KEY) {
    throw new ConfigError([
      'FORGELINK_MASTER_KEY: required when DATABASE_URL is set (base64 of 32 random bytes: `openssl rand -base64 32`)',
    ]);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    masterKey: e.FORGELINK_MASTER_KEY,
    oldMasterKeys: e.FORGELINK_MASTER_KEYS_OLD,
    dataDir: e.FORGELINK_DATA_DIR,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    dashboardUrl: e.DASHBOARD_URL?.replace(/\/+$/, ''),
    forgeUrlAllowlist: e.FORGE_URL_ALLOWLIST,
    bitbucketApiUrl: e.BITBUCKET_API_URL.replace(/\/+$/, ''),
    eventBrokerUrl: e.EVENT_BROKER_URL,
    retentionDays: e.FORGELINK_RETENTION_DAYS,
    commitStatusMaxAttempts: e.FORGELINK_COMMIT_STATUS_MAX_ATTEMPTS,
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN,
    trustProxy: e.TRUST_PROXY ?? false,
  };
}
