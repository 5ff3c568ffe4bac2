import { describe, it, expect } from 'vitest';
import { decidePreview, type PreviewSource } from '../../../src/modules/webhooks/domain/preview-match.js';
import { type NormalizedPullRequest } from '../../../src/modules/webhooks/domain/pull-request.js';
import { boundedTitle, MAX_TITLE_LENGTH, WebhookDelivery } from '../../../src/modules/webhooks/domain/webhook-delivery.js';
import { webhookView } from '../../../src/modules/service-sources/application/queries/source-view.js';

const request = (overrides: Partial<NormalizedPullRequest> = {}): NormalizedPullRequest => ({
  action: 'requested',
  repository: 'acme/shop',
  repositoryId: '42',
  number: 7,
  title: 'New checkout',
  url: 'https://forge.example/acme/shop/pull/7',
  sourceBranch: 'feature/checkout',
  targetBranch: 'main',
  fromFork: false,
  author: 'ann',
  head: { sha: 'c'.repeat(40), complete: true, message: 'Checkout v2', author: 'Ann' },
  merged: false,
  ...overrides,
});

const source = (overrides: Partial<PreviewSource> = {}): PreviewSource => ({
  branch: 'main',
  previews: { enabled: true, fromForks: false },
  ...overrides,
});

describe('decidePreview', () => {
  it('emits for a source on the target branch with previews on', () => {
    expect(decidePreview(request(), source())).toEqual({ emit: true });
    expect(decidePreview(request({ action: 'closed', merged: true }), source())).toEqual({ emit: true });
  });

  it('needs the source branch to be the request target', () => {
    expect(decidePreview(request({ targetBranch: 'develop' }), source())).toEqual({ emit: false, reason: 'no_matching_source' });
  });

  it('says previews are off when the source did not opt in', () => {
    expect(decidePreview(request(), source({ previews: { enabled: false, fromForks: true } }))).toEqual({
      emit: false,
      reason: 'previews_disabled',
    });
  });

  it('takes requests from forks only with fromForks, for opening and for closing alike', () => {
    const fork = request({ fromFork: true });
    expect(decidePreview(fork, source())).toEqual({ emit: false, reason: 'fork_previews_disabled' });
    expect(decidePreview({ ...fork, action: 'closed' }, source())).toEqual({ emit: false, reason: 'fork_previews_disabled' });
    expect(decidePreview(fork, source({ previews: { enabled: true, fromForks: true } }))).toEqual({ emit: true });
  });
});

describe('WebhookDelivery previews', () => {
  const delivery = () => new WebhookDelivery('prov-1', 'gitlab', 'org-1', 'dlv-1', 'Merge Request Hook', new Date('2026-03-01T00:00:00Z'));
  const target = { serviceType: 'application', serviceId: 'svc-1', repositoryId: '42' };

  it('records preview.requested with the request and its head commit, counted for the answer', () => {
    const d = delivery();
    d.requestPreview(target, request());
    expect(d.deployments).toBe(1);
    expect(d.outcome).toBe('deployed');
    const [event] = d.pullDomainEvents();
    expect(event).toMatchObject({ type: 'preview.requested', organizationId: 'org-1', aggregateId: 'svc-1' });
    expect(event?.data).toEqual({
      serviceType: 'application',
      serviceId: 'svc-1',
      providerId: 'prov-1',
      providerType: 'gitlab',
      repository: 'acme/shop',
      repositoryId: '42',
      pullRequest: {
        number: 7,
        title: 'New checkout',
        url: 'https://forge.example/acme/shop/pull/7',
        sourceBranch: 'feature/checkout',
        targetBranch: 'main',
        fromFork: false,
        author: 'ann',
      },
      commit: { sha: 'c'.repeat(40), message: 'Checkout v2', author: 'Ann' },
      deliveryId: 'dlv-1',
    });
  });

  it('records preview.closed with the number and whether it merged', () => {
    const d = delivery();
    d.closePreview(target, request({ action: 'closed', merged: true }));
    const [event] = d.pullDomainEvents();
    expect(event?.type).toBe('preview.closed');
    expect(event?.data).toMatchObject({ pullRequest: { number: 7 }, merged: true, repositoryId: '42', deliveryId: 'dlv-1' });
  });

  it('never emits an abbreviated sha', () => {
    expect(() =>
      delivery().requestPreview(target, request({ head: { sha: 'abcdef012345', complete: false, message: '', author: '' } })),
    ).toThrow();
  });
});

describe('webhookView (hook health before the forge is asked)', () => {
  const registered = {
    registered: true,
    url: 'http://x/v1/webhooks/p',
    managedBy: 'forgelink' as const,
    registeredAt: '2026-03-01T10:00:00.000Z',
  };

  it('is awaiting_first_delivery with no delivery, or only older ones', () => {
    expect(webhookView(registered, undefined)).toMatchObject({ status: 'awaiting_first_delivery' });
    expect(webhookView(registered, undefined)).not.toHaveProperty('lastDeliveryAt');
    const old = webhookView(registered, { at: new Date('2026-03-01T09:00:00Z'), outcome: 'deployed' });
    expect(old).toMatchObject({ status: 'awaiting_first_delivery', lastDeliveryAt: '2026-03-01T09:00:00.000Z', lastOutcome: 'deployed' });
  });

  it('is delivering once the repository delivered since registration', () => {
    expect(webhookView(registered, { at: new Date('2026-03-01T11:00:00Z'), outcome: 'ignored' })).toMatchObject({
      status: 'delivering',
      lastDeliveryAt: '2026-03-01T11:00:00.000Z',
      lastOutcome: 'ignored',
    });
    // Registered before the time was recorded: any delivery counts.
    const { registeredAt: _, ...legacy } = registered;
    expect(webhookView(legacy, { at: new Date('2020-01-01T00:00:00Z'), outcome: 'ignored' }).status).toBe('delivering');
  });

  it('is not_registered when no hook serves the source', () => {
    expect(webhookView({ registered: false, url: null }, undefined).status).toBe('not_registered');
    expect(webhookView({ registered: false, url: 'u', error: 'refused' }, undefined)).toMatchObject({
      status: 'not_registered',
      error: 'refused',
    });
  });
});

describe('preview titles in events', () => {
  it('are cut to 1,000 characters (whole code points, "…" at the end); shorter ones are kept as they are', () => {
    expect(boundedTitle('Add the checkout')).toBe('Add the checkout');
    const exact = 'x'.repeat(MAX_TITLE_LENGTH);
    expect(boundedTitle(exact)).toBe(exact);
    const cut = boundedTitle('é'.repeat(5_000_000));
    expect(Array.from(cut)).toHaveLength(MAX_TITLE_LENGTH);
    expect(cut.endsWith('é…')).toBe(true);
    // An emoji (two UTF-16 units) is never split in half.
    expect(boundedTitle('😀'.repeat(2_000)).endsWith('😀…')).toBe(true);
  });
});
