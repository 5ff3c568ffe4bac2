import { type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { type Knex } from '@mikro-orm/postgresql';
import { createApplication, type Application } from '../src/app.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { type EventEnvelope } from '../src/platform/events/event-publisher.js';
import { PushDeliveries } from './ingest.js';
import { type BenchDatabase, type BenchServer } from './support/database.js';
import { SCREEN_SQL, screenParams } from '../src/modules/webhooks/infrastructure/sql-delivery-store.js';
import { benchConfig, BRANCH, createGitHubTarget, insertSources, REPOSITORY, REPOSITORY_ID } from './support/github-target.js';
import { interruption } from './support/interrupt.js';
import { count, median, ms, now, percentile, printTable, timeRatio } from './support/report.js';

export interface WebhookOptions {
  /** Service sources connected in the small and the large case. */
  readonly fewSources: number;
  readonly manySources: number;
  /** Measured deliveries per case. */
  readonly deliveries: number;
  /** Unmeasured deliveries per case after start-up. */
  readonly warmup: number;
}

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
      if (/"level":(40|50|60)/.test(line) && !interruption.requested) process.stderr.write(line);
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
    secret: string,
    /** Unique bodies: byte-identical replays under new delivery ids are duplicates (one deployment, not two). */
    private readonly pushes = new PushDeliveries(secret),
  ) {
    this.unsubscribe = app.bus.subscribe('deployment.requested', (event: EventEnvelope) => {
      const deliveryId = event.data.deliveryId;
      if (typeof deliveryId === 'string') this.waiting.get(deliveryId)?.(now());
    });
  }

  /** One signed push delivery that must match exactly one source. */
  async send(): Promise<Sample> {
    const { body: push, headers } = this.pushes.next();
    const deliveryId = headers['x-github-delivery'] as string;
    let timer: NodeJS.Timeout | undefined;
    const published = new Promise<number>((resolve, reject) => {
      this.waiting.set(deliveryId, resolve);
      timer = setTimeout(() => reject(new Error(`no deployment.requested for delivery ${deliveryId} within 30 s`)), 30_000);
    });
    try {
      const started = now();
      const response = await fetch(`${this.baseUrl}/v1/webhooks/${this.providerId}`, { method: 'POST', headers, body: push });
      const answered = now();
      const body = (await response.json()) as { deployments?: number };
      if (response.status !== 202 || body.deployments !== 1)
        throw new Error(`webhook answered ${response.status} ${JSON.stringify(body)}; expected 202 with 1 deployment`);
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

/** The screening statement SqlDeliveryStore runs (dedupe + candidates) for one delivery of one push; `$n` become knex's `:pn`. */
const MATCH_SQL = SCREEN_SQL.replace(/\$(\d+)/g, ':p$1');
const matchBindings = (providerId: string): Record<string, unknown> =>
  Object.fromEntries(
    screenParams([
      {
        providerId,
        deliveryId: 'bench-match-query',
        bodySha256: '0'.repeat(64),
        targets: [{ repository: { id: REPOSITORY_ID, fullName: REPOSITORY }, ref: { type: 'branch', name: BRANCH } }],
      },
    ]).map((value, i) => [`p${i + 1}`, value]),
  );

/** Latencies of the screening statement alone (the one SqlDeliveryStore runs, for one delivery); optionally with index scans off. */
async function timeMatchQuery(knex: Knex, providerId: string, runs: number, withoutIndex = false): Promise<number[]> {
  const times: number[] = [];
  await knex.transaction(async (trx) => {
    if (withoutIndex) await trx.raw('set local enable_indexscan = off; set local enable_bitmapscan = off');
    for (let i = 0; i < runs; i++) {
      const started = now();
      const { rows } = (await trx.raw(MATCH_SQL, matchBindings(providerId) as Knex.ValueDict)) as {
        rows: { candidates: unknown[] | null }[];
      };
      times.push(now() - started);
      const found = rows.find((row) => row.candidates !== null)?.candidates?.length;
      if (found !== 1) throw new Error(`the screening statement found ${found} sources, expected 1`);
    }
  });
  return times;
}

/** The plan PostgreSQL picks for the screening statement (the one SqlDeliveryStore runs). */
async function matchPlan(knex: Knex, providerId: string): Promise<string> {
  const { rows } = (await knex.raw(`explain (format json) ${MATCH_SQL}`, matchBindings(providerId) as Knex.ValueDict)) as {
    rows: { 'QUERY PLAN': { Plan: PlanNode }[] }[];
  };
  const scans: string[] = [];
  const walk = (node: PlanNode): void => {
    if (/Scan/.test(node['Node Type']))
      scans.push(node['Index Name'] ? `${node['Node Type']} on ${node['Index Name']}` : node['Node Type']);
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

interface Target {
  readonly sources: number;
  readonly app: Application;
  readonly knex: Knex;
  readonly providerId: string;
  readonly deliveries: Deliveries;
  /** Time the bulk load of service_source took (insert … select from generate_series, then analyze). */
  readonly loadMs: number;
  close(): Promise<void>;
}

/** The real app on its own database, one GitHub provider created over the API, and `sources` sources connected to it. */
async function startTarget(database: BenchDatabase, sources: number): Promise<Target> {
  const config = benchConfig(database);
  const app = await createApplication(config, { logger: createLogger(config.logLevel, quietSink()) });
  let server: Server | undefined;
  let deliveries: Deliveries | undefined;
  const close = async (): Promise<void> => {
    deliveries?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    }
    await app.close();
  };
  try {
    server = await new Promise<Server>((resolve) => {
      const listening = app.http.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const { organizationId, providerId, webhookSecret } = await createGitHubTarget(app, baseUrl);
    const knex = app.orm.em.getKnex();
    const loading = now();
    await insertSources(knex, organizationId, providerId, sources);
    const loadMs = now() - loading;
    deliveries = new Deliveries(app, baseUrl, providerId, webhookSecret);
    return { sources, app, knex, providerId, deliveries, loadMs, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * 3. Webhook matching cost vs. number of connected services, and delivery latency, on the real app. The two cases
 * run side by side (two apps, two databases) and their deliveries alternate, so machine noise hits both alike.
 */
export async function benchWebhooks(server: BenchServer, options: WebhookOptions): Promise<void> {
  const targets: Target[] = [];
  try {
    const few = await startTarget(await server.createDatabase(), options.fewSources);
    targets.push(few);
    const many = await startTarget(await server.createDatabase(), options.manySources);
    targets.push(many);

    for (let i = 0; i < options.warmup; i++) for (const target of targets) await target.deliveries.send();
    const samples = new Map<Target, Sample[]>([
      [few, []],
      [many, []],
    ]);
    for (let i = 0; i < options.deliveries; i++) {
      for (const target of i % 2 === 0 ? [few, many] : [many, few]) samples.get(target)?.push(await target.deliveries.send());
    }
    const queries = new Map<Target, number[]>([
      [few, []],
      [many, []],
    ]);
    for (let i = 0; i < 10; i++) {
      for (const target of i % 2 === 0 ? [few, many] : [many, few])
        queries.get(target)?.push(...(await timeMatchQuery(target.knex, target.providerId, 30)));
    }
    const unindexed = await timeMatchQuery(many.knex, many.providerId, 10, true);
    const plans = { few: await matchPlan(few.knex, few.providerId), many: await matchPlan(many.knex, many.providerId) };

    const of = (target: Target, key: keyof Sample): number[] => (samples.get(target) ?? []).map((s) => s[key]);
    const row = (label: string, m: number[], b: number[], q: number) => ({
      case: label,
      measured: ms(percentile(m, q)),
      baseline: ms(percentile(b, q)),
      ratio: timeRatio(percentile(m, q), percentile(b, q)),
    });
    const all = [...of(few, 'endToEnd'), ...of(many, 'endToEnd')];
    const httpRatio = percentile(of(many, 'http'), 50) / percentile(of(few, 'http'), 50);
    printTable(
      `P4. Webhook matching: ${count(options.deliveries)} signed GitHub push deliveries per case, each matching 1 source (real app, HTTP on 127.0.0.1)`,
      [
        row('matching query alone p50', queries.get(many) ?? [], queries.get(few) ?? [], 50),
        row('HTTP latency p50', of(many, 'http'), of(few, 'http'), 50),
        row('HTTP latency p95', of(many, 'http'), of(few, 'http'), 95),
        row('end-to-end p50 (POST → event on the bus)', of(many, 'endToEnd'), of(few, 'endToEnd'), 50),
        row('end-to-end p95', of(many, 'endToEnd'), of(few, 'endToEnd'), 95),
      ],
      {
        case: 'figure',
        measured: `${count(options.manySources)} sources`,
        baseline: `${count(options.fewSources)} sources`,
        ratio: 'ratio',
      },
      [
        `goal: HTTP latency p50 at ${count(options.manySources)} sources ≤ 1.3× the one at ${count(options.fewSources)}: ${httpRatio.toFixed(2)}× — ${httpRatio <= 1.3 ? 'met' : 'NOT met'}`,
        `matching query plan: ${count(options.fewSources)} sources → ${plans.few}; ${count(options.manySources)} sources → ${plans.many}`,
        `the same query at ${count(options.manySources)} sources with index scans disabled: p50 ${ms(percentile(unindexed, 50))} (what the index saves)`,
        `all ${count(all.length)} deliveries: end-to-end p50 ${ms(median(all))}, p95 ${ms(percentile(all, 95))}, max ${ms(Math.max(...all))}`,
        `service sources bulk-loaded with one insert … select from generate_series + analyze: ${count(options.fewSources)} in ${ms(few.loadMs)}, ${count(options.manySources)} in ${ms(many.loadMs)}`,
        `one delivery at a time, alternating between the two apps (each on its own database), after ${options.warmup} warm-up deliveries each`,
        'end-to-end includes the outbox relay publishing deployment.requested (kicked on commit)',
      ],
    );
  } finally {
    for (const target of targets.reverse()) await target.close();
  }
}
