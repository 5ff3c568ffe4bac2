import { MikroORM, defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { type SecretCipher } from '../crypto/secret-cipher.js';
import { OrganizationSchema, MemberSchema } from '../../modules/identity/infrastructure/persistence/identity.schemas.js';
import { gitProviderSchema } from '../../modules/git-providers/infrastructure/persistence/git-provider.schema.js';
import { ServiceSourceSchema } from '../../modules/service-sources/infrastructure/persistence/service-source.schema.js';
import { OutboxMessageSchema } from '../outbox/outbox-message.js';
import { migrationsList } from './migrations/index.js';

export function ormConfig(input: { databaseUrl: string; cipher: SecretCipher; poolMax?: number }): Options {
  return defineConfig({
    clientUrl: input.databaseUrl,
    entities: [OrganizationSchema, MemberSchema, gitProviderSchema(input.cipher), ServiceSourceSchema, OutboxMessageSchema],
    extensions: [Migrator],
    migrations: { migrationsList, tableName: 'mikro_orm_migrations', transactional: true, allOrNothing: true, snapshot: false, silent: true },
    dynamicImportProvider: (id: string) => import(id),
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    forceUtcTimezone: true,
    pool: { min: 0, max: input.poolMax ?? 10 },
    debug: false,
  });
}

export async function openDatabase(input: { databaseUrl: string; cipher: SecretCipher; poolMax?: number }): Promise<MikroORM> {
  return MikroORM.init(ormConfig(input));
}

/** Applies every pending migration; returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}
