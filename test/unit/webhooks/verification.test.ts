import { describe, it, expect } from 'vitest';
import { type IncomingWebhook, type WebhookForge } from '../../../src/modules/webhooks/application/ports/webhook-forge.js';
import { forgePlugin } from '../../../src/forges/registry.js';
import { type WebhookHeaders, signBitbucket, signGitHub, signGitLab, signGitea } from '../../support/webhook-signing.js';
import { fixtureBytes } from './fixtures.js';

/** Each forge's verifier and parser, as the registry hands them to the webhook pipeline. */
const webhookForges = {
  github: forgePlugin('github').webhooks,
  gitlab: forgePlugin('gitlab').webhooks,
  gitea: forgePlugin('gitea').webhooks,
  bitbucket: forgePlugin('bitbucket').webhooks,
};

const SECRET = 'It\u2019s a Secret to Everybody';

interface Case {
  readonly name: string;
  readonly forge: WebhookForge;
  readonly body: Buffer;
  readonly sign: (body: Buffer, secret: string) => WebhookHeaders;
  /** The header that proves authenticity (removing it must fail verification). */
  readonly proofHeaders: readonly string[];
  /** GitLab signs nothing: a changed body still carries the right token. */
  readonly bodyBound: boolean;
}

const cases: Case[] = [
  {
    name: 'GitHub',
    forge: webhookForges.github,
    body: fixtureBytes('github', 'push.json'),
    sign: (b, s) => signGitHub(b, s),
    proofHeaders: ['x-hub-signature-256'],
    bodyBound: true,
  },
  {
    name: 'GitLab',
    forge: webhookForges.gitlab,
    body: fixtureBytes('gitlab', 'push-event.json'),
    sign: (b, s) => signGitLab(b, s),
    proofHeaders: ['x-gitlab-token'],
    bodyBound: false,
  },
  {
    name: 'Gitea',
    forge: webhookForges.gitea,
    body: fixtureBytes('gitea', 'push-event.json'),
    sign: (b, s) => signGitea(b, s),
    proofHeaders: ['x-gitea-signature'],
    bodyBound: true,
  },
  {
    name: 'Forgejo',
    forge: webhookForges.gitea,
    body: fixtureBytes('gitea', 'push-event.json'),
    sign: (b, s) => signGitea(b, s, { flavour: 'forgejo' }),
    proofHeaders: ['x-gitea-signature', 'x-forgejo-signature'],
    bodyBound: true,
  },
  {
    name: 'Bitbucket',
    forge: webhookForges.bitbucket,
    body: fixtureBytes('bitbucket', 'repo-push.json'),
    sign: (b, s) => signBitbucket(b, s),
    proofHeaders: ['x-hub-signature'],
    bodyBound: true,
  },
];

const request = (headers: WebhookHeaders, rawBody: Buffer): IncomingWebhook => ({ headers, rawBody });

describe.each(cases)('$name webhook verification', ({ forge, body, sign, proofHeaders, bodyBound }) => {
  it('accepts a delivery signed with the configured secret', () => {
    expect(forge.verify(request(sign(body, SECRET), body), [SECRET])).toBe(true);
  });

  it('rejects a delivery signed with another secret', () => {
    expect(forge.verify(request(sign(body, 'another secret'), body), [SECRET])).toBe(false);
  });

  it('rejects a delivery without the signature header, without throwing', () => {
    const headers = sign(body, SECRET);
    for (const name of proofHeaders) delete headers[name];
    expect(forge.verify(request(headers, body), [SECRET])).toBe(false);
  });

  it('rejects a body changed by one byte when the forge signs the body (GitLab only sends its token)', () => {
    const headers = sign(body, SECRET);
    const tampered = Buffer.from(body);
    tampered[10] = (tampered[10] ?? 0) ^ 0x01;
    expect(forge.verify(request(headers, tampered), [SECRET])).toBe(!bodyBound);
  });

  it('rejects everything when no secret is configured (never fails open)', () => {
    expect(forge.verify(request(sign(body, SECRET), body), [])).toBe(false);
  });

  it('rejects an empty-string secret even when the delivery was "signed" with it', () => {
    expect(forge.verify(request(sign(body, ''), body), [''])).toBe(false);
  });

  it('accepts when the second of several candidate secrets matches', () => {
    expect(forge.verify(request(sign(body, SECRET), body), ['old secret', SECRET, ''])).toBe(true);
    expect(forge.verify(request(sign(body, SECRET), body), ['old secret', 'other'])).toBe(false);
  });

  it('rejects a malformed signature header', () => {
    const headers = sign(body, SECRET);
    for (const name of proofHeaders) headers[name] = 'sha256=zz';
    expect(forge.verify(request(headers, body), [SECRET])).toBe(false);
  });
});

describe('forge-specific signature details', () => {
  const body = fixtureBytes('github', 'push.json');

  it('GitHub ignores the legacy SHA-1 X-Hub-Signature and a signature without the sha256= prefix', () => {
    const headers = signGitHub(body, SECRET);
    const hex = headers['x-hub-signature-256']!.slice('sha256='.length);
    expect(webhookForges.github.verify(request({ ...headers, 'x-hub-signature-256': hex }, body), [SECRET])).toBe(false);
    const { 'x-hub-signature-256': _dropped, ...rest } = headers;
    expect(webhookForges.github.verify(request({ ...rest, 'x-hub-signature': `sha1=${'a'.repeat(40)}` }, body), [SECRET])).toBe(false);
  });

  it('GitHub rejects a truncated signature (length is not a side channel)', () => {
    const headers = signGitHub(body, SECRET);
    headers['x-hub-signature-256'] = headers['x-hub-signature-256']!.slice(0, -2);
    expect(webhookForges.github.verify(request(headers, body), [SECRET])).toBe(false);
  });

  it('GitLab compares the token exactly: a prefix or a longer token is rejected', () => {
    const gitlab = webhookForges.gitlab;
    const headers = signGitLab(body, SECRET);
    expect(gitlab.verify(request({ ...headers, 'x-gitlab-token': SECRET.slice(0, -1) }, body), [SECRET])).toBe(false);
    expect(gitlab.verify(request({ ...headers, 'x-gitlab-token': `${SECRET}x` }, body), [SECRET])).toBe(false);
    expect(gitlab.verify(request({ ...headers, 'x-gitlab-token': '' }, body), [''])).toBe(false);
  });

  it('Gitea verifies the raw bytes Go wrote (escaped <>&), not a re-serialisation', async () => {
    const { goJsonBody } = await import('../../support/webhook-signing.js');
    const raw = goJsonBody({ ref: 'refs/heads/main', message: 'a <b> & c' });
    expect(raw.toString()).toContain('\\u003cb\\u003e');
    const headers = signGitea(raw, SECRET);
    expect(webhookForges.gitea.verify(request(headers, raw), [SECRET])).toBe(true);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString())));
    expect(webhookForges.gitea.verify(request(headers, reserialised), [SECRET])).toBe(false);
  });

  it('Forgejo is accepted with only its own X-Forgejo-Signature header', () => {
    const gitea = signGitea(body, SECRET);
    const headers = { 'x-forgejo-event': 'push', 'x-forgejo-delivery': 'd-1', 'x-forgejo-signature': gitea['x-gitea-signature']! };
    expect(webhookForges.gitea.verify(request(headers, body), [SECRET])).toBe(true);
    expect(webhookForges.gitea.verify(request({ ...headers, 'x-forgejo-signature': 'f'.repeat(64) }, body), [SECRET])).toBe(false);
  });

  it('Gitea rejects a sha256=-prefixed value (it sends bare hex)', () => {
    const headers = signGitea(body, SECRET);
    headers['x-gitea-signature'] = `sha256=${headers['x-gitea-signature']!}`;
    expect(webhookForges.gitea.verify(request(headers, body), [SECRET])).toBe(false);
  });
});

describe('delivery ids and event names', () => {
  const body = Buffer.from('{}');

  it('GitHub: X-GitHub-Delivery and X-GitHub-Event', () => {
    const r = request(signGitHub(body, SECRET, { event: 'ping', delivery: 'gh-1' }), body);
    expect(webhookForges.github.deliveryId(r)).toBe('gh-1');
    expect(webhookForges.github.eventName(r)).toBe('ping');
  });

  it('GitLab: Idempotency-Key first, else X-Gitlab-Webhook-UUID, else X-Gitlab-Event-UUID', () => {
    const withKey = signGitLab(body, SECRET, { event: 'Tag Push Hook', delivery: 'idem-1' });
    expect(webhookForges.gitlab.deliveryId(request(withKey, body))).toBe('idem-1');
    expect(webhookForges.gitlab.eventName(request(withKey, body))).toBe('Tag Push Hook');
    const older = signGitLab(body, SECRET, { delivery: 'hook-uuid-1', idempotencyKey: null });
    expect(webhookForges.gitlab.deliveryId(request(older, body))).toBe('hook-uuid-1');
    expect(webhookForges.gitlab.deliveryId(request({ 'x-gitlab-event-uuid': 'ev-1' }, body))).toBe('ev-1');
  });

  it('Gitea and Forgejo: their own delivery and event headers', () => {
    expect(webhookForges.gitea.deliveryId(request(signGitea(body, SECRET, { delivery: 'g-1', event: 'create' }), body))).toBe('g-1');
    expect(webhookForges.gitea.eventName(request(signGitea(body, SECRET, { event: 'create' }), body))).toBe('create');
    const forgejoOnly = { 'x-forgejo-delivery': 'f-1', 'x-forgejo-event': 'delete' };
    expect(webhookForges.gitea.deliveryId(request(forgejoOnly, body))).toBe('f-1');
    expect(webhookForges.gitea.eventName(request(forgejoOnly, body))).toBe('delete');
  });

  it('Bitbucket: X-Request-UUID (same on retries), never the per-hook X-Hook-UUID', () => {
    const first = signBitbucket(body, SECRET, { delivery: 'req-1', hook: 'hook-1', attempt: 1 });
    const retry = signBitbucket(body, SECRET, { delivery: 'req-1', hook: 'hook-1', attempt: 2 });
    expect(webhookForges.bitbucket.deliveryId(request(first, body))).toBe('req-1');
    expect(webhookForges.bitbucket.deliveryId(request(retry, body))).toBe('req-1');
    expect(webhookForges.bitbucket.eventName(request(first, body))).toBe('repo:push');
    expect(webhookForges.bitbucket.deliveryId(request({ 'x-hook-uuid': 'hook-1' }, body))).toBeUndefined();
  });

  it('missing headers give undefined, not a throw', () => {
    for (const forge of Object.values(webhookForges)) {
      expect(forge.deliveryId(request({}, body))).toBeUndefined();
      expect(forge.eventName(request({}, body))).toBeUndefined();
      expect(forge.verify(request({}, body), [SECRET])).toBe(false);
    }
  });
});
