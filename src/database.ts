/** The database bootstrap: every module's entity schemas, the migrations, and the ORM configuration built from them (composition, like app.ts: platform/ may not import the modules). */
import { MikroORM, defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { type SecretCipher } from './platform/crypto/secret-cipher.js';
import { OrganizationSchema, MemberSchema } from './modules/identity/infrastructure/persistence/identity.schemas.js';
import { ConsoleSessionSchema } from './modules/identity/infrastructure/persistence/console-session.schema.js';
import { gitProviderSchema } from './modules/git-providers/infrastructure/persistence/git-provider.schema.js';
import { ServiceSourceSchema } from './modules/service-sources/infrastructure/persistence/service-source.schema.js';
import { OutboxMessageSchema } from './platform/outbox/outbox-message.js';
import { migrationsList } from './platform/database/migrations/index.js';

/** Where the database driver's own warnings go (knex otherwise writes them to the console). */
export interface DriverLog {
  warn(obj: object, message: string): void;
  error(obj: object, message: string): void;
}

interface DatabaseInput {
  databaseUrl: string;
  cipher: SecretCipher;
  poolMax?: number;
  log?: DriverLog;
}

export function ormConfig(input: DatabaseInput): Options {
  const log = input.log;
  return defineConfig({
    clientUrl: input.databaseUrl,
    entities: [
      OrganizationSchema,
      MemberSchema,
      ConsoleSessionSchema,
      gitProviderSchema(input.cipher),
      ServiceSourceSchema,
      OutboxMessageSchema,
    ],
    extensions: [Migrator],
    migrations: {
      migrationsList,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    dynamicImportProvider: (id: string) => import(id),
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    forceUtcTimezone: true,
    pool: { min: 0, max: input.poolMax ?? 10 },
    ...(log
      ? {
          driverOptions: {
            log: {
              warn: (message: unknown) => log.warn({ source: 'knex' }, String(message)),
              error: (message: unknown) => log.error({ source: 'knex' }, String(message)),
              deprecate: (message: unknown) => log.warn({ source: 'knex' }, String(message)),
              debug: () => undefined,
            },
          },
        }
      : {}),
    debug: false,
  });
}

export async function openDatabase(input: DatabaseInput): Promise<MikroORM> {
  return MikroORM.init(ormConfig(input));
}

/**
 * Applies every pending migration (in one transaction); returns the names applied. `progress` hears one line
 * per step (the CLI prints them on stderr).
 */
export async function migrate(orm: MikroORM, progress?: (message: string) => void): Promise<string[]> {
  const migrator = orm.getMigrator() as Migrator;
  if (!progress) return (await migrator.up()).map((m) => m.name);
  const pending = await migrator.getPendingMigrations();
  if (pending.length === 0) {
    progress('database schema is up to date');
    return [];
  }
  progress(`applying ${pending.length} migration${pending.length === 1 ? '' : 's'} in one transaction`);
  // One migration at a time inside one transaction, so each step can be reported (umzug's events are lost when
  // MikroORM rebuilds its umzug on a second ensureDatabase) while keeping all-or-nothing.
  const applied = await orm.em.getConnection().transactional(async (trx) => {
    const names: string[] = [];
    for (const migration of pending) {
      const started = Date.now();
      progress(`  ${migration.name} …`);
      names.push(...(await migrator.up({ migrations: [migration.name], transaction: trx })).map((m) => m.name));
      progress(`  ${migration.name} done (${Date.now() - started} ms)`);
    }
    return names;
  });
  progress(`applied ${applied.length} migration${applied.length === 1 ? '' : 's'}`);
  return applied;
}
