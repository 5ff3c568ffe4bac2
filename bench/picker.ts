import { type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createApplication } from '../src/app.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { FakeGitHub } from '../test/fakes/github-server.js';
import { type BenchServer } from './support/database.js';
import { benchConfig } from './support/github-target.js';
import { count, median, ms, now, printTable } from './support/report.js';

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
    const cold: { ms: number; requests: number }[] = [];
    const warm: { ms: number; requests: number }[] = [];
    const open = async (providerId: string): Promise<{ ms: number; requests: number }> => {
      fake.resetCounters();
      const started = now();
      const res = await fetch(`${base}/v1/git-providers/${providerId}/repositories`, { headers: auth });
      const body = (await res.json()) as { total?: number };
      const elapsed = now() - started;
      if (res.status !== 200 || body.total !== options.repositories)
        throw new Error(`the picker answered ${res.status} with ${body.total} repositories`);
      return { ms: elapsed, requests: fake.requests.length };
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
      fake.latencyMs = 0;
      if (i === 0) continue; // warm-up: JIT, connection pools
      cold.push(first);
      warm.push(again);
    }
    const warmMs = median(warm.map((w) => w.ms));
    const warmRequests = Math.max(...warm.map((w) => w.requests));
    printTable(
      `P2b. Repository picker through the API: GitHub, ${count(options.repositories)} repositories, ${options.latencyMs} ms per forge request (median of ${options.repetitions} providers)`,
      [
        {
          case: 'wall time',
          measured: ms(warmMs),
          baseline: ms(median(cold.map((c) => c.ms))),
          ratio: `goal ≤ 20 ms: ${warmMs <= 20 ? 'met' : 'NOT met'}`,
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
        'both open the full list (no search, no paging) as JSON; the cold open includes minting the installation token; after 60 s a list is fetched again with If-None-Match (bench 2)',
      ],
    );
  } finally {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await app.close();
    await fake.stop();
  }
}
