import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { expect, inject } from 'vitest';
import { type TestApp } from '../../support/app.js';
import { type FakeGitHub } from '../../fakes/github-server.js';
import { type FakeGitLab } from '../../fakes/gitlab-server.js';
import { type FakeGitea } from '../../fakes/gitea-server.js';
import { type FakeBitbucket } from '../../fakes/bitbucket-server.js';
import { type WebhookHeaders } from '../../support/webhook-signing.js';
import { type EventEnvelope } from '../../../src/platform/events/event-publisher.js';
import { type DeliveryView as DeliveryItem } from '../../../src/modules/webhooks/application/queries/delivery-list.js';

/** Helpers shared by the webhook end-to-end tests: providers set up through the public API against the fakes. */

export type Auth = { Authorization: string };

export type { EventEnvelope } from '../../../src/platform/events/event-publisher.js';

export type { DeliveryView as DeliveryItem } from '../../../src/modules/webhooks/application/queries/delivery-list.js';

export const PUBLIC_URL = 'http://forgelink.test';

const uniq = (): string => randomBytes(4).toString('hex');

/** A GitHub App provider (ready: it has its installation) whose installation sees the given repositories. */
export async function githubProvider(
  t: TestApp,
  auth: Auth,
  github: FakeGitHub,
  repositories: readonly { owner: string; name: string; branches: readonly string[]; id?: number }[],
): Promise<{ providerId: string; webhookSecret: string; installationId: number }> {
  const appId = 1_000 + Math.floor(Math.random() * 1_000_000);
  const installationId = appId * 10;
  const app = github.addApp({ appId });
  github.addInstallation(appId, installationId, repositories[0]?.owner ?? 'acme');
  github.setRepositories(
    installationId,
    repositories.map((r) => ({
      name: r.name,
      owner: { login: r.owner, id: 1, type: 'Organization' as const },
      ...(r.id === undefined ? {} : { id: r.id }),
    })),
  );
  for (const r of repositories)
    github.setBranches(
      `${r.owner}/${r.name}`,
      r.branches.map((name) => ({ name })),
    );
  const res = await t.api
    .post('/v1/git-providers/github')
    .set(auth)
    .send({
      name: `GitHub ${uniq()}`,
      githubUrl: github.url,
      appId,
      installationId,
      privateKey: app.privateKey,
      webhookSecret: app.webhookSecret,
    });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.status).toBe('ready');
  return { providerId: res.body.id as string, webhookSecret: app.webhookSecret, installationId };
}

/** Follows the OAuth redirect the way a browser would: the forge approves, the callback stores the tokens. */
async function completeOAuth(t: TestApp, kind: 'gitlab' | 'gitea', authorizeUrl: string, code: string): Promise<void> {
  const state = new URL(authorizeUrl).searchParams.get('state');
  expect(state).toBeTruthy();
  const callback = await t.api.get(`/v1/callbacks/${kind}`).query({ code, state });
  expect(callback.status, JSON.stringify(callback.body)).toBe(302);
  expect(callback.headers.location).toContain('status=ok');
}

/** A GitLab provider authorised through GitLab's OAuth flow on the fake (tokens of the fake's default user). */
export async function gitlabProvider(t: TestApp, auth: Auth, gitlab: FakeGitLab): Promise<{ providerId: string }> {
  const clientId = `app-${uniq()}`;
  const clientSecret = `gloas-${uniq()}`;
  gitlab.addApplication({ clientId, clientSecret, redirectUri: `${PUBLIC_URL}/v1/callbacks/gitlab` });
  const res = await t.api
    .post('/v1/git-providers/gitlab')
    .set(auth)
    .send({ name: `GitLab ${uniq()}`, gitlabUrl: gitlab.url, applicationId: clientId, secret: clientSecret });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await completeOAuth(t, 'gitlab', res.body.authorizeUrl as string, gitlab.issueCode(clientId));
  const summary = await t.api.get(`/v1/git-providers/${res.body.id as string}`).set(auth);
  expect(summary.body.status).toBe('ready');
  return { providerId: res.body.id as string };
}

/** A Gitea provider authorised through the fake's OAuth2 flow. */
export async function giteaProvider(t: TestApp, auth: Auth, gitea: FakeGitea): Promise<{ providerId: string }> {
  const clientId = `gitea-${uniq()}`;
  const clientSecret = `gto-${uniq()}`;
  gitea.addApplication({ clientId, clientSecret, redirectUri: `${PUBLIC_URL}/v1/callbacks/gitea` });
  const res = await t.api
    .post('/v1/git-providers/gitea')
    .set(auth)
    .send({ name: `Gitea ${uniq()}`, giteaUrl: gitea.url, clientId, clientSecret });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await completeOAuth(t, 'gitea', res.body.authorizeUrl as string, gitea.issueCode(clientId));
  const summary = await t.api.get(`/v1/git-providers/${res.body.id as string}`).set(auth);
  expect(summary.body.status).toBe('ready');
  return { providerId: res.body.id as string };
}

/** A Bitbucket Cloud provider with an API token (the app's BITBUCKET_API_URL must point at the fake). */
export async function bitbucketProvider(
  t: TestApp,
  auth: Auth,
  bitbucket: FakeBitbucket,
  workspace: string,
  scopes?: readonly string[],
): Promise<{ providerId: string }> {
  const email = `ci-${uniq()}@example.com`;
  const apiToken = `ATATT${uniq()}`;
  bitbucket.addApiToken(email, apiToken, scopes);
  const res = await t.api
    .post('/v1/git-providers/bitbucket')
    .set(auth)
    .send({ name: `Bitbucket ${uniq()}`, username: 'ci-bot', email, workspace, apiToken });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { providerId: res.body.id as string };
}

export interface SourceInput {
  providerId: string;
  repository: string;
  branch?: string;
  triggerType?: 'push' | 'tag';
  watchPaths?: string[];
  autoDeploy?: boolean;
  previews?: { enabled?: boolean; fromForks?: boolean };
}

/** PUT …/source, expecting 200; returns the Source. */
export async function connect(
  t: TestApp,
  auth: Auth,
  serviceId: string,
  input: SourceInput,
  serviceType = 'application',
): Promise<Record<string, unknown>> {
  const res = await t.api.put(`/v1/services/${serviceType}/${serviceId}/source`).set(auth).send(input);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Record<string, unknown>;
}

export const serviceId = (label: string): string => `${label}-${uniq()}`;

/**
 * The forge ids the vendored payloads carry (test/fixtures/webhooks): fakes are seeded with them, since forgelink
 * matches deliveries to sources by the forge's repository id.
 */
export const FIXTURE_IDS = {
  /** github/push.json */
  githubSampleApp: 63933911,
  /** @octokit/webhooks-examples push */
  githubHelloWorld: 186853002,
  /** gitlab/push-event.json project_id */
  gitlabDiaspora: 15,
  /** gitlab/tag-event.json project_id */
  gitlabExample: 1,
  /** gitea/push-event.json repository.id */
  giteaExample: 1,
  /** bitbucket/repo-push.json repository.uuid */
  bitbucketRepoName: '{673a6070-3421-46c9-9d48-90745f7bfe8e}',
} as const;

/**
 * POST /v1/webhooks/{providerId} with exactly these bytes. Sent as a string: superagent would JSON-serialise a
 * Buffer under a JSON content type. Every body here is valid UTF-8, so the bytes on the wire are the same.
 */
export function deliver(t: TestApp, providerId: string, body: Buffer | string, headers: WebhookHeaders) {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  if (Buffer.isBuffer(body) && !Buffer.from(text, 'utf8').equals(body)) throw new Error('deliver() needs a UTF-8 body');
  return t.api.post(`/v1/webhooks/${providerId}`).set(headers).send(text);
}

export const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

/**
 * Every `deployment.requested` of the caller's organisation matching `where`, polled through GET /v1/events until
 * at least `atLeast` are there (the feed shows a commit once no older transaction is still running).
 */
export function deploymentEvents(
  t: TestApp,
  auth: Auth,
  where: (e: EventEnvelope) => boolean,
  atLeast = 1,
  timeoutMs = 20_000,
): Promise<EventEnvelope[]> {
  return eventsOfType(t, auth, 'deployment.requested', where, atLeast, timeoutMs);
}

/** Every event of `type` of the caller's organisation matching `where`, polled through GET /v1/events (see deploymentEvents). */
export async function eventsOfType(
  t: TestApp,
  auth: Auth,
  type: string,
  where: (e: EventEnvelope) => boolean,
  atLeast = 1,
  timeoutMs = 20_000,
): Promise<EventEnvelope[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all: EventEnvelope[] = [];
    let after: string | undefined;
    for (;;) {
      const res = await t.api
        .get('/v1/events')
        .set(auth)
        .query({ type, limit: 500, ...(after ? { after } : {}) });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const items = res.body.items as EventEnvelope[];
      all.push(...items);
      if (items.length < 500) break;
      after = res.body.nextCursor as string;
    }
    const matching = all.filter(where);
    if (matching.length >= atLeast || Date.now() > deadline) return matching;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function deliveries(t: TestApp, auth: Auth, providerId: string): Promise<DeliveryItem[]> {
  const res = await t.api.get('/v1/webhook-deliveries').set(auth).query({ providerId, limit: 500 });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items as DeliveryItem[];
}

/** Direct reads of the test database: what was stored for one delivery, bypassing the feed's visibility rules. */
export class Db {
  private readonly pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 });

  async deliveryRows(providerId: string, deliveryId: string): Promise<{ outcome: string; reason: string | null }[]> {
    const { rows } = await this.pool.query<{ outcome: string; reason: string | null }>(
      'select outcome, reason from webhook_delivery where provider_id = $1 and delivery_id = $2 order by received_at',
      [providerId, deliveryId],
    );
    return rows;
  }

  /** Outbox rows (any type) that name this delivery id, in the provider's organisation. */
  async eventsFor(deliveryId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`select count(*)::text as n from outbox where data->>'deliveryId' = $1`, [
      deliveryId,
    ]);
    return Number(rows[0]?.n ?? 0);
  }

  async hookRows(providerId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ repository: string }>(
      'select repository from repository_hook where provider_id = $1 order by repository',
      [providerId],
    );
    return rows.map((r) => r.repository);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

export const newDeliveryId = (): string => randomUUID();
