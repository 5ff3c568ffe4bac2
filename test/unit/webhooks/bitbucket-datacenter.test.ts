import { describe, it, expect } from 'vitest';
import { type IncomingWebhook } from '../../../src/modules/webhooks/application/ports/webhook-forge.js';
import { type NormalizedPush, type ParsedWebhook } from '../../../src/modules/webhooks/domain/push.js';
import { bitbucketDatacenterWebhooks as dc } from '../../../src/forges/bitbucket-datacenter/index.js';
import { type WebhookHeaders, signBitbucketDatacenter } from '../../support/webhook-signing.js';
import { clone, fixtureBytes, fixtureJson, ZERO } from './fixtures.js';

const SECRET = 'It\u2019s a Secret to Everybody';
const FORGE = 'bitbucket-datacenter';
const TO = '76797d54bca87db6d1e3e82ee40622c7908aa514';
const FROM = 'e0e15221b987fd8296141c0faa6a79f7c86ca4ce';

const request = (headers: WebhookHeaders, rawBody: Buffer): IncomingWebhook => ({ headers, rawBody });

function pushesOf(parsed: ParsedWebhook): readonly NormalizedPush[] {
  expect(parsed.kind).toBe('push');
  if (parsed.kind !== 'push') throw new Error('not a push');
  return parsed.pushes;
}

describe('Bitbucket Data Center webhook verification (X-Hub-Signature: sha256=<hex> over the raw bytes)', () => {
  const body = fixtureBytes(FORGE, 'repo-refs-changed.json');

  it('accepts a delivery signed with the hook secret, and when the second of several candidates matches', () => {
    expect(dc.verify(request(signBitbucketDatacenter(body, SECRET), body), [SECRET])).toBe(true);
    expect(dc.verify(request(signBitbucketDatacenter(body, SECRET), body), ['old secret', SECRET])).toBe(true);
  });

  it('rejects a delivery signed with another secret', () => {
    expect(dc.verify(request(signBitbucketDatacenter(body, 'another secret'), body), [SECRET])).toBe(false);
  });

  it('rejects a delivery without the signature header, without throwing', () => {
    const { 'x-hub-signature': _dropped, ...headers } = signBitbucketDatacenter(body, SECRET);
    expect(dc.verify(request(headers, body), [SECRET])).toBe(false);
  });

  it('rejects a body changed by one byte', () => {
    const headers = signBitbucketDatacenter(body, SECRET);
    const tampered = Buffer.from(body);
    tampered[body.length - 5] = (tampered[body.length - 5] ?? 0) ^ 0x01;
    expect(dc.verify(request(headers, tampered), [SECRET])).toBe(false);
  });

  it('rejects everything with no secret or an empty secret (never fails open)', () => {
    expect(dc.verify(request(signBitbucketDatacenter(body, SECRET), body), [])).toBe(false);
    expect(dc.verify(request(signBitbucketDatacenter(body, ''), body), [''])).toBe(false);
  });

  it('rejects a bare hex signature, a sha1= one and a truncated one', () => {
    const signed = signBitbucketDatacenter(body, SECRET)['x-hub-signature']!;
    const hex = signed.slice('sha256='.length);
    for (const value of [hex, `sha1=${hex.slice(0, 40)}`, signed.slice(0, -2), 'sha256=zz']) {
      expect(dc.verify(request({ ...signBitbucketDatacenter(body, SECRET), 'x-hub-signature': value }, body), [SECRET])).toBe(false);
    }
  });

  it('reads X-Request-Id as the delivery id and X-Event-Key as the event', () => {
    const headers = signBitbucketDatacenter(body, SECRET, { delivery: 'a1b2c3d4-0000-4000-8000-000000000001', event: 'repo:refs_changed' });
    expect(dc.deliveryId(request(headers, body))).toBe('a1b2c3d4-0000-4000-8000-000000000001');
    expect(dc.eventName(request(headers, body))).toBe('repo:refs_changed');
    expect(dc.deliveryId(request({ 'x-request-uuid': 'cloud-header' }, body))).toBeUndefined();
    expect(dc.payloadText(request(headers, body))).toBe(body.toString('utf8'));
  });
});

describe('Bitbucket Data Center repo:refs_changed parsing', () => {
  it('turns the real payload into a branch push identified by the numeric repository id', () => {
    expect(pushesOf(dc.parse('repo:refs_changed', fixtureJson(FORGE, 'repo-refs-changed.json')))).toEqual([
      {
        repository: 'DEV/deployment-automation',
        repositoryId: '1684',
        ref: { type: 'branch', name: 'renovate-all' },
        commitSha: TO,
        beforeSha: FROM,
        headCommit: { message: 'chore(deps): update all', author: 'Renovate Bot' },
        changedFiles: [],
        filesComplete: false,
        created: false,
        deleted: false,
        forced: false,
      },
    ]);
  });

  it('reads every change of one push: an update, a new tag, a new branch and a deleted branch', () => {
    const payload = clone(fixtureJson(FORGE, 'repo-refs-changed.json'));
    const [update] = payload['changes'] as Record<string, unknown>[];
    const tagSha = 'a'.repeat(40);
    payload['changes'] = [
      update,
      {
        ref: { id: 'refs/tags/v1.4.0', displayId: 'v1.4.0', type: 'TAG' },
        refId: 'refs/tags/v1.4.0',
        fromHash: ZERO,
        toHash: tagSha,
        type: 'ADD',
      },
      {
        ref: { id: 'refs/heads/release/1.4', displayId: 'release/1.4', type: 'BRANCH' },
        refId: 'refs/heads/release/1.4',
        fromHash: ZERO,
        toHash: TO,
        type: 'ADD',
      },
      {
        ref: { id: 'refs/heads/old', displayId: 'old', type: 'BRANCH' },
        refId: 'refs/heads/old',
        fromHash: FROM,
        toHash: ZERO,
        type: 'DELETE',
      },
    ];

    const pushes = pushesOf(dc.parse('repo:refs_changed', payload));

    expect(pushes.map((p) => [p.ref.type, p.ref.name, p.commitSha, p.created, p.deleted])).toEqual([
      ['branch', 'renovate-all', TO, false, false],
      ['tag', 'v1.4.0', tagSha, true, false],
      ['branch', 'release/1.4', TO, true, false],
      ['branch', 'old', ZERO, false, true],
    ]);
    // the tip's message is known only for commits the payload lists
    expect(pushes[1]!.headCommit).toBeUndefined();
    expect(pushes[2]!.headCommit).toEqual({ message: 'chore(deps): update all', author: 'Renovate Bot' });
    expect(pushes[3]!.headCommit).toBeUndefined();
    expect(pushes.every((p) => p.repositoryId === '1684' && p.repository === 'DEV/deployment-automation')).toBe(true);
  });

  it('treats an all-zero toHash as a deletion even without type DELETE, and skips refs that are neither branch nor tag', () => {
    const payload = clone(fixtureJson(FORGE, 'repo-refs-changed.json'));
    payload['changes'] = [
      { ref: { id: 'refs/heads/gone', displayId: 'gone', type: 'BRANCH' }, fromHash: FROM, toHash: ZERO, type: 'UPDATE' },
      { ref: { id: 'refs/notes/commits', displayId: 'commits', type: 'BRANCH' }, fromHash: FROM, toHash: TO, type: 'UPDATE' },
    ];
    const pushes = pushesOf(dc.parse('repo:refs_changed', payload));
    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toMatchObject({ ref: { type: 'branch', name: 'gone' }, deleted: true, commitSha: ZERO });
  });

  it('reads a personal repository as ~USER/slug', () => {
    const payload = clone(fixtureJson(FORGE, 'repo-refs-changed.json'));
    (payload['repository'] as { project: { key: string } }).project.key = '~JDOE';
    expect(pushesOf(dc.parse('repo:refs_changed', payload))[0]!.repository).toBe('~JDOE/deployment-automation');
  });

  it('answers no_ref_changes for an empty change list and malformed_payload for a payload without its repository', () => {
    const empty = clone(fixtureJson(FORGE, 'repo-refs-changed.json'));
    empty['changes'] = [];
    expect(dc.parse('repo:refs_changed', empty)).toEqual({ kind: 'ignored', reason: 'no_ref_changes' });
    const broken = clone(fixtureJson(FORGE, 'repo-refs-changed.json'));
    delete broken['repository'];
    expect(dc.parse('repo:refs_changed', broken)).toEqual({ kind: 'ignored', reason: 'malformed_payload: repo:refs_changed' });
  });
});

describe('Bitbucket Data Center other events', () => {
  it('answers diagnostics:ping (the hook page’s Test connection) as a ping', () => {
    expect(dc.parse('diagnostics:ping', { test: true })).toEqual({ kind: 'ignored', reason: 'ping' });
  });

  it.each([
    ['pr-opened.json', 'pr:opened'],
    ['pr-merged.json', 'pr:merged'],
    ['pr-opened-from-fork.json', 'pr:opened'],
  ])(
    'reads the real %s payload as a pull request event (previews; bitbucket-datacenter-pull-request.test.ts has the fields)',
    (file, event) => {
      const payload = fixtureJson(FORGE, file);
      expect(payload['eventKey']).toBe(event);
      expect(dc.parse(event, payload)).toMatchObject({ kind: 'pull-request' });
    },
  );

  it('answers a missing event header as such, and throws for JSON that is not an object', () => {
    expect(dc.parse(undefined, fixtureJson(FORGE, 'repo-refs-changed.json'))).toEqual({ kind: 'ignored', reason: 'missing_event_header' });
    expect(() => dc.parse('repo:refs_changed', [])).toThrow(TypeError);
  });
});
