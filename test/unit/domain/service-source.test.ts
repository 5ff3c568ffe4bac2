import { describe, it, expect } from 'vitest';
import { ServiceSource, ownerOf } from '../../../src/modules/service-sources/domain/service-source.js';
import { invalidRefName, invalidRepoPath, invalidRepositoryName } from '../../../src/modules/service-sources/domain/source-values.js';
import { aComposeSource, anApplicationSource, aRegisteredWebhook, aSourceLink } from '../../builders/service-sources.js';

const GIT_FIELDS_CLEARED = {
  sourceType: 'none',
  providerId: null,
  providerType: null,
  repository: null,
  repositoryId: null,
  owner: null,
  branch: null,
  triggerType: null,
  watchPaths: null,
  autoDeploy: false,
  buildPath: '/',
  composePath: null,
  previews: { enabled: false, fromForks: false },
  webhook: { registered: false, url: null },
};

describe('ServiceSource.empty', () => {
  it('starts disconnected, idle, with no events', () => {
    const source = ServiceSource.empty('org-1', 'compose', 'svc-1');
    expect(source).toMatchObject({
      ...GIT_FIELDS_CLEARED,
      serviceType: 'compose',
      serviceId: 'svc-1',
      organizationId: 'org-1',
      status: 'idle',
      version: 1,
    });
    expect(source.isConnected()).toBe(false);
    expect(source.peekDomainEvents()).toEqual([]);
  });
});

describe('ServiceSource previews', () => {
  it('are off unless the link asks for them, and a disconnect turns them off', () => {
    const off = anApplicationSource().connectedTo().build();
    expect(off.previews).toEqual({ enabled: false, fromForks: false });
    const on = anApplicationSource()
      .connectedTo({ previews: { enabled: true, fromForks: true } })
      .build();
    expect(on.previews).toEqual({ enabled: true, fromForks: true });
    on.disconnect();
    expect(on.previews).toEqual({ enabled: false, fromForks: false });
  });
});

describe('ServiceSource.connect', () => {
  it('links every Git field, derives the owner (GitLab subgroups kept) and records service-source.connected', () => {
    const source = anApplicationSource().build();
    const link = aSourceLink({ repository: 'acme/platform/shop', watchPaths: ['src/**'] });
    const webhook = aRegisteredWebhook(link.providerId);
    const now = new Date('2026-02-01T00:00:00Z');
    source.connect(link, webhook, now);
    expect(source).toMatchObject({
      sourceType: 'git',
      providerId: link.providerId,
      providerType: 'github',
      repository: 'acme/platform/shop',
      repositoryId: '4242',
      owner: 'acme/platform',
      branch: 'main',
      triggerType: 'push',
      watchPaths: ['src/**'],
      autoDeploy: true,
      buildPath: '/apps/shop',
      composePath: null,
      webhook,
      updatedAt: now,
    });
    expect(source.isConnected()).toBe(true);
    expect(source.peekDomainEvents()).toEqual([
      {
        id: expect.any(String),
        type: 'service-source.connected',
        occurredAt: now,
        organizationId: source.organizationId,
        aggregateId: source.serviceId,
        data: {
          serviceType: 'application',
          serviceId: source.serviceId,
          providerId: link.providerId,
          repository: 'acme/platform/shop',
          repositoryId: '4242',
          branch: 'main',
        },
      },
    ]);
  });

  it('copies the watch paths (the caller keeps its array) and stores an empty list as null', () => {
    const paths = ['a/**'];
    const source = anApplicationSource().build();
    source.connect(aSourceLink({ watchPaths: paths }), aRegisteredWebhook());
    paths.push('b/**');
    expect(source.watchPaths).toEqual(['a/**']);
    source.connect(aSourceLink({ watchPaths: [] }), aRegisteredWebhook());
    expect(source.watchPaths).toBeNull();
  });

  it('throws when a push source has no branch; a tag source needs none', () => {
    const source = anApplicationSource().build();
    expect(() => source.connect(aSourceLink({ triggerType: 'push', branch: null }), aRegisteredWebhook())).toThrow(/branch/);
    expect(source.isConnected()).toBe(false);
    expect(source.peekDomainEvents()).toEqual([]);
    source.connect(aSourceLink({ triggerType: 'tag', branch: null }), aRegisteredWebhook());
    expect(source).toMatchObject({ triggerType: 'tag', branch: null, sourceType: 'git' });
  });

  it('throws when an application is given a compose path', () => {
    const source = anApplicationSource().build();
    expect(() => source.connect(aSourceLink({ composePath: 'docker-compose.yml' }), aRegisteredWebhook())).toThrow(/compose path/);
    expect(source.isConnected()).toBe(false);
  });

  it('a compose defaults its compose path to docker-compose.yml and keeps a given one', () => {
    const source = aComposeSource().build();
    source.connect(aSourceLink({ composePath: null }), aRegisteredWebhook());
    expect(source.composePath).toBe('docker-compose.yml');
    source.connect(aSourceLink({ composePath: 'deploy/compose.prod.yml' }), aRegisteredWebhook());
    expect(source.composePath).toBe('deploy/compose.prod.yml');
  });

  it('connecting again replaces the earlier link', () => {
    const source = anApplicationSource().connectedTo({ repository: 'acme/old', branch: 'main' }).build();
    const link = aSourceLink({ repository: 'beta/new', branch: 'release', providerType: 'gitea' });
    source.connect(link, aRegisteredWebhook(link.providerId));
    expect(source).toMatchObject({
      repository: 'beta/new',
      owner: 'beta',
      branch: 'release',
      providerType: 'gitea',
      providerId: link.providerId,
    });
    expect(source.peekDomainEvents().map((e) => e.type)).toEqual(['service-source.connected']);
  });
});

describe('ServiceSource.disconnect', () => {
  it('clears every Git field of an application, keeps its status, and records service-source.disconnected with the old link', () => {
    const source = anApplicationSource().connectedTo({ repository: 'acme/shop', branch: 'main' }).withStatus('running').build();
    const providerId = source.providerId;
    const now = new Date('2026-03-01T00:00:00Z');
    source.disconnect(now);
    expect(source).toMatchObject({ ...GIT_FIELDS_CLEARED, status: 'running', updatedAt: now });
    expect(source.isConnected()).toBe(false);
    expect(source.peekDomainEvents()).toEqual([
      {
        id: expect.any(String),
        type: 'service-source.disconnected',
        occurredAt: now,
        organizationId: source.organizationId,
        aggregateId: source.serviceId,
        data: {
          serviceType: 'application',
          serviceId: source.serviceId,
          providerId,
          repository: 'acme/shop',
          repositoryId: '4242',
          branch: 'main',
        },
      },
    ]);
  });

  it.each(['running', 'done', 'error'] as const)(
    'clears every Git field of a compose (compose path included) and returns it from %s to idle',
    (status) => {
      const source = aComposeSource()
        .connectedTo(
          { composePath: 'compose.yml', triggerType: 'tag', branch: null, watchPaths: ['x/**'], autoDeploy: true, buildPath: '/deploy' },
          { registered: true, url: 'https://forgelink.example/v1/webhooks/x', managedBy: 'github-app' },
        )
        .withStatus(status)
        .build();
      expect(source.composePath).toBe('compose.yml');
      source.disconnect();
      expect(source).toMatchObject({ ...GIT_FIELDS_CLEARED, status: 'idle' });
      expect(source.peekDomainEvents().map((e) => e.type)).toEqual(['service-source.disconnected']);
    },
  );

  it('disconnecting twice records one event and changes nothing the second time', () => {
    const source = aComposeSource().connectedTo().build();
    const first = new Date('2026-03-01T00:00:00Z');
    source.disconnect(first);
    source.reportStatus('running', first);
    source.disconnect(new Date('2026-04-01T00:00:00Z'));
    expect(source.status).toBe('running');
    expect(source.updatedAt).toEqual(first);
    expect(source.pullDomainEvents().map((e) => e.type)).toEqual(['service-source.disconnected']);
  });

  it('disconnecting a source that was never connected records nothing', () => {
    const source = anApplicationSource().build();
    source.disconnect();
    expect(source.peekDomainEvents()).toEqual([]);
  });
});

describe('ServiceSource status and webhook', () => {
  it('reportStatus changes the status without an event, and ignores a repeat', () => {
    const source = aComposeSource().connectedTo().build();
    const now = new Date('2026-05-01T00:00:00Z');
    source.reportStatus('running', now);
    expect(source.status).toBe('running');
    expect(source.updatedAt).toEqual(now);
    source.reportStatus('running', new Date('2027-01-01T00:00:00Z'));
    expect(source.updatedAt).toEqual(now);
    expect(source.peekDomainEvents()).toEqual([]);
  });

  it('updateWebhook replaces the registration', () => {
    const source = anApplicationSource().connectedTo().build();
    source.updateWebhook({ registered: false, url: null, error: 'missing admin:repo_hook' });
    expect(source.webhook).toEqual({ registered: false, url: null, error: 'missing admin:repo_hook' });
  });
});

describe('source values', () => {
  it('ownerOf keeps every group segment', () => {
    expect(ownerOf('acme/shop')).toBe('acme');
    expect(ownerOf('group/sub/deeper/repo')).toBe('group/sub/deeper');
  });

  it.each(['acme/shop', 'group/sub/repo', 'a.b/c_d-e', 'Acme/My Repo', '~JDOE/dotfiles'])('accepts the repository name %j', (name) => {
    expect(invalidRepositoryName(name)).toBeUndefined();
  });
  it.each(['shop', 'acme/', '/shop', 'acme//shop', 'acme/../shop', 'acme/./x', 'x/' + 'a'.repeat(500), '~/x', 'acme/~x', '~~a/x'])(
    'refuses the repository name %j',
    (name) => {
      expect(invalidRepositoryName(name)).toBeTypeOf('string');
    },
  );

  it.each(['main', 'release/1.2', 'feature/x-y_z', 'v1.0.0'])('accepts the ref %j', (ref) => {
    expect(invalidRefName(ref)).toBeUndefined();
  });
  it.each([
    '',
    'a..b',
    'a b',
    'x~1',
    'x^',
    'a:b',
    'a?',
    'a*',
    'a[b',
    'a\\b',
    '/main',
    'main/',
    'main.',
    'x.lock',
    '@',
    '-x',
    'a/.hidden',
    'a//b',
    'a@{b',
    'x\u0001',
  ])('refuses the ref %j', (ref) => {
    expect(invalidRefName(ref)).toBeTypeOf('string');
  });

  it('repository paths stay inside the repository', () => {
    expect(invalidRepoPath('/apps/shop')).toBeUndefined();
    expect(invalidRepoPath('deploy/compose.yml')).toBeUndefined();
    expect(invalidRepoPath('../secrets')).toBeTypeOf('string');
    expect(invalidRepoPath('a/../../b')).toBeTypeOf('string');
    expect(invalidRepoPath('a\nb')).toBeTypeOf('string');
  });
});
