import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization, startTestApp, type TestApp } from '../../support/app.js';
import { FakeBitbucketDatacenter } from '../../fakes/bitbucket-datacenter-server.js';
import { signBitbucketDatacenter } from '../../support/webhook-signing.js';
import { clone, fixtureBytes, fixtureJson } from '../../unit/webhooks/fixtures.js';
import {
  type Auth,
  Db,
  type EventEnvelope,
  connect,
  deliver,
  deliveries,
  eventsOfType,
  json,
  newDeliveryId,
  serviceId,
} from './support.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Bitbucket Data Center previews end to end, as the other four forges' (previews.test.ts): the real `pr:*` payloads
 * (test/fixtures/webhooks/bitbucket-datacenter), signed with the secret of the hook forgelink registered, and the
 * preview.* events in the feed. Plus hook health: a hook switched off on the server is reported on read.
 */
const TOKEN = 'BBDC-UHJldmlld3NBbmRIZWFsdGg';
/** pr-merged.json and pr-opened-from-fork.json target DEV/deployment-automation (id 1684), branch master. */
const AUTOMATION = { fullName: 'DEV/deployment-automation', id: 1684 };
/** pr-opened.json targets DEV/network-monitor (id 1079), branch main. */
const MONITOR = { fullName: 'DEV/network-monitor', id: 1079 };

describe('Bitbucket Data Center: pull request previews and hook health', () => {
  const fake = new FakeBitbucketDatacenter();
  let t: TestApp;
  let db: Db;
  let auth: Auth;
  let providerId: string;
  const on = serviceId('dc-on');
  const forks = serviceId('dc-forks');
  const off = serviceId('dc-off');
  const monitor = serviceId('dc-monitor');

  beforeAll(async () => {
    await fake.start();
    fake.addToken(TOKEN, 'REPO_ADMIN');
    fake.setRepositories([
      { slug: 'deployment-automation', project: 'DEV', id: AUTOMATION.id, defaultBranch: 'master' },
      { slug: 'network-monitor', project: 'DEV', id: MONITOR.id, defaultBranch: 'main' },
    ]);
    fake.setBranches(AUTOMATION.fullName, [{ name: 'master' }, { name: 'stable' }]);
    fake.setBranches(MONITOR.fullName, [{ name: 'main' }]);
    t = await startTestApp();
    db = new Db();
    auth = (await seedOrganization(t.app, 'BBDC previews')).admin.auth;
    const res = await t.api
      .post('/v1/git-providers/bitbucket-datacenter')
      .set(auth)
      .send({ name: 'BBDC previews', serverUrl: fake.serverUrl, token: TOKEN });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    providerId = res.body.id as string;
    await connect(t, auth, on, { providerId, repository: AUTOMATION.fullName, branch: 'master', previews: { enabled: true } });
    await connect(t, auth, forks, {
      providerId,
      repository: AUTOMATION.fullName,
      branch: 'master',
      previews: { enabled: true, fromForks: true },
    });
    await connect(t, auth, off, { providerId, repository: AUTOMATION.fullName, branch: 'master' });
    await connect(t, auth, monitor, { providerId, repository: MONITOR.fullName, branch: 'main', previews: { enabled: true } });
  });

  afterAll(async () => {
    await t?.close();
    await db?.close();
    await fake.stop();
  });

  const secretOf = (fullName: string): string => {
    const [hook] = fake.hooksOf(fullName);
    if (!hook?.secret) throw new Error(`no hook with a secret on ${fullName}`);
    return hook.secret;
  };
  const send = (fullName: string, event: string, body: Buffer, delivery = newDeliveryId()) =>
    deliver(t, providerId, body, signBitbucketDatacenter(body, secretOf(fullName), { event, delivery }));
  const eventsOf = (type: string, delivery: string, atLeast = 1): Promise<EventEnvelope[]> =>
    eventsOfType(t, auth, type, (e) => e.data.deliveryId === delivery, atLeast);
  const payload = (file: string): Json => clone(fixtureJson('bitbucket-datacenter', file)) as Json;

  it('the registered hooks subscribe to pushes and to the pull request events previews need', () => {
    for (const repository of [AUTOMATION.fullName, MONITOR.fullName]) {
      const [hook, ...more] = fake.hooksOf(repository);
      expect(more).toEqual([]);
      expect(hook?.events).toEqual(['repo:refs_changed', 'pr:opened', 'pr:from_ref_updated', 'pr:merged', 'pr:declined', 'pr:deleted']);
    }
  });

  it('pr:opened → preview.requested with fromRef.latestCommit, for the source whose branch is the target', async () => {
    const delivery = newDeliveryId();
    const res = await send(MONITOR.fullName, 'pr:opened', fixtureBytes('bitbucket-datacenter', 'pr-opened.json'), delivery);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toEqual({ deliveryId: delivery, deployments: 1 });
    const [event, ...more] = await eventsOf('preview.requested', delivery);
    expect(more).toEqual([]);
    expect(event?.aggregateId).toBe(monitor);
    expect(event?.data).toEqual({
      serviceType: 'application',
      serviceId: monitor,
      providerId,
      providerType: 'bitbucket-datacenter',
      repository: MONITOR.fullName,
      repositoryId: String(MONITOR.id),
      pullRequest: {
        number: 125,
        title: 'feat: gather statistics about Woodpecker migration',
        url: 'https://bitbucket.example.com/projects/DEV/repos/network-monitor/pull-requests/125',
        sourceBranch: 'PROJ-4596',
        targetBranch: 'main',
        fromFork: false,
        author: 'mike.johnson_vendor.com',
      },
      commit: { sha: '1c7589876bc8b5e83122b1656925d679915193d4', message: '', author: '' },
      deliveryId: delivery,
    });
    // The same delivery again is a duplicate and emits nothing more.
    const again = await send(MONITOR.fullName, 'pr:opened', fixtureBytes('bitbucket-datacenter', 'pr-opened.json'), delivery);
    expect(again.body).toMatchObject({ duplicate: true, deployments: 0 });
    expect(await db.eventsFor(delivery)).toBe(1);
  });

  it('pr:from_ref_updated (new commits) → preview.requested with the new head', async () => {
    const body = payload('pr-opened.json');
    body['eventKey'] = 'pr:from_ref_updated';
    body['pullRequest']['fromRef']['latestCommit'] = 'ab'.repeat(20);
    body['previousFromHash'] = '1c7589876bc8b5e83122b1656925d679915193d4';
    const delivery = newDeliveryId();
    const res = await send(MONITOR.fullName, 'pr:from_ref_updated', json(body), delivery);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const [event] = await eventsOf('preview.requested', delivery);
    expect(event?.data).toMatchObject({ serviceId: monitor, commit: { sha: 'ab'.repeat(20) }, pullRequest: { number: 125 } });
  });

  it('pr:merged → preview.closed (merged) for every previewing source of the target branch; not for previews off', async () => {
    const delivery = newDeliveryId();
    const res = await send(AUTOMATION.fullName, 'pr:merged', fixtureBytes('bitbucket-datacenter', 'pr-merged.json'), delivery);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.deployments).toBe(2);
    const events = await eventsOf('preview.closed', delivery, 2);
    expect(events.map((e) => e.data.serviceId).sort()).toEqual([on, forks].sort());
    expect(events.map((e) => e.data.serviceId)).not.toContain(off);
    expect(events[0]?.data).toEqual({
      serviceType: 'application',
      serviceId: events[0]?.data.serviceId,
      providerId,
      providerType: 'bitbucket-datacenter',
      repository: AUTOMATION.fullName,
      repositoryId: String(AUTOMATION.id),
      pullRequest: { number: 111 },
      merged: true,
      deliveryId: delivery,
    });
  });

  it.each(['pr:declined', 'pr:deleted'])('%s → preview.closed, not merged', async (event) => {
    const body = payload('pr-merged.json');
    body['eventKey'] = event;
    body['pullRequest']['state'] = 'DECLINED';
    const delivery = newDeliveryId();
    const res = await send(AUTOMATION.fullName, event, json(body), delivery);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const closed = await eventsOf('preview.closed', delivery, 2);
    expect(closed).toHaveLength(2);
    for (const e of closed) expect(e.data).toMatchObject({ merged: false, pullRequest: { number: 111 } });
  });

  it('a request from a personal fork previews only where fromForks is on', async () => {
    const delivery = newDeliveryId();
    const res = await send(AUTOMATION.fullName, 'pr:opened', fixtureBytes('bitbucket-datacenter', 'pr-opened-from-fork.json'), delivery);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.deployments).toBe(1);
    const [event, ...more] = await eventsOf('preview.requested', delivery);
    expect(more).toEqual([]);
    expect(event?.data).toMatchObject({
      serviceId: forks,
      repository: AUTOMATION.fullName,
      repositoryId: String(AUTOMATION.id),
      pullRequest: { number: 114, sourceBranch: 'master', targetBranch: 'master', fromFork: true },
      commit: { sha: '716e510cecbe203618609cf103c54e040b949739' },
    });
  });

  it('a request targeting another branch, and pull request events forgelink does not act on, emit nothing (200)', async () => {
    const retarget = payload('pr-opened.json');
    retarget['pullRequest']['toRef']['displayId'] = 'release';
    retarget['pullRequest']['toRef']['id'] = 'refs/heads/release';
    const elsewhere = await send(MONITOR.fullName, 'pr:opened', json(retarget));
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(200);
    expect(elsewhere.body.deployments).toBe(0);

    const delivery = newDeliveryId();
    const modified = payload('pr-opened.json');
    modified['eventKey'] = 'pr:modified';
    const res = await send(MONITOR.fullName, 'pr:modified', json(modified), delivery);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ deployments: 0, reason: 'unsupported_event: pr:modified' });
    const recorded = (await deliveries(t, auth, providerId)).find((d) => d.deliveryId === delivery);
    expect(recorded).toMatchObject({ outcome: 'ignored' });
  });

  it('hook health: a hook switched off on the server is reported on read; PUT …/source switches it back on', async () => {
    const read = async (id: string) => {
      const res = await t.api.get(`/v1/services/application/${id}/source`).set(auth);
      expect(res.status, res.text).toBe(200);
      return res.body.webhook as Record<string, unknown>;
    };
    const [hook] = fake.hooksOf(MONITOR.fullName);
    expect(hook?.active).toBe(true);
    expect(await read(monitor)).toMatchObject({ registered: true, status: 'delivering' });

    (hook as { active: boolean }).active = false;
    expect(await read(monitor)).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('active: false') });
    // Reading reports; it changes nothing on the forge.
    expect(fake.hooksOf(MONITOR.fullName)[0]?.active).toBe(false);

    await connect(t, auth, monitor, { providerId, repository: MONITOR.fullName, branch: 'main', previews: { enabled: true } });
    expect(fake.hooksOf(MONITOR.fullName)[0]?.active).toBe(true);
    const healthy = await read(monitor);
    expect(healthy).toMatchObject({ status: 'delivering' });
    expect(healthy).not.toHaveProperty('disabledReason');

    // Deleted by hand on the server: reported as well, with the way back.
    (fake.hooksOf(MONITOR.fullName) as unknown[]).length = 0;
    expect(await read(monitor)).toMatchObject({
      status: 'disabled',
      disabledReason: expect.stringContaining('no longer exists on the forge'),
    });
  });
});
