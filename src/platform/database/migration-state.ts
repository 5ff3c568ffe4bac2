import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A query function of any driver (knex.raw, a `pg` client): one statement, its rows. */
export type RowQuery = (sql: string) => Promise<{ rows: Record<string, unknown>[] }>;

const MIGRATION_FILE = /^(Migration\d{14}_\w+)\.(?:js|ts)$/;

/**
 * The names of the migrations shipped beside this module, in order, read from the folder's file names — the same
 * names `migrations/index.ts` lists (a test holds them equal), without importing the migration classes, which load
 * MikroORM's migrator: the CLI's short commands check for pending migrations without paying for the ORM.
 */
export function shippedMigrationNames(): string[] {
  const folder = fileURLToPath(new URL('./migrations/', import.meta.url));
  return readdirSync(folder)
    .map((file) => MIGRATION_FILE.exec(file)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

/** Of `known` (in order), the names the database has not applied: all of them when it has no migrations table. */
export async function pendingOf(query: RowQuery, known: readonly string[]): Promise<string[]> {
  const exists = await query(`select to_regclass('mikro_orm_migrations') is not null as present`);
  if (exists.rows[0]?.present !== true) return [...known];
  const { rows } = await query('select name from mikro_orm_migrations');
  const applied = new Set(rows.map((r) => String(r.name).replace(/\.[jt]s$/, '')));
  return known.filter((name) => !applied.has(name));
}
