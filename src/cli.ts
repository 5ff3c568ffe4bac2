import { parseArgs } from 'node:util';
import { type AddressInfo } from 'node:net';
import { z } from 'zod';
import { type MikroORM } from '@mikro-orm/postgresql';
import { ConfigError, loadConfig, type Config } from './config.js';
import { prepareRuntime, type Runtime } from './runtime.js';
import { ROLES } from './modules/identity/domain/actor.js';
import { type SecretCipher } from './platform/crypto/secret-cipher.js';
import { type IdentityService } from './modules/identity/application/identity-service.js';
import { isUuid } from './shared/ids.js';
import { forgelinkVersion } from './platform/version.js';

// Heavy modules (the ORM, express, the forge clients) are imported by the command that needs them, so
// `forgelink --version` and the short admin commands do not pay for the HTTP server (docs/benchmarks.md, CLI).
const USAGE = `forgelink <command>
  start                                   migrate, then serve (what npm start runs)
  migrate                                 apply database migrations
  serve                                   run the HTTP server and the outbox relay
  org create --name NAME                  → {"id": "..."}
  member add --org ORG_ID --user USER_ID --role owner|admin|member   → {"userId", "role", "apiKey"}
  key rotate --org ORG_ID --user USER_ID  → {"apiKey": "..."}
  secrets rewrap                          re-encrypt every secret under the current master key → {"providers": n, "hooks": n, "subscriptions": n}
Each command prints one JSON object on stdout; progress goes to stderr.`;

const say = (message: string): void => {
  process.stderr.write(`forgelink: ${message}\n`);
};
const print = (value: object): void => {
  process.stdout.write(JSON.stringify(value) + '\n');
};

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(forgelinkVersion().version + '\n');
    return 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'migrate':
      return withDatabase(config, async (orm, cipher) => {
        print({ applied: await runMigrations(orm, cipher) });
      });
    case 'serve':
    case 'start':
      return serve(config, command === 'start');
    case 'org':
      if (sub !== 'create') throw new UsageError('org create --name NAME');
      return withIdentity(config, async (identity) => {
        const { values } = parseArgs({ args: rest, options: { name: { type: 'string' } }, strict: true });
        const name = z.string().trim().min(1).max(200).safeParse(values.name);
        if (!name.success) throw new UsageError('--name is required (1–200 characters)');
        print(await identity.createOrganization(name.data));
      });
    case 'member':
      if (sub !== 'add') throw new UsageError('member add --org ORG_ID --user USER_ID --role owner|admin|member');
      return withIdentity(config, async (identity) => {
        const { values } = parseArgs({
          args: rest,
          options: { org: { type: 'string' }, user: { type: 'string' }, role: { type: 'string' } },
          strict: true,
        });
        const role = z.enum(ROLES).safeParse(values.role);
        if (!values.org || !isUuid(values.org) || !values.user || !role.success)
          throw new UsageError('member add --org ORG_ID --user USER_ID --role owner|admin|member');
        const result = await identity.addMember({ organizationId: values.org, userId: values.user, role: role.data });
        if (!result.ok) throw new Error(result.error.detail);
        print(result.value);
      });
    case 'key':
      if (sub !== 'rotate') throw new UsageError('key rotate --org ORG_ID --user USER_ID');
      return withIdentity(config, async (identity) => {
        const { values } = parseArgs({ args: rest, options: { org: { type: 'string' }, user: { type: 'string' } }, strict: true });
        if (!values.org || !isUuid(values.org) || !values.user) throw new UsageError('key rotate --org ORG_ID --user USER_ID');
        const result = await identity.rotateKey({ organizationId: values.org, userId: values.user });
        if (!result.ok) throw new Error(result.error.detail);
        print(result.value);
      });
    case 'secrets':
      if (sub !== 'rewrap') throw new UsageError('secrets rewrap');
      return withDatabase(config, async (orm, cipher) => {
        await runMigrations(orm, cipher, { quietWhenCurrent: true });
        const { rewrapSecrets } = await import('./platform/database/rewrap-secrets.js');
        print(await rewrapSecrets(orm.em.getKnex(), cipher, say));
      });
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function withRuntime(config: Config, work: (runtime: Runtime) => Promise<void>): Promise<number> {
  const runtime = await prepareRuntime(config, say);
  try {
    await work(runtime);
    return 0;
  } finally {
    await runtime.stop();
  }
}

/** One database connection (pool of 2) for a short command. */
async function withDatabase(
  config: Config,
  work: (orm: MikroORM, cipher: SecretCipher, runtime: Runtime) => Promise<void>,
): Promise<number> {
  return withRuntime(config, (runtime) => withOrm(runtime, (orm, cipher) => work(orm, cipher, runtime)));
}

async function withOrm(runtime: Runtime, work: (orm: MikroORM, cipher: SecretCipher) => Promise<void>): Promise<void> {
  const [{ SecretCipher: Cipher }, { openDatabase }] = await Promise.all([
    import('./platform/crypto/secret-cipher.js'),
    import('./database.js'),
  ]);
  const cipher = new Cipher(runtime.config.masterKey, runtime.config.oldMasterKeys);
  const orm = await openDatabase({ databaseUrl: runtime.config.databaseUrl, cipher, poolMax: 2 });
  try {
    await work(orm, cipher);
  } finally {
    await orm.close(true);
  }
}

/**
 * Applies pending migrations, printing progress on stderr, then makes sure the master-key check is stored and
 * matches (a wrong key fails here, in one line). `quietWhenCurrent`: the admin commands migrate too, but only
 * speak (and pay for the migrator) when something is pending.
 */
async function runMigrations(orm: MikroORM, cipher: SecretCipher, options: { quietWhenCurrent?: boolean } = {}): Promise<string[]> {
  const [{ migrate }, { ensureKeyCheck, pendingMigrations }] = await Promise.all([
    import('./database.js'),
    import('./platform/database/readiness.js'),
  ]);
  const knex = orm.em.getKnex();
  if (options.quietWhenCurrent && (await pendingMigrations(knex)).length === 0) return [];
  const applied = await migrate(orm, say);
  await ensureKeyCheck(knex, cipher);
  return applied;
}

/**
 * The identity commands (org create, member add, key rotate) run on a plain `pg` connection, without MikroORM,
 * which alone costs more start-up time than the rest of the command (docs/benchmarks.md, P6). Like every admin
 * command they apply pending migrations first; only then is the ORM (and its migrator) loaded.
 */
async function withIdentity(config: Config, work: (identity: IdentityService) => Promise<void>): Promise<number> {
  return withRuntime(config, async (runtime) => {
    const [{ default: pg }, { pendingOf, shippedMigrationNames }, { PgUnitOfWork }, { PgIdentityRepository }, { IdentityService }, keys] =
      await Promise.all([
        import('pg'),
        import('./platform/database/migration-state.js'),
        import('./platform/database/pg-unit-of-work.js'),
        import('./modules/identity/infrastructure/persistence/pg-identity.repository.js'),
        import('./modules/identity/application/identity-service.js'),
        import('./platform/crypto/api-keys.js'),
      ]);
    const pool = new pg.Pool({ connectionString: runtime.config.databaseUrl, max: 1 });
    // An idle connection the server drops (it is stopping) must not crash the command: the next query reconnects.
    pool.on('error', (error) => say(`a database connection was closed while idle: ${error.message}`));
    try {
      const pending = await pendingOf((sql) => pool.query(sql), shippedMigrationNames());
      if (pending.length > 0) await withOrm(runtime, async (orm, cipher) => void (await runMigrations(orm, cipher)));
      const uow = new PgUnitOfWork(pool);
      await work(new IdentityService(uow, new PgIdentityRepository(uow), { generate: keys.generateApiKey, hash: keys.hashApiKey }));
    } finally {
      await pool.end();
    }
  });
}

async function serve(config: Config, migrateFirst: boolean): Promise<number> {
  const runtime = await prepareRuntime(config, say, { server: true });
  try {
    await preflight(runtime, migrateFirst);
    const { createApplication } = await import('./app.js');
    const app = await createApplication(runtime.config);
    const server = app.http.listen(runtime.config.port, runtime.config.host);
    // A reverse proxy keeps idle connections to its upstreams and reuses them; when Node closes one first (its default:
    // 5 s idle) just as the proxy sends a request on it, that request fails (502). The proxy must close first: keep
    // idle connections 75 s, longer than nginx's and cloud load balancers' 60 s (deploy/Caddyfile sets Caddy's to 60 s).
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const { port } = server.address() as AddressInfo;
    const host = runtime.config.host.includes(':') ? `[${runtime.config.host}]` : runtime.config.host;
    app.urls.setDefault(`http://${host}:${port}`);
    app.logger.info(
      { port, url: `http://${host}:${port}`, publicUrl: app.urls.publicUrl, embeddedDatabase: Boolean(runtime.embedded) },
      `forgelink listening on http://${host}:${port}`,
    );
    say(`listening on http://${host}:${port} (pid ${process.pid}: Ctrl-C or \`kill -TERM ${process.pid}\` stops it)`);

    await new Promise<void>((resolve) => {
      const shutdown = (signal: string): void => {
        say(`${signal}: shutting down`);
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 10_000).unref();
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
    await app.relay.drain().catch(() => undefined);
    await app.close();
    return 0;
  } finally {
    await runtime.stop();
  }
}

/**
 * Before serving: (`start`) apply migrations, then require what /readyz requires — the database answers, every
 * migration is applied, the master key decrypts the stored key check (written here if absent). Anything else
 * stops start-up with one line that says what to run, instead of a server whose every call fails.
 */
async function preflight(runtime: Runtime, migrateFirst: boolean): Promise<void> {
  const [{ SecretCipher: Cipher }, { openDatabase }, { ensureReady, NotReadyError, databaseProblem }] = await Promise.all([
    import('./platform/crypto/secret-cipher.js'),
    import('./database.js'),
    import('./platform/database/readiness.js'),
  ]);
  const cipher = new Cipher(runtime.config.masterKey, runtime.config.oldMasterKeys);
  let orm: MikroORM | undefined;
  try {
    orm = await openDatabase({ databaseUrl: runtime.config.databaseUrl, cipher, poolMax: 2 });
    if (migrateFirst) await runMigrations(orm, cipher);
    await ensureReady(orm.em.getKnex(), cipher);
  } catch (error) {
    if (error instanceof NotReadyError) throw new StartupError(error.message);
    if (isConnectionFailure(error)) throw new StartupError(databaseProblem(error).operatorDetail);
    throw error;
  } finally {
    await orm?.close(true);
  }
}

/** How long an idle keep-alive connection stays open (docs/operations.md, "Behind a reverse proxy"). */
const KEEP_ALIVE_TIMEOUT_MS = 75_000;

/** A start-up refusal: printed as the one line it is, no stack. */
class StartupError extends Error {}

/** Socket errors, and PostgreSQL's connection (08), authentication (28), unknown-database and starting-up states. */
const isConnectionFailure = (error: unknown): boolean => {
  const code = String((error as { code?: unknown }).code ?? '');
  return (
    /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|08\w{3}|28\w{3}|3D000|57P0[1-3])$/.test(code) ||
    /timeout acquiring a connection|Connection terminated/i.test(error instanceof Error ? error.message : '')
  );
};

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) say(error.message);
    else if (error instanceof UsageError) say(`usage: ${error.message}\n${USAGE}`);
    else say(error instanceof Error ? error.message : String(error));
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
