import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { type Knex } from '@mikro-orm/postgresql';
import { createApplication, type Application } from '../src/app.js';
import { type Config } from '../src/config.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { type EventEnvelope } from '../src/platform/events/event-publisher.js';
import { signGitHub } from '../test/support/webhook-signing.js';
import { fixtureBytes } from '../test/unit/webhooks/fixtures.js';
import { type BenchDatabase } from './support/database.js';
import { count, median, ms, now, percentile, printTable, timeRatio } from './support/report.js';

export interface WebhookOptions {
  /** Service sources connected in the small and the large case. */
  readonly fewSources: number;
  readonly manySources: number;
  /** Measured deliveries per case, spread over `rounds` alternations of the two cases. */
  readonly deliveries: number;
  readonly rounds: number;
  /** Unmeasured deliveries after start-up. */
  readonly warmup: number;
}

/** The real GitHub push fixture: binkkatal/sample_app, refs/heads/master. */
const PUSH = fixtureBytes('github', 'push.json');
const PUSHED = JSON.parse(PUSH.toString('utf8')) as { repository: { full_name: string }; ref: string };
const REPOSITORY = PUSHED.repository.full_name;
const BRANCH = PUSHED.ref.replace(/^refs\/heads\//, '');

interface Sample {
  /** POST sent → HTTP answer (verify, dedupe, match, one transaction). */
  readonly http: number;
  /** POST sent → deployment.requested published on the in-process bus by the outbox relay. */
  readonly endToEnd: number;
}

/** Info-level logs as in production, serialised and discarded; warnings and errors still reach stderr. */
function quietSink(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = chunk.toString('utf8');
      if (/"level":(40|50|60)/.test(line)) process.stderr.write(line);
      done();
    },
  });
}

class Deliveries {
  private readonly waiting = new Map<string, (at: number) => void>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly app: Application,
    private readonly baseUrl: string,
    private readonly providerId: string,
    private readonly secret: string,
  ) {
    this.unsubscribe = app.bus.subscribe('deployment.requested', (event: EventEnvelope) => {
      const deliveryId = event.data.deliveryId;
      if (typeof deliveryId === 'string') this.waiting.get(deliveryId)?.(now());
    });
  }

  /** One signed push delivery that must match exactly one source. */
  async send(): Promise<Sample> {
    const headers = signGitHub(PUSH, this.secret);
    const deliveryId = headers['x-github-delivery'] as string;
    let timer: NodeJS.Timeout | undefined;
    const published = new Promise<number>((resolve, reject) => {
      this.waiting.set(deliveryId, resolve);
      timer = setTimeout(() => reject(new Error(`no deployment.requested for delivery ${deliveryId} within 30 s`)), 30_000);
    });
    try {
      const started = now();
      const response = await fetch(`${this.baseUrl}/v1/webhooks/${this.providerId}`, { method: 'POST', headers, body: PUSH });
      const answered = now();
      const body = (await response.json()) as { deployments?: number };
      if (response.status !== 202 || body.deployments !== 1) throw new Error(`webhook answered ${response.status} ${JSON.stringify(body)}; expected 202 with 1 deployment`);
      const publishedAt = await published;
      return { http: answered - started, endToEnd: publishedAt - started };
    } finally {
      clearTimeout(timer);
      this.waiting.delete(deliveryId);
    }
  }

  async run(n: number): Promise<Sample[]> {
    const samples: Sample[] = [];
    for (let i = 0; i < n; i++) samples.push(await this.send());
    return samples;
  }

  close(): void {
    this.unsubscribe();
  }
}

/** Rows straight into service_source (the connect command would call the forge for each). Row 1 is the push's target. */
async function insertSources(knex: Knex, organizationId: string, providerId: string, from: number, to: number): Promise<void> {
  // Every 100th source watches the same repository on another branch, so the branch filter has work to do.
  await knex.raw(
    `insert into service_source (service_type, service_id, organization_id, source_type, provider_id, provider_type, repository, owner,
                                 branch, trigger_type, watch_paths, auto_deploy, build_path, compose_path, status, webhook, created_at, updated_at, version)
     select case when g % 7 = 0 then 'compose' else 'application' end, 'bench-' || g, ?, 'git', ?, 'github',
            case when g = 1 or g % 100 = 0 then ? else 'acme/service-' || g end, 'acme',
            case when g = 1 then ? when g % 100 = 0 then 'feature-' || g else 'main' end,
            'push', null, true, '/', case when g % 7 = 0 then 'docker-compose.yml' end, 'idle',
            '{"registered": true, "url": null, "managedBy": "github-app"}'::jsonb, now(), now(), 1
       from generate_series(?::int, ?::int) g`,
    [organizationId, providerId, REPOSITORY, BRANCH, from, to],
  );
  // Autovacuum would do this within a minute of a bulk load; the bench does not wait for it.
  await knex.raw('analyze service_source');
}

/** Back to the first `keep` sources; vacuumed so the smaller table is really small again. */
async function removeSources(knex: Knex, organizationId: string, keep: number): Promise<void> {
  await knex.raw(`delete from service_source where organization_id = ? and substr(service_id, 7)::int > ?`, [organizationId, keep]);
  await knex.raw('vacuum analyze service_source');
}

const MATCH_SQL = `select service_type, service_id, trigger_type, branch, watch_paths, auto_deploy from service_source
  where source_type = 'git' and provider_id = ? and lower(repository) = lower(?) and trigger_type = 'push' and branch = ?
  order by service_type, service_id`;

/** Latencies of the matching query alone (the one SqlDeliveryStore.candidates runs); optionally with index scans off. */
async function timeMatchQuery(knex: Knex, providerId: string, runs: number, withoutIndex = false): Promise<number[]> {
  const times: number[] = [];
  await knex.transaction(async (trx) => {
    if (withoutIndex) await trx.raw('set local enable_indexscan = off; set local enable_bitmapscan = off');
    for (let i = 0; i < runs; i++) {
      const started = now();
      const { rows } = (await trx.raw(MATCH_SQL, [providerId, REPOSITORY, BRANCH])) as { rows: unknown[] };
      times.push(now() - started);
      if (rows.length !== 1) throw new Error(`the matching query found ${rows.length} sources, expected 1`);
    }
  });
  return times;
}

/** The plan PostgreSQL picks for the matching query (the one SqlDeliveryStore.candidates runs). */
async function matchPlan(knex: Knex, providerId: string): Promise<string> {
  const { rows } = (await knex.raw(`explain (format json) ${MATCH_SQL}`, [providerId, REPOSITORY, BRANCH])) as { rows: { 'QUERY PLAN': { Plan: PlanNode }[] }[] };
  const scans: string[] = [];
  const walk = (node: PlanNode): void => {
    if (/Scan/.test(node['Node Type'])) scans.push(node['Index Name'] ? `${node['Node Type']} on ${node['Index Name']}` : node['Node Type']);
    for (const child of node.Plans ?? []) walk(child);
  };
  const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
  if (plan) walk(plan);
  return scans.join(', ') || 'unknown';
}

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Index Name'?: string;
  readonly Plans?: PlanNode[];
}

/** 3. Webhook matching cost vs. number of connected services, and delivery latency, on the real app. */
export async function benchWebhooks(database: BenchDatabase, options: WebhookOptions): Promise<void> {
  const config: Config = {
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
    logLevel: 'info',
  };
  const app = await createApplication(config, { logger: createLogger(config.logLevel, quietSink()) });
  let server: Server | undefined;
  let deliveries: Deliveries | undefined;
  try {
    server = await new Promise<Server>((resolve) => {
      const listening = app.http.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const { id: organizationId } = await app.identity.createOrganization('Bench');
    const owner = await app.identity.addMember({ organizationId, userId: 'bench-owner', role: 'owner' });
    if (!owner.ok) throw new Error(owner.error.detail);
    const webhookSecret = randomBytes(20).toString('hex');
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const created = await fetch(`${baseUrl}/v1/git-providers/github`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.value.apiKey}`, 'content-type': 'application/json' },
      // Nothing is called on the forge: a GitHub App's push needs no compare when the payload lists the files.
      body: JSON.stringify({ name: 'Bench GitHub', githubUrl: 'http://127.0.0.1:9', appId: 1, installationId: 1, privateKey, webhookSecret }),
    });
    const provider = (await created.json()) as { id?: string };
    if (created.status !== 201 || !provider.id) throw new Error(`creating the provider answered ${created.status} ${JSON.stringify(provider)}`);
    const providerId = provider.id;

    const knex = app.orm.em.getKnex();
    deliveries = new Deliveries(app, baseUrl, providerId, webhookSecret);

    // Alternate the two cases (grow to many, shrink back to few) so warm-up and machine noise fall on both alike.
    let connected = 0;
    const connect = async (sources: number): Promise<void> => {
      if (sources > connected) await insertSources(knex, organizationId, providerId, connected + 1, sources);
      else if (sources < connected) await removeSources(knex, organizationId, sources);
      connected = sources;
    };
    await connect(options.fewSources);
    await deliveries.run(options.warmup);
    const few = { samples: [] as Sample[], plan: '', query: [] as number[] };
    const many = { samples: [] as Sample[], plan: '', query: [] as number[] };
    const unindexed: number[] = [];
    const perRound = Math.ceil(options.deliveries / options.rounds);
    for (let round = 0; round < options.rounds; round++) {
      for (const [sources, into] of [[options.fewSources, few], [options.manySources, many]] as const) {
        await connect(sources);
        await deliveries.run(5);
        into.samples.push(...(await deliveries.run(perRound)));
        into.plan = await matchPlan(knex, providerId);
        into.query.push(...(await timeMatchQuery(knex, providerId, perRound)));
        if (sources === options.manySources) unindexed.push(...(await timeMatchQuery(knex, providerId, 20, true)));
      }
    }

    const p = (samples: Sample[], key: keyof Sample, q: number): number => percentile(samples.map((s) => s[key]), q);
    const all = [...few.samples, ...many.samples];
    printTable(
      `3. Webhook matching: ${count(options.deliveries)} signed GitHub push deliveries per case, each matching 1 source (real app, HTTP on 127.0.0.1)`,
      [
        {
          case: 'matching query alone p50',
          measured: ms(percentile(many.query, 50)),
          baseline: ms(percentile(few.query, 50)),
          ratio: timeRatio(percentile(many.query, 50), percentile(few.query, 50)),
        },
        {
          case: 'HTTP latency p50',
          measured: ms(p(many.samples, 'http', 50)),
          baseline: ms(p(few.samples, 'http', 50)),
          ratio: timeRatio(p(many.samples, 'http', 50), p(few.samples, 'http', 50)),
        },
        {
          case: 'HTTP latency p95',
          measured: ms(p(many.samples, 'http', 95)),
          baseline: ms(p(few.samples, 'http', 95)),
          ratio: timeRatio(p(many.samples, 'http', 95), p(few.samples, 'http', 95)),
        },
        {
          case: 'end-to-end p50 (POST → event on the bus)',
          measured: ms(p(many.samples, 'endToEnd', 50)),
          baseline: ms(p(few.samples, 'endToEnd', 50)),
          ratio: timeRatio(p(many.samples, 'endToEnd', 50), p(few.samples, 'endToEnd', 50)),
        },
        {
          case: 'end-to-end p95',
          measured: ms(p(many.samples, 'endToEnd', 95)),
          baseline: ms(p(few.samples, 'endToEnd', 95)),
          ratio: timeRatio(p(many.samples, 'endToEnd', 95), p(few.samples, 'endToEnd', 95)),
        },
      ],
      { case: 'figure', measured: `${count(options.manySources)} sources`, baseline: `${count(options.fewSources)} sources`, ratio: 'ratio' },
      [
        `matching query plan: ${count(options.fewSources)} sources → ${few.plan}; ${count(options.manySources)} sources → ${many.plan}`,
        `the same query at ${count(options.manySources)} sources with index scans disabled: p50 ${ms(percentile(unindexed, 50))} (what the index saves)`,
        `all ${count(all.length)} deliveries: end-to-end p50 ${ms(median(all.map((s) => s.endToEnd)))}, p95 ${ms(percentile(all.map((s) => s.endToEnd), 95))}, max ${ms(Math.max(...all.map((s) => s.endToEnd)))}`,
        `deliveries sent one at a time; ${options.rounds} rounds alternating ${count(options.fewSources)} and ${count(options.manySources)} sources, after ${options.warmup} warm-up deliveries`,
        'end-to-end includes the outbox relay publishing deployment.requested (kicked on commit)',
      ],
    );
  } finally {
    deliveries?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    }
    await app.close();
  }
}
