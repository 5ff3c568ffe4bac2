import 'reflect-metadata';
import os from 'node:os';
import { benchConditional, benchListing, type ListingOptions } from './listing.js';
import { benchWebhooks } from './webhooks.js';
import { benchOutbox } from './outbox.js';
import { benchIngest } from './ingest.js';
import { benchPicker } from './picker.js';
import { benchCli } from './cli.js';
import { startBenchServer, type BenchServer } from './support/database.js';
import { interruption, onInterrupt } from './support/interrupt.js';
import { ms, now } from './support/report.js';

/**
 * `npm run bench [-- listing conditional picker ingest webhooks outbox cli]`: every benchmark prints the measured figure, a baseline
 * measured in the same run and their ratio. Everything talks to 127.0.0.1 only.
 */
const ALL = ['listing', 'conditional', 'picker', 'ingest', 'webhooks', 'outbox', 'cli'] as const;
type BenchName = (typeof ALL)[number];

const listing: ListingOptions = { repositories: 5_000, latencyMs: 50, repetitions: 3 };

async function main(): Promise<void> {
  const asked = process.argv.slice(2).filter((a) => a !== '--');
  const unknown = asked.filter((a) => !(ALL as readonly string[]).includes(a));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from ${ALL.join(', ')}`);
  const selected = new Set<BenchName>(asked.length > 0 ? (asked as BenchName[]) : ALL);

  const started = now();
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  console.log(`forgelink benchmarks — ${os.cpus().length} cores (${cpu}), Node ${process.version}, ${os.platform()}`);

  if (selected.has('listing')) await benchListing(listing);
  if (selected.has('conditional')) await benchConditional(listing);

  if (selected.has('picker') || selected.has('ingest') || selected.has('webhooks') || selected.has('outbox') || selected.has('cli')) {
    let server: BenchServer | undefined;
    const restore = onInterrupt(() => {
      console.error('\ninterrupted: dropping the bench databases');
      void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    });
    try {
      const setup = now();
      server = await startBenchServer();
      console.log(
        `\ndatabases: fresh migrated databases on the ${server.where} (server ready in ${ms(now() - setup)}), dropped at the end`,
      );
      if (selected.has('picker'))
        await benchPicker(server, { repositories: listing.repositories, latencyMs: listing.latencyMs, repetitions: 3 });
      if (selected.has('ingest')) {
        await benchIngest(server, {
          connections: 32,
          seconds: 10,
          warmupSeconds: 3,
          memorySeconds: Number(process.env.BENCH_MEMORY_SECONDS ?? 60),
          cpuProfileDir: process.env.BENCH_CPU_PROF,
        });
      }
      if (selected.has('webhooks')) await benchWebhooks(server, { fewSources: 1_000, manySources: 1_000_000, deliveries: 300, warmup: 50 });
      if (selected.has('outbox')) await benchOutbox(server, { events: 5_000, aggregates: 500, batchSize: 100, baselineBatchSize: 1 });
      if (selected.has('cli')) await benchCli(server, { runs: 7 });
    } finally {
      await server?.stop();
      restore();
    }
  }
  console.log(`\ntotal ${ms(now() - started)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // Dropping the databases on Ctrl-C cuts the apps' connections; the SIGINT handler exits once that is done.
    if (interruption.requested) return;
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
