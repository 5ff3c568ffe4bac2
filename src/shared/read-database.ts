/** Plain SQL for query handlers: reads skip the domain and return views straight from rows. */
export interface ReadDatabase {
  /** `?` placeholders. */
  query<T extends object>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}
