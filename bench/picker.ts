import { type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createApplication } from '../src/app.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { FakeGitHub } from '../test/fakes/github-server.js';
import { type BenchServer } from './support/database.js';
import { benchConfig } from './support/github-target.js';
import { count, median, ms, now, printTable } from './support/report.js';

interface Open {
  readonly ms: number;
  readonly requests: number;
  readonly bytes: number;
  /** Content-Length: what crossed the wire (compressed when gzip was accepted). */
  readonly wire: number;
  readonly etag?: string;
}

export interface PickerOptions {
  readonly repositories: number;
  readonly latencyMs: number;
  readonly repetitions: number;
}

/**
 * P2b. The repository picker through the real API (GET /v1/git-providers/{id}/repositories, authorised, JSON):
 * opened cold (the list comes from the fake GitHub, each page after `latencyMs`) and opened again within 60 s
 * (the picker cache). Reported: wall time and forge requests of each, medians over `repetitions` providers.
 */
export async function benchPicker(server: BenchServer, options: PickerOptions): Promise<void> {
  const fake = new FakeGitHub();
  await fake.start();
  const app = await createApplication(
    { ...benchConfig(await server.createDatabase()), forgeUrlAllowlist: ['127.0.0.1'] },
    { logger: createLogger('warn') },
  );
  const http = await new Promise<Server>((resolve) => {
    const listening = app.http.listen(0, '127.0.0.1', () => resolve(listening));
  });
  try {
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const { id: organizationId } = await app.identity.createOrganization('Bench picker');
    const owner = await app.identity.addMember({ organizationId, userId: 'bench-owner', role: 'owner' });
    if (!owner.ok) throw new Error(owner.error.detail);
    const auth = { authorization: `Bearer ${owner.value.apiKey}` };
    const github = fake.addApp({ appId: 9_100 });
    const cold: Open[] = [];
    const warm: Open[] = [];
    const warmPlain: Open[] = [];
    const revalidated: Open[] = [];
    // Timed to the last byte of the answer; the body is parsed after the clock stops (the bench process also runs the
    // fake forge and the app, so parsing 1 MB of JSON here would be charged to the server).
    const open = async (providerId: string, etag?: string, encoding = 'gzip, deflate'): Promise<Open> => {
      fake.resetCounters();
      const started = now();
      const res = await fetch(`${base}/v1/git-providers/${providerId}/repositories`, {
        // fetch() adds `Cache-Control: no-cache` to a conditional request unless one is given, which makes any server
        // answer in full; a browser revalidating what it holds sends `max-age=0`.
        // A browser sends Accept-Encoding: gzip (fetch() decompresses, as a browser does); `identity` asks for the raw JSON.
        headers: { ...auth, 'accept-encoding': encoding, ...(etag ? { 'if-none-match': etag, 'cache-control': 'max-age=0' } : {}) },
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      const elapsed = now() - started;
      if (etag) {
        if (res.status !== 304) throw new Error(`the picker answered ${res.status} to If-None-Match`);
      } else {
        const body = JSON.parse(bytes.toString('utf8')) as { total?: number };
        if (res.status !== 200 || body.total !== options.repositories)
          throw new Error(`the picker answered ${res.status} with ${body.total} repositories`);
      }
      const wire = Number(res.headers.get('content-length') ?? bytes.length);
      return { ms: elapsed, requests: fake.requests.length, bytes: bytes.length, wire, etag: res.headers.get('etag') ?? undefined };
    };
    for (let i = 0; i < options.repetitions + 1; i++) {
      const installationId = 91_000 + i;
      fake.addInstallation(github.appId, installationId, 'acme');
      fake.setRepositories(installationId, options.repositories);
      const created = await fetch(`${base}/v1/git-providers/github`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `picker ${i}`,
          githubUrl: fake.url,
          appId: github.appId,
          installationId,
          privateKey: github.privateKey,
          webhookSecret: 'bench',
        }),
      });
      const { id } = (await created.json()) as { id: string };
      fake.latencyMs = options.latencyMs;
      const first = await open(id);
      const again = await open(id);
      const againPlain = await open(id, undefined, 'identity');
      const unchanged = await open(id, again.etag);
      fake.latencyMs = 0;
      if (i === 0) continue; // warm-up: JIT, connection pools
      cold.push(first);
      warm.push(again);
      warmPlain.push(againPlain);
      revalidated.push(unchanged);
    }
    const warmMs = median(warm.map((w) => w.ms));
    const warmRequests = Math.max(...warm.map((w) => w.requests));
    printTable(
      `P2b. Repository picker through the API: GitHub, ${count(options.repositories)} repositories, ${options.latencyMs} ms per forge request (median of ${options.repetitions} providers)`,
      [
        {
          case: 'wall time (gzip, as browsers ask)',
          measured: ms(warmMs),
          baseline: ms(median(cold.map((c) => c.ms))),
          ratio: `goal ≤ 20 ms: ${warmMs <= 20 ? 'met' : 'NOT met'}`,
        },
        {
          case: 'opened again, uncompressed (identity)',
          measured: ms(median(warmPlain.map((w) => w.ms))),
          baseline: '',
          ratio: `goal ≤ 20 ms: ${median(warmPlain.map((w) => w.ms)) <= 20 ? 'met' : 'NOT met'}`,
        },
        {
          case: 'revalidated (If-None-Match → 304)',
          measured: ms(median(revalidated.map((r) => r.ms))),
          baseline: '',
          ratio: `goal ≤ 20 ms: ${median(revalidated.map((r) => r.ms)) <= 20 ? 'met' : 'NOT met'}`,
        },
        {
          case: 'answer size',
          measured: `${count(median(warm.map((w) => w.bytes)))} bytes`,
          baseline: `${count(median(cold.map((c) => c.bytes)))} bytes`,
          ratio: '',
        },
        {
          case: 'bytes on the wire (gzip / identity)',
          measured: `${count(median(warm.map((w) => w.wire)))} / ${count(median(warmPlain.map((w) => w.wire)))} bytes`,
          baseline: `${count(median(cold.map((c) => c.wire)))} bytes`,
          ratio: '',
        },
        {
          case: 'forge requests',
          measured: count(warmRequests),
          baseline: count(median(cold.map((c) => c.requests))),
          ratio: `goal 0: ${warmRequests === 0 ? 'met' : 'NOT met'}`,
        },
      ],
      { case: 'figure', measured: 'opened again within 60 s', baseline: 'first open (cold)', ratio: 'goal' },
      [
        'both open the full list (no search, no paging) as JSON, timed to the last byte; the cold open includes minting the installation token; a browser holding the list revalidates it with its ETag (304, no body); after 60 s a list is fetched again from the forge with If-None-Match (bench 2)',
      ],
    );
  } finally {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await app.close();
    await fake.stop();
  }
}
