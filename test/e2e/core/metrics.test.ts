import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../../fakes/github-server.js';
import { FakeGitLab } from '../../fakes/gitlab-server.js';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { parsePrometheusText, type Scrape } from '../../support/prometheus-text.js';
import { signGitHub } from '../../support/webhook-signing.js';
import { fixtureBytes } from '../../unit/webhooks/fixtures.js';
import { type Auth, FIXTURE_IDS, connect, deliver, deploymentEvents, githubProvider, serviceId } from '../webhooks/support.js';
import { authorize } from '../forges/support.js';
import { FAST, makeEvents, ownDatabase, until } from '../subscriptions/support.js';
import { Receiver } from '../subscriptions/receiver.js';

const CONTRACT: Record<string, { type: string; labels: string[] }> = {
  forgelink_http_requests_total: { type: 'counter', labels: ['route', 'method', 'status'] },
  forgelink_http_request_duration_seconds: { type: 'histogram', labels: ['route', 'method'] },
  forgelink_webhook_deliveries_total: { type: 'counter', labels: ['forge', 'outcome'] },
  forgelink_events_published_total: { type: 'counter', labels: ['type', 'transport'] },
  forgelink_outbox_pending: { type: 'gauge', labels: [] },
  forgelink_outbox_oldest_pending_age_seconds: { type: 'gauge', labels: [] },
  forgelink_event_subscriptions_failing: { type: 'gauge', labels: [] },
  forgelink_forge_requests_total: { type: 'counter', labels: ['forge', 'status'] },
  forgelink_forge_request_duration_seconds: { type: 'histogram', labels: ['forge'] },
  forgelink_forge_rate_limit_remaining: { type: 'gauge', labels: ['forge', 'provider_id'] },
  forgelink_oauth_refreshes_total: { type: 'counter', labels: ['forge', 'result'] },
};

describe('GET /metrics after real traffic (real app, PostgreSQL, relay, fake forges)', () => {
  const github = new FakeGitHub();
  const gitlab = new FakeGitLab({ accessTokenTtlSeconds: 60 });
  const receiver = new Receiver();
  let t: TestApp;
  let auth: Auth;
  let organizationId: string;
  let database: Awaited<ReturnType<typeof ownDatabase>>;

  const scrape = async (): Promise<Scrape> => {
    const res = await t.api
      .get('/metrics')
      .expect(200)
      .expect('content-type', /^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(res.text);
  };
  /** How much a counter (or a histogram's _count) grew between two scrapes; 0 when the series never appeared. */
  const grew = (before: Scrape, after: Scrape, name: string, labels: Record<string, string>): number =>
    (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
  const sum = (s: Scrape, name: string, labels: Record<string, string>): number => s.all(name, labels).reduce((a, x) => a + x.value, 0);

  beforeAll(async () => {
    await Promise.all([github.start(), gitlab.start(), receiver.start()]);
    gitlab.setProjects(7);
    // Its own database: on the shared one, another test file's relay may publish this file's events, and they would
    // never show in this process's forgelink_events_published_total.
    database = await ownDatabase('metrics');
    t = await startTestApp({ databaseUrl: database.url }, { subscriptions: FAST });
    const org = await seedOrganization(t.app, 'Metrics');
    auth = org.admin.auth;
    organizationId = org.organizationId;
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
    await Promise.all([github.stop(), gitlab.stop(), receiver.stop()]);
  });

  it('declares every metric of the contract with its labels, plus the default process metrics', async () => {
    await t.api.get('/healthz').expect(200);
    const s = await scrape();
    for (const [name, { type, labels }] of Object.entries(CONTRACT)) {
      expect(s.families.get(name)?.type, name).toBe(type);
      expect(s.families.get(name)?.help, name).not.toBe('');
      for (const sample of s.all(type === 'histogram' ? `${name}_count` : name))
        expect(Object.keys(sample.labels).sort(), name).toEqual([...labels].sort());
    }
    expect(s.families.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(s.families.get('process_resident_memory_bytes')?.type).toBe('gauge');
    expect(s.families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
  });

  it('counts webhook deliveries by forge and outcome, forge calls and the rate limit they report, and published events', async () => {
    // Events of earlier tests still on their way through the relay would otherwise count in this window.
    await t.app.relay.drain();
    const before = await scrape();
    const { providerId, webhookSecret } = await githubProvider(t, auth, github, [
      { owner: 'binkkatal', name: 'sample_app', branches: ['master'], id: FIXTURE_IDS.githubSampleApp },
    ]);
    const service = serviceId('metrics');
    await connect(t, auth, service, { providerId, repository: 'binkkatal/sample_app', branch: 'master' });

    const push = fixtureBytes('github', 'push.json');
    const delivery = randomUUID();
    expect((await deliver(t, providerId, push, signGitHub(push, webhookSecret, { delivery }))).status).toBe(202);
    expect((await deliver(t, providerId, push, signGitHub(push, webhookSecret, { delivery }))).status).toBe(200);
    const ping = fixtureBytes('github', 'ping.json');
    expect((await deliver(t, providerId, ping, signGitHub(ping, webhookSecret, { event: 'ping' }))).status).toBe(200);
    expect((await deliver(t, providerId, push, signGitHub(push, 'not-the-secret'))).status).toBe(401);
    expect((await deliver(t, randomUUID(), push, signGitHub(push, webhookSecret))).status).toBe(404);
    await deploymentEvents(t, auth, (e) => e.data.deliveryId === delivery);
    await t.app.relay.drain();

    const after = await scrape();
    const deliveries = (outcome: string, forge = 'github'): number =>
      grew(before, after, 'forgelink_webhook_deliveries_total', { forge, outcome });
    expect([
      deliveries('deployed'),
      deliveries('duplicate'),
      deliveries('ignored'),
      deliveries('rejected'),
      deliveries('rejected', 'unknown'),
    ]).toEqual([1, 1, 1, 1, 1]);

    const published = (type: string): number => grew(before, after, 'forgelink_events_published_total', { type, transport: 'in-process' });
    expect([published('git-provider.created'), published('service-source.connected'), published('deployment.requested')]).toEqual([
      1, 1, 1,
    ]);

    // Connecting checked the repository and branch at the fake GitHub: every exchange counted and timed, by forge.
    const calls =
      sum(after, 'forgelink_forge_requests_total', { forge: 'github' }) -
      sum(before, 'forgelink_forge_requests_total', { forge: 'github' });
    expect(grew(before, after, 'forgelink_forge_requests_total', { forge: 'github', status: '200' })).toBeGreaterThan(0);
    expect(grew(before, after, 'forgelink_forge_request_duration_seconds_count', { forge: 'github' })).toBe(calls);
    // The budget GitHub reported on its last answer for this provider's installation.
    expect(after.value('forgelink_forge_rate_limit_remaining', { forge: 'github', provider_id: providerId })).toBe(
      5_000 - github.requestsCharged,
    );

    // Labels are closed sets: nothing of the tenant's (repository, organisation, service, secret) is in the scrape.
    const text = (await t.api.get('/metrics')).text;
    for (const leak of ['binkkatal', 'sample_app', organizationId, service, webhookSecret, delivery]) expect(text).not.toContain(leak);
  });

  it('counts each event a subscription endpoint accepted (transport http-subscription, once per subscription) and the failing subscriptions', async () => {
    const org = await seedOrganization(t.app, 'Metrics subscriber');
    const subscribe = async (endpoint: string, types?: string[]): Promise<void> => {
      const res = await t.api
        .post('/v1/event-subscriptions')
        .set(org.owner.auth)
        .send({ url: receiver.endpoint(endpoint), ...(types ? { types } : {}) });
      expect(res.status, res.text).toBe(201);
      receiver.secrets.set(endpoint, res.body.secret as string);
    };
    await subscribe('metrics-all');
    await subscribe('metrics-shared', ['git-provider.shared']);
    // Fails until told otherwise: its first event is retried (and counted only once it is accepted).
    let flakyUp = false;
    await subscribe('metrics-flaky', ['git-provider.created']);
    receiver.answer = (endpoint) => (endpoint === 'metrics-flaky' && !flakyUp ? 503 : 204);
    await t.app.relay.drain();
    const before = await scrape();

    // 2 providers: 2 × created, updated, shared (the organisation's only events).
    await makeEvents(t, org.owner, 2);
    await until(
      'both steady endpoints to receive every event',
      () => ({ all: receiver.accepted('metrics-all').length, shared: receiver.accepted('metrics-shared').length }),
      ({ all, shared }) => all >= 6 && shared >= 2,
    );
    await until(
      'the flaky endpoint to be refused twice',
      () => receiver.attempts('metrics-flaky').length,
      (n) => n >= 2,
    );
    const failing = await scrape();
    expect(failing.value('forgelink_event_subscriptions_failing')).toBe(1);
    expect(
      grew(before, failing, 'forgelink_events_published_total', { type: 'git-provider.created', transport: 'http-subscription' }),
    ).toBe(2);

    flakyUp = true;
    await until(
      'the flaky endpoint to recover',
      () => receiver.accepted('metrics-flaky').length,
      (n) => n >= 2,
    );
    await until(
      'its failing state to clear',
      async () => (await scrape()).value('forgelink_event_subscriptions_failing'),
      (n) => n === 0,
    );
    const after = await scrape();
    const delivered = (type: string): number =>
      grew(before, after, 'forgelink_events_published_total', { type, transport: 'http-subscription' });
    // created: metrics-all + metrics-flaky (after recovery, its refused attempts not counted); updated: metrics-all;
    // shared: metrics-all + metrics-shared.
    expect([delivered('git-provider.created'), delivered('git-provider.updated'), delivered('git-provider.shared')]).toEqual([4, 2, 4]);
    expect(receiver.accepted('metrics-all')).toHaveLength(6);
    expect(receiver.badSignatures).toEqual([]);
    // The relay's own transport counts each event once, independently of the subscriptions.
    expect(grew(before, after, 'forgelink_events_published_total', { type: 'git-provider.created', transport: 'in-process' })).toBe(2);
    expect(after.value('forgelink_event_subscriptions_failing')).toBe(0);
  });

  it('counts HTTP requests by route template (refused-before-routing and unknown paths included), never by raw path', async () => {
    const before = await scrape();
    const id = randomUUID();
    const junk = `nope-${randomUUID()}`;
    await t.api.get(`/v1/git-providers/${id}`).set(auth).expect(404);
    await t.api.get(`/v1/git-providers/${id}`).expect(401);
    await t.api.get(`/v1/${junk}`).set(auth).expect(404);
    await t.api.get(`/${junk}`).expect(404);
    await t.api.get('/healthz').expect(200);
    const after = await scrape();

    const requests = (route: string, method: string, status: string): number =>
      grew(before, after, 'forgelink_http_requests_total', { route, method, status });
    expect(requests('/v1/git-providers/{id}', 'GET', '404')).toBe(1);
    expect(requests('/v1/git-providers/{id}', 'GET', '401')).toBe(1);
    expect(requests('unmatched', 'GET', '404')).toBe(2);
    expect(requests('/healthz', 'GET', '200')).toBe(1);
    expect(grew(before, after, 'forgelink_http_request_duration_seconds_count', { route: '/v1/git-providers/{id}', method: 'GET' })).toBe(
      2,
    );
    expect(
      after.value('forgelink_http_request_duration_seconds_bucket', { route: '/v1/git-providers/{id}', method: 'GET', le: '+Inf' }),
    ).toBe(after.value('forgelink_http_request_duration_seconds_count', { route: '/v1/git-providers/{id}', method: 'GET' }));
    const routes = new Set(after.all('forgelink_http_requests_total').map((s) => s.labels.route));
    for (const route of routes) expect(route === 'unmatched' || !/[0-9a-f]{8}-[0-9a-f]{4}-/.test(route ?? ''), route).toBe(true);
    expect([...routes].join(' ')).not.toContain('nope-');
  });

  it('counts OAuth refreshes by result: ok after an expired token, revoked after the forge withdrew the grant', async () => {
    const clientId = `metrics-${randomUUID()}`;
    gitlab.addApplication({ clientId, clientSecret: `secret-${clientId}`, redirectUri: 'http://forgelink.test/v1/callbacks/gitlab' });
    const created = await t.api
      .post('/v1/git-providers/gitlab')
      .set(auth)
      .send({ name: `GitLab ${clientId}`, gitlabUrl: gitlab.url, applicationId: clientId, secret: `secret-${clientId}` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const providerId = created.body.id as string;
    await authorize(t, 'gitlab', created.body.authorizeUrl as string, providerId);
    gitlab.options.accessTokenTtlSeconds = 7200;
    gitlab.expireAccessTokens();

    const before = await scrape();
    await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(auth).expect(200);
    gitlab.revokeGrant();
    gitlab.expireAccessTokens();
    const refused = await t.api.get(`/v1/git-providers/${providerId}/repositories`).set(auth);
    expect(refused.status).toBe(422);
    const after = await scrape();

    expect(grew(before, after, 'forgelink_oauth_refreshes_total', { forge: 'gitlab', result: 'ok' })).toBe(1);
    expect(grew(before, after, 'forgelink_oauth_refreshes_total', { forge: 'gitlab', result: 'revoked' })).toBe(1);
    expect(grew(before, after, 'forgelink_forge_requests_total', { forge: 'gitlab', status: '200' })).toBeGreaterThan(0);
  });

  it('reports the outbox backlog: how many events wait and how old the oldest is', async () => {
    const knex = t.app.orm.em.getKnex();
    const id = randomUUID();
    // An event held back by its retry backoff: no relay (this run's files share the database) may publish it.
    await knex.raw(
      `insert into outbox (id, type, organization_id, aggregate_id, occurred_at, data, next_attempt_at)
       values (?, 'git-provider.updated', ?, ?, now() - interval '1 hour', '{}'::jsonb, now() + interval '1 hour')`,
      [id, organizationId, `metrics-${id}`],
    );
    try {
      const held = await scrape();
      expect(held.value('forgelink_outbox_pending')).toBeGreaterThanOrEqual(1);
      expect(held.value('forgelink_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(3_600);
      expect(held.value('forgelink_outbox_oldest_pending_age_seconds')).toBeLessThan(3_600 + 600);
    } finally {
      await knex.raw('delete from outbox where id = ?', [id]);
    }
    // Everything else in this run's database is younger than the run itself.
    expect((await scrape()).value('forgelink_outbox_oldest_pending_age_seconds')).toBeLessThan(3_600);
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  let t: TestApp;
  const token = `metrics-${randomUUID()}`;
  beforeAll(async () => {
    t = await startTestApp({ metricsToken: token }, { startRelay: false });
  });
  afterAll(() => t?.close());

  it('answers 401 without the token (or with a wrong one) and the scrape with it', async () => {
    const missing = await t.api.get('/metrics').expect(401);
    expect(missing.body.code).toBe('UNAUTHENTICATED');
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    await t.api.get('/metrics').set('Authorization', `Bearer ${token}x`).expect(401);
    const ok = await t.api.get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
    expect(parsePrometheusText(ok.text).families.has('forgelink_http_requests_total')).toBe(true);
  });
});
