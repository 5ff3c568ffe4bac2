import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type MikroORM } from '@mikro-orm/postgresql';
import { SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { migrate, openDatabase } from '../../../src/database.js';
import { MikroOrmUnitOfWork } from '../../../src/platform/database/unit-of-work.js';
import { MikroOrmGitProviderRepository } from '../../../src/modules/git-providers/infrastructure/persistence/mikro-orm-git-provider.repository.js';
import { MikroOrmIdentityRepository } from '../../../src/modules/identity/infrastructure/persistence/mikro-orm-identity.repository.js';
import { Organization } from '../../../src/modules/identity/domain/organization.js';
import { providerKinds } from '../../../src/forges/registry.js';

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A brand-new empty database on the test server; `drop()` removes it (forcing out leftover connections). */
export async function createScratchDatabase(
  adminDatabaseUrl: string,
  label: string,
): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `forgelink_${label}_${Date.now()}_${randomBytes(3).toString('hex')}`;
  await adminQuery(adminDatabaseUrl, `create database ${name}`);
  return {
    name,
    url: withDatabase(adminDatabaseUrl, name),
    drop: async () => {
      await adminQuery(adminDatabaseUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

export interface Persistence {
  readonly orm: MikroORM;
  readonly uow: MikroOrmUnitOfWork;
  readonly providers: MikroOrmGitProviderRepository;
  readonly identity: MikroOrmIdentityRepository;
  close(): Promise<void>;
}

/** The real ORM + unit of work + repositories, as the application composes them. */
export async function openPersistence(
  databaseUrl: string,
  cipher: SecretCipher,
  options: { migrate?: boolean } = {},
): Promise<Persistence> {
  const orm = await openDatabase({ databaseUrl, cipher, poolMax: 4 });
  if (options.migrate) await migrate(orm);
  const uow = new MikroOrmUnitOfWork(orm);
  return {
    orm,
    uow,
    providers: new MikroOrmGitProviderRepository(uow, providerKinds),
    identity: new MikroOrmIdentityRepository(uow),
    close: () => orm.close(true),
  };
}

export async function createOrganization(persistence: Persistence, name = `org-${randomBytes(3).toString('hex')}`): Promise<string> {
  const organization = Organization.create(name);
  await persistence.uow.run(() => persistence.identity.saveOrganization(organization));
  return organization.id;
}

export const cipherWith = (masterKey: string, old: readonly string[] = []): SecretCipher => new SecretCipher(masterKey, old);

/** Raw SQL on the ORM's own pool (`?` placeholders). */
export async function sql<T extends object>(persistence: Pick<Persistence, 'orm'>, text: string, params: unknown[] = []): Promise<T[]> {
  const result = (await persistence.orm.em.getKnex().raw(text, params as never[])) as { rows: T[] };
  return result.rows;
}
