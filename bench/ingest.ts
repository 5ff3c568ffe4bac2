import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { createApplication } from '../src/app.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { type BenchDatabase, type BenchServer } from './support/database.js';
import { benchConfig, createGitHubTarget, insertSources, PUSH, type GitHubTarget } from './support/github-target.js';
import { interruption } from './support/interrupt.js';
import { count, ms, printTable } from './support/report.js';

export interface IngestOptions {
  readonly connections: number;
  /** Length of each measured P1 run (bare endpoint, then forgelink). */
  readonly seconds: number;
  /** Unmeasured load on each server first (JIT, connection pools). */
  readonly warmupSeconds: number;
  /** Length of the P5 run: forgelink under the same load while its resident memory is sampled. */
  readonly memorySeconds: number;
  /** Write a V8 CPU profile of `forgelink serve` here (BENCH_CPU_PROF=dir). */
  readonly cpuProfileDir?: string;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PUSHED = JSON.parse(PUSH.toString('utf8')) as { after: string };

/**
 * Unique deliveries of the real push fixture: its commit sha (the `after` field, the head commit's id and the
 * compare URL) is replaced by a fresh one, so every body differs (byte-identical replays are deduped) and keeps
 * the fixture's size; each gets a new X-GitHub-Delivery and its own HMAC.
 */
export class PushDeliveries {
  private readonly parts = PUSH.toString('utf8').split(PUSHED.after);
  private readonly run = randomBytes(4).toString('hex');
  private sent = 0;

  constructor(private readonly secret: string) {}

  next(): { body: string; headers: Record<string, string> } {
    const sha = this.run + (this.sent++).toString(16).padStart(32, '0');
    const body = this.parts.join(sha);
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/forgelink-bench',
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-github-hook-id': '1',
        'x-hub-signature-256': `sha256=${createHmac('sha256', this.secret).update(body).digest('hex')}`,
      },
    };
  }

  get size(): number {
    return Buffer.byteLength(this.parts.join(PUSHED.after));
  }
}

interface Load {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly total: number;
  readonly accepted: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statuses: Record<string, number>;
}

/** `acceptedIds` collects the delivery id of every 202 answer (autocannon does not count answers still in flight at the end). */
async function load(url: string, secret: string, connections: number, seconds: number, acceptedIds?: Set<string>): Promise<Load> {
  const deliveries = new PushDeliveries(secret);
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => ({ ...request, ...deliveries.next() }),
        ...(acceptedIds
          ? {
              onResponse: (status: number, body: string) =>
                void (status === 202 && acceptedIds.add((JSON.parse(body) as { deliveryId: string }).deliveryId)),
            }
          : {}),
      },
    ],
  });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0]));
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    accepted: statuses['202'] ?? 0,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    statuses,
  };
}

/** A child Node process that prints a line telling its port. */
interface Child {
  readonly process: ChildProcess;
  readonly port: number;
  stop(): Promise<void>;
}

async function startChild(args: string[], env: NodeJS.ProcessEnv, portLine: RegExp, stream: 'stdout' | 'stderr'): Promise<Child> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', stream === 'stdout' ? 'pipe' : 'ignore', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start within 60 s:\n${output}`)), 60_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = portLine.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', (chunk: Buffer) => {
      read(chunk);
      // After start-up only warnings and errors go to stderr (info logs go to stdout, discarded).
      if (output.length > 0 && portLine.test(output) && !interruption.requested) process.stderr.write(chunk);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${code}) before listening:\n${output}`));
    });
  });
  return {
    process: child,
    port,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident set size (MB) and CPU time (ms) of a process, from /proc (Linux). */
function usage(pid: number): { rssMb: number; cpuMs: number } | undefined {
  try {
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100/s on Linux)
    return { rssMb: Number(rss?.[1]) / 1024, cpuMs: ticks * 10 };
  } catch {
    return undefined;
  }
}

/** The relay's backlog during a run: unpublished outbox rows, sampled every 500 ms. */
class BacklogSampler {
  readonly samples: number[] = [];
  private readonly client: pg.Client;
  private timer?: NodeJS.Timeout;

  constructor(databaseUrl: string) {
    this.client = new pg.Client({ connectionString: databaseUrl });
  }

  async start(): Promise<void> {
    await this.client.connect();
    this.timer = setInterval(() => {
      void this.client.query<{ n: string }>('select count(*) as n from outbox where published_at is null').then(
        ({ rows }) => this.samples.push(Number(rows[0]?.n ?? 0)),
        () => undefined,
      );
    }, 500);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.client.end();
  }

  get max(): number {
    return Math.max(0, ...this.samples);
  }
}

/** CPU time (ms) of every PostgreSQL process on this machine (they serve the bench's connections), best effort. */
function postgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!/\((postgres|postmaster)\)/.test(stat)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

class RssSampler {
  readonly samples: { at: number; rssMb: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(pid: number, everyMs = 250) {
    this.timer = setInterval(() => {
      const now = usage(pid);
      if (now) this.samples.push({ at: Date.now() - this.started, rssMb: now.rssMb });
    }, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  peak(from = 0, to = Infinity): number {
    return Math.max(...this.samples.filter((s) => s.at >= from && s.at < to).map((s) => s.rssMb));
  }
}

/** Organisation, owner, GitHub provider and the one matching source, set up by an in-process app that is then closed. */
async function prepare(database: BenchDatabase): Promise<GitHubTarget> {
  const config = benchConfig(database);
  const app = await createApplication(config, { logger: createLogger('warn'), startRelay: false });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.http.listen(0, '127.0.0.1', () => resolve(listening));
  });
  try {
    const target = await createGitHubTarget(app, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await insertSources(app.orm.em.getKnex(), target.organizationId, target.providerId, 1);
    return target;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
  }
}

interface Committed {
  readonly deployed: number;
  readonly events: number;
  readonly deliveriesWithEvent: number;
  readonly unpublished: number;
  /** 202 answers whose delivery has no deployment.requested event. */
  readonly missing: number;
}

/** What the database holds once the running server's relay has published everything (waits up to 60 s for it). */
async function committed(databaseUrl: string, accepted: ReadonlySet<string>): Promise<Committed> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await client.query<{ [K in Exclude<keyof Committed, 'missing'>]: string }>(
        `select (select count(*) from webhook_delivery where outcome = 'deployed' and deployments = 1) as deployed,
                (select count(*) from outbox where type = 'deployment.requested') as events,
                (select count(distinct data->>'deliveryId') from outbox where type = 'deployment.requested') as "deliveriesWithEvent",
                (select count(*) from outbox where published_at is null) as unpublished`,
      );
      const row = rows[0];
      if (!row) throw new Error('no answer');
      const unpublished = Number(row.unpublished);
      if (unpublished === 0 || Date.now() > deadline) {
        const { rows: ids } = await client.query<{ id: string }>(
          `select data->>'deliveryId' as id from outbox where type = 'deployment.requested'`,
        );
        const withEvent = new Set(ids.map((r) => r.id));
        const missing = [...accepted].filter((id) => !withEvent.has(id)).length;
        return {
          deployed: Number(row.deployed),
          events: Number(row.events),
          deliveriesWithEvent: Number(row.deliveriesWithEvent),
          unpublished,
          missing,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await client.end();
  }
}

const mb = (value: number): string => `${Math.round(value)} MB`;
const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');

/**
 * P1 concurrent ingest and P5 memory. Two server processes: a bare express 5 endpoint (raw body, HMAC, 202; run
 * through tsx, which only costs at start) and `forgelink serve` (the compiled dist/ start path) on a fresh database
 * with one GitHub provider and one matching source. autocannon sends unique signed push deliveries at both from this process, one after the other.
 */
export async function benchIngest(server: BenchServer, options: IngestOptions): Promise<void> {
  const database = await server.createDatabase();
  const target = await prepare(database);
  const path = `/v1/webhooks/${target.providerId}`;
  const size = new PushDeliveries(target.webhookSecret).size;

  const bare = await startChild(
    ['--import', 'tsx', 'bench/support/bare-ingest-server.ts'],
    { BARE_SECRET: target.webhookSecret },
    /listening (\d+)/,
    'stdout',
  );
  let bareLoad: Load;
  try {
    await load(`http://127.0.0.1:${bare.port}${path}`, target.webhookSecret, options.connections, options.warmupSeconds);
    bareLoad = await load(`http://127.0.0.1:${bare.port}${path}`, target.webhookSecret, options.connections, options.seconds);
  } finally {
    await bare.stop();
  }

  // The production start path: dist/ compiled from src/ (built here if src/ changed since), no TypeScript at start.
  const build = spawnSync(process.execPath, ['scripts/build.js'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stderr.toString('utf8')}`);
  const serveArgs = [
    ...serveNodeFlags(),
    ...(options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : []),
    'bin/forgelink.js',
    'serve',
  ];
  const forgelink = await startChild(
    serveArgs,
    {
      DATABASE_URL: database.databaseUrl,
      FORGELINK_MASTER_KEY: database.masterKey,
      PORT: '0',
      HOST: '127.0.0.1',
      PUBLIC_URL: 'http://forgelink.bench',
      FORGE_URL_ALLOWLIST: '127.0.0.1',
      FORGELINK_RETENTION_DAYS: '0',
      LOG_LEVEL: 'info',
      EVENT_BROKER_URL: '',
    },
    /listening on http:\/\/[^:]+:(\d+)/,
    'stderr',
  );
  const pid = forgelink.process.pid ?? 0;
  let flLoad: Load;
  let memory: { sampler: RssSampler; load: Load } | undefined;
  let idleRss = 0;
  let cpuPerDelivery = 0;
  let pgPerDelivery = 0;
  let startedRss = 0;
  let db: Committed = { deployed: 0, events: 0, deliveriesWithEvent: 0, unpublished: 0, missing: 0 };
  const backlog = new BacklogSampler(database.databaseUrl);
  const accepted = new Set<string>(); // the delivery id of every 202 forgelink gave, over all runs on this database
  const counted = (url: string, seconds: number): Promise<Load> => load(url, target.webhookSecret, options.connections, seconds, accepted);
  try {
    startedRss = usage(pid)?.rssMb ?? 0;
    const url = `http://127.0.0.1:${forgelink.port}${path}`;
    await counted(url, options.warmupSeconds);
    const cpuBefore = usage(pid)?.cpuMs ?? 0;
    const pgBefore = postgresCpuMs();
    await backlog.start();
    flLoad = await counted(url, options.seconds);
    await backlog.stop();
    cpuPerDelivery = ((usage(pid)?.cpuMs ?? 0) - cpuBefore) / Math.max(1, flLoad.total);
    pgPerDelivery = (postgresCpuMs() - pgBefore) / Math.max(1, flLoad.total);
    if (options.memorySeconds > 0) {
      const sampler = new RssSampler(pid);
      const memoryLoad = await counted(url, options.memorySeconds);
      sampler.stop();
      memory = { sampler, load: memoryLoad };
    }
    idleRss = usage(pid)?.rssMb ?? 0;
    db = await committed(database.databaseUrl, accepted);
  } finally {
    await forgelink.stop();
  }
  // Answers still in flight when a run stops are committed but not counted: the database may hold a few more.
  const everyEvent = db.missing === 0 && db.events === db.deployed && db.deliveriesWithEvent === db.deployed && db.unpublished === 0;

  const ratio = flLoad.rps / bareLoad.rps;
  printTable(
    `P1. Concurrent webhook ingest: ${options.connections} connections, ${options.seconds} s each, unique signed GitHub push deliveries (${count(size)} bytes, the real fixture)`,
    [
      {
        case: 'throughput',
        measured: `${count(flLoad.rps)} req/s`,
        baseline: `${count(bareLoad.rps)} req/s`,
        ratio: `${ratio.toFixed(3)}× (goal ≥ 0.25×: ${verdict(ratio >= 0.25)})`,
      },
      {
        case: 'latency p50',
        measured: ms(flLoad.p50),
        baseline: ms(bareLoad.p50),
        ratio: `${(flLoad.p50 / Math.max(bareLoad.p50, 0.01)).toFixed(1)}×`,
      },
      { case: 'latency p99', measured: ms(flLoad.p99), baseline: ms(bareLoad.p99), ratio: `goal ≤ 50 ms: ${verdict(flLoad.p99 <= 50)}` },
      {
        case: 'answers',
        measured: `${count(flLoad.total)} (${statusList(flLoad.statuses)})`,
        baseline: `${count(bareLoad.total)} (${statusList(bareLoad.statuses)})`,
        ratio: '',
      },
      {
        case: 'non-2xx / errors',
        measured: `${count(flLoad.non2xx)} / ${count(flLoad.errors)}`,
        baseline: `${count(bareLoad.non2xx)} / ${count(bareLoad.errors)}`,
        ratio: `goal 0: ${verdict(flLoad.non2xx === 0 && flLoad.errors === 0)}`,
      },
    ],
    { case: 'figure', measured: 'forgelink serve', baseline: 'bare express 5 (raw + HMAC + 202)', ratio: 'ratio / goal' },
    [
      `every 2xx has its event: ${count(accepted.size)} answers 202 (warm-up, P1 and P5 runs), ${count(db.missing)} of them without a deployment.requested; ${count(db.deployed)} deliveries recorded as deployed, ${count(db.events)} events for ${count(db.deliveriesWithEvent)} distinct deliveries, ${count(db.unpublished)} unpublished after the relay drained — ${verdict(everyEvent)}`,
      `relay backlog during the run (unpublished events, sampled every 500 ms): max ${count(backlog.max)}, last ${count(backlog.samples.at(-1) ?? 0)}`,
      `CPU per delivery: forgelink ${cpuPerDelivery.toFixed(2)} ms (user + system of the serve process), PostgreSQL ${pgPerDelivery.toFixed(2)} ms (all its processes on this machine, the whole run); each server got ${options.warmupSeconds} s of unmeasured load first`,
      `each server is its own process (forgelink: compiled dist/, started as npm run serve does: node ${serveNodeFlags().join(' ')} bin/forgelink.js serve; the baseline: tsx); autocannon runs in the bench process on the same machine, PostgreSQL too`,
    ],
  );
  if (memory) {
    const third = (options.memorySeconds * 1000) / 3;
    const first = memory.sampler.peak(0, third);
    const last = memory.sampler.peak(2 * third);
    const peak = memory.sampler.peak();
    const stable = last <= first * 1.1;
    printTable(
      `P5. Resident memory of forgelink serve under the P1 load for ${options.memorySeconds} s (sampled every 250 ms)`,
      [
        { case: 'peak RSS', measured: mb(peak), baseline: mb(startedRss), ratio: `goal ≤ 250 MB: ${verdict(peak <= 250)}` },
        {
          case: 'peak, first third vs last third',
          measured: mb(last),
          baseline: mb(first),
          ratio: `${(last / first).toFixed(2)}× (stable = ≤ 1.10×: ${verdict(stable)})`,
        },
      ],
      { case: 'figure', measured: 'under load', baseline: 'just started / first third', ratio: 'goal' },
      [
        `${count(memory.load.total)} deliveries at ${count(memory.load.rps)} req/s, p99 ${ms(memory.load.p99)}, non-2xx ${count(memory.load.non2xx)}; RSS after the run ${mb(idleRss)}`,
      ],
    );
  }
}

const statusList = (statuses: Record<string, number>): string =>
  Object.entries(statuses)
    .map(([code, n]) => `${code}: ${count(n)}`)
    .join(', ') || 'none';

/** The Node flags `npm run serve` starts the server with (package.json), so the bench runs it as users do. */
function serveNodeFlags(): string[] {
  const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const words = (scripts.serve ?? '').split(/\s+/);
  return words.slice(1, words.indexOf('bin/forgelink.js')).filter((word) => word.startsWith('--'));
}
