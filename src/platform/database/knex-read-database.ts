import { type Knex } from '@mikro-orm/postgresql';
import { type ReadDatabase } from '../../shared/read-database.js';

export class KnexReadDatabase implements ReadDatabase {
  constructor(private readonly knex: Knex) {}

  async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const result = (await this.knex.raw(sql, params as Knex.RawBinding[])) as { rows: T[] };
    return result.rows;
  }
}
