import pg from 'pg';
import { inject } from 'vitest';

/**
 * Every row forgelink keeps for these organisations (and their providers), as comparable text. The outbox's
 * publication columns are left out: the relay sets them in the background, whatever the request did.
 */
export async function snapshotTenants(organizationIds: readonly string[]): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  try {
    const orgs = [...organizationIds];
    const providerIds = `(select id from git_provider where organization_id = any($1::uuid[]))`;
    const queries: Record<string, string> = {
      organization: 'select * from organization where id = any($1::uuid[]) order by id',
      member: 'select * from member where organization_id = any($1::uuid[]) order by organization_id, user_id',
      git_provider: 'select * from git_provider where organization_id = any($1::uuid[]) order by id',
      service_source: 'select * from service_source where organization_id = any($1::uuid[]) order by service_type, service_id',
      outbox: 'select id, type, aggregate_id, organization_id, data from outbox where organization_id = any($1::uuid[]) order by position',
      repository_hook: `select * from repository_hook where provider_id in ${providerIds} order by provider_id, repository`,
      webhook_delivery: 'select * from webhook_delivery where organization_id = any($1::uuid[]) order by id',
    };
    const snapshot: Record<string, string> = {};
    for (const [table, sql] of Object.entries(queries)) snapshot[table] = JSON.stringify((await client.query(sql, [orgs])).rows);
    return snapshot;
  } finally {
    await client.end();
  }
}
