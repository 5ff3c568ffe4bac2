import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { type Knex } from '@mikro-orm/postgresql';
import { type Application } from '../../src/app.js';
import { type Config } from '../../src/config.js';
import { fixtureBytes } from '../../test/unit/webhooks/fixtures.js';
import { type BenchDatabase } from './database.js';

/** The real GitHub push fixture: binkkatal/sample_app, refs/heads/master. */
export const PUSH = fixtureBytes('github', 'push.json');
const PUSHED = JSON.parse(PUSH.toString('utf8')) as { repository: { id: number; full_name: string }; ref: string };
export const REPOSITORY = PUSHED.repository.full_name;
export const REPOSITORY_ID = String(PUSHED.repository.id);
export const BRANCH = PUSHED.ref.replace(/^refs\/heads\//, '');

/** The application config the benches run with: the bench database, logs at info, forges only on 127.0.0.1. */
export function benchConfig(database: BenchDatabase): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: database.databaseUrl,
    masterKey: database.masterKey,
    oldMasterKeys: [],
    dataDir: '.forgelink-bench',
    publicUrl: 'http://forgelink.bench',
    dashboardUrl: 'http://dashboard.bench/integrations',
    forgeUrlAllowlist: ['127.0.0.1'],
    bitbucketApiUrl: 'http://127.0.0.1:9/2.0',
    retentionDays: 0,
    logLevel: 'info',
  };
}

export interface GitHubTarget {
  readonly organizationId: string;
  readonly providerId: string;
  readonly webhookSecret: string;
}

/** An organisation, its owner and one GitHub provider with a webhookSecret, created over the running app's API. */
export async function createGitHubTarget(app: Application, baseUrl: string): Promise<GitHubTarget> {
  const { id: organizationId } = await app.identity.createOrganization('Bench');
  const owner = await app.identity.addMember({ organizationId, userId: 'bench-owner', role: 'owner' });
  if (!owner.ok) throw new Error(owner.error.detail);
  const webhookSecret = randomBytes(20).toString('hex');
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const created = await fetch(`${baseUrl}/v1/git-providers/github`, {
    method: 'POST',
    headers: { authorization: `Bearer ${owner.value.apiKey}`, 'content-type': 'application/json' },
    // Nothing is called on the forge: the push payload lists its files and no source watches paths.
    body: JSON.stringify({ name: 'Bench GitHub', githubUrl: 'http://127.0.0.1:9', appId: 1, installationId: 1, privateKey, webhookSecret }),
  });
  const provider = (await created.json()) as { id?: string };
  if (created.status !== 201 || !provider.id)
    throw new Error(`creating the provider answered ${created.status} ${JSON.stringify(provider)}`);
  return { organizationId, providerId: provider.id, webhookSecret };
}

/**
 * `sources` rows straight into service_source (the connect command would call the forge for each), in one
 * `insert … select from generate_series` (PostgreSQL builds the rows itself: a million take seconds, not minutes).
 * Each row has a forge repository id, as connected sources do. Row 1 is the push's target; every 100th row watches
 * the pushed repository on another branch, so the branch condition has work to do; the rest are other repositories.
 */
export async function insertSources(knex: Knex, organizationId: string, providerId: string, sources: number): Promise<void> {
  // Building the secondary indexes once after the load is several times faster than updating them per row; they are
  // recreated from their own definitions (pg_get_indexdef), so the bench measures whatever the migrations define.
  const { rows: indexes } = (await knex.raw(
    `select i.relname as name, pg_get_indexdef(i.oid) as definition
       from pg_index x join pg_class i on i.oid = x.indexrelid
      where x.indrelid = 'service_source'::regclass and not exists (select 1 from pg_constraint c where c.conindid = i.oid)`,
  )) as { rows: { name: string; definition: string }[] };
  for (const index of indexes) await knex.raw(`drop index "${index.name}"`);
  await knex.raw(
    `insert into service_source (service_type, service_id, organization_id, source_type, provider_id, provider_type, repository, repository_id, owner,
                                 branch, trigger_type, watch_paths, auto_deploy, build_path, compose_path, status, webhook, created_at, updated_at, version)
     select case when g % 7 = 0 then 'compose' else 'application' end, 'bench-' || g, ?, 'git', ?, 'github',
            case when g = 1 or g % 100 = 0 then ? else 'acme/service-' || g end,
            case when g = 1 or g % 100 = 0 then ? else (1000000000 + g)::text end, 'acme',
            case when g = 1 then ? when g % 100 = 0 then 'feature-' || g else 'main' end,
            'push', null, true, '/', case when g % 7 = 0 then 'docker-compose.yml' end, 'idle',
            '{"registered": true, "url": null, "managedBy": "github-app"}'::jsonb, now(), now(), 1
       from generate_series(1, ?::int) g`,
    [organizationId, providerId, REPOSITORY, REPOSITORY_ID, BRANCH, sources],
  );
  for (const index of indexes) await knex.raw(index.definition);
  // Autovacuum would do this within a minute of a bulk load; the bench does not wait for it.
  await knex.raw('analyze service_source');
}
