import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { FakeGitHub } from '../../fakes/github-server.js';
import { anotherDelivery, signGitHub } from '../../support/webhook-signing.js';
import { fixtureBytes } from '../../unit/webhooks/fixtures.js';
import { newDeliveryId } from './support.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ROUNDS = 50;

interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stderr: () => string;
}

/** `node bin/forgelink.js serve` on a free port; resolves once it says where it listens. */
function startServer(): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['bin/forgelink.js', 'serve'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      DATABASE_URL: inject('databaseUrl'),
      FORGELINK_MASTER_KEY: inject('masterKey'),
      PORT: '0',
      HOST: '127.0.0.1',
      PUBLIC_URL: 'http://forgelink.test',
      FORGE_URL_ALLOWLIST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`forgelink serve did not start within 45 s:\n${stderr}`)), 45_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const found = /forgelink: listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (found?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: found[1], stderr: () => stderr });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`forgelink serve exited with ${code}:\n${stderr}`));
    });
  });
}

async function stopServer(server: ServerProcess | undefined): Promise<void> {
  const child = server?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function call(
  base: string,
  method: string,
  route: string,
  apiKey: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('two app processes on one database', () => {
  let t: TestApp;
  const servers: ServerProcess[] = [];
  const github = new FakeGitHub();

  beforeAll(async () => {
    await github.start();
    const started = await Promise.allSettled([startServer(), startServer(), startTestApp()]);
    for (const s of started.slice(0, 2)) if (s.status === 'fulfilled') servers.push(s.value as ServerProcess);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    t = (started[2] as PromiseFulfilledResult<TestApp>).value;
  }, 90_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => stopServer(s)));
    await t?.close();
    await github.stop();
  }, 30_000);

  it(`deliver the same signed push to both at once, ${ROUNDS} times: exactly one deployment.requested per delivery`, async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const org = await seedOrganization(t.app, 'Two processes');
    const key = org.owner.apiKey;

    const app = github.addApp({ appId: 424_242 });
    github.addInstallation(app.appId, 4_242_420, 'binkkatal');
    github.setRepositories(4_242_420, [{ name: 'sample_app', id: 63933911 }]);
    github.setBranches('binkkatal/sample_app', [{ name: 'master' }]);
    const provider = await call(a.url, 'POST', '/v1/git-providers/github', key, {
      name: 'GitHub (two processes)',
      githubUrl: github.url,
      appId: app.appId,
      installationId: 4_242_420,
      privateKey: app.privateKey,
      webhookSecret: app.webhookSecret,
    });
    expect(provider.status, JSON.stringify(provider.body)).toBe(201);
    const providerId = provider.body.id as string;
    const source = await call(b.url, 'PUT', '/v1/services/application/two-proc-web/source', key, {
      providerId,
      repository: 'binkkatal/sample_app',
      branch: 'master',
    });
    expect(source.status, JSON.stringify(source.body)).toBe(200);

    const body = fixtureBytes('github', 'push.json');
    const deliveryIds: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const delivery = newDeliveryId();
      deliveryIds.push(delivery);
      const bytes = anotherDelivery(body);
      const headers = signGitHub(bytes, app.webhookSecret, { delivery });
      const answers = await Promise.all(
        [a, b].map(async (server) => {
          const res = await fetch(`${server.url}/v1/webhooks/${providerId}`, { method: 'POST', headers, body: bytes });
          return { status: res.status, body: (await res.json()) as Record<string, unknown> };
        }),
      );
      const statuses = answers.map((x) => x.status).sort();
      expect(statuses, `round ${round}: ${JSON.stringify(answers)}`).toEqual([200, 202]);
      expect(answers.find((x) => x.status === 202)?.body).toEqual({ deliveryId: delivery, deployments: 1 });
      expect(answers.find((x) => x.status === 200)?.body).toMatchObject({ deliveryId: delivery, duplicate: true });
    }

    // Authoritative: the outbox itself.
    const client = new pg.Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    try {
      const { rows } = await client.query<{ delivery: string; n: number }>(
        `select data->>'deliveryId' as delivery, count(*)::int as n from outbox
          where organization_id = $1 and type = 'deployment.requested' group by 1`,
        [org.organizationId],
      );
      expect(rows).toHaveLength(ROUNDS);
      expect(new Set(rows.map((r) => r.delivery))).toEqual(new Set(deliveryIds));
      expect(rows.every((r) => r.n === 1)).toBe(true);
    } finally {
      await client.end();
    }

    // And what a polling deployer sees through either process.
    const deadline = Date.now() + 20_000;
    let seen: Record<string, unknown>[] = [];
    while (Date.now() < deadline) {
      const feed = await call(a.url, 'GET', '/v1/events?type=deployment.requested&limit=500', key);
      seen = feed.body.items as Record<string, unknown>[];
      if (seen.length >= ROUNDS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const fromFeed = seen.map((e) => (e.data as { deliveryId: string }).deliveryId);
    expect(fromFeed).toHaveLength(ROUNDS);
    expect(new Set(fromFeed)).toEqual(new Set(deliveryIds));
    expect(seen.every((e) => (e.data as { commit: { sha: string } }).commit.sha === 'fd489864e7642b48eaad6e3f155c10e46810ec72')).toBe(true);

    const outcomes = await call(b.url, 'GET', `/v1/webhook-deliveries?providerId=${providerId}&limit=500`, key);
    const items = outcomes.body.items as { outcome: string }[];
    expect(items.filter((d) => d.outcome === 'deployed')).toHaveLength(ROUNDS);
    expect(items.filter((d) => d.outcome === 'duplicate')).toHaveLength(ROUNDS);
  }, 60_000);
});
