import { describe, it, expect } from 'vitest';
import { GitProvider, type ProviderSettings } from '../../../src/modules/git-providers/domain/git-provider.js';
import { type Actor } from '../../../src/modules/identity/domain/actor.js';
import { Secret } from '../../../src/shared/secret.js';
import { anActor, anOrganization, withRole } from '../../builders/actors.js';
import { gitHubApp } from '../../../src/forges/github/github-app-flows.js';
import { providerKinds } from '../../../src/forges/registry.js';
import { aBitbucketProvider, aGiteaProvider, aGitHubProvider, aGitLabProvider, aSecret } from '../../builders/git-providers.js';

const types = (provider: GitProvider): string[] => provider.peekDomainEvents().map((e) => e.type);

describe('GitProvider.create', () => {
  const input = aGitHubProvider().withApp().installed().named('  Acme GitHub  ').input();

  it.each(['owner', 'admin'] as const)('lets an %s create a provider, private to its creator, and records git-provider.created', (role) => {
    const actor = anActor(role);
    const now = new Date('2026-02-03T04:05:06Z');
    const created = GitProvider.create(actor, input, now);
    if (!created.ok) throw new Error(created.error.detail);
    const provider = created.value;
    expect(provider).toMatchObject({
      organizationId: actor.organizationId,
      createdBy: actor.userId,
      name: 'Acme GitHub',
      type: 'github',
      sharedWithOrganization: false,
      reauthorizationRequired: false,
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    expect(provider.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(provider.peekDomainEvents()).toEqual([
      {
        id: expect.any(String),
        type: 'git-provider.created',
        occurredAt: now,
        organizationId: actor.organizationId,
        aggregateId: provider.id,
        data: { providerId: provider.id, providerType: 'github' },
      },
    ]);
  });

  it('refuses a member with an UNAUTHORIZED failure value', () => {
    const created = GitProvider.create(anActor('member'), input);
    expect(created.ok).toBe(false);
    if (created.ok) return;
    expect(created.error.code).toBe('UNAUTHORIZED');
  });

  it('copies the secrets so later changes to the input do not leak in', () => {
    const secrets = { apiToken: aSecret() };
    const created = GitProvider.create(anActor('owner'), {
      name: 'bb',
      settings: aBitbucketProvider().input().settings,
      secrets,
      kind: providerKinds.of('bitbucket'),
    });
    if (!created.ok) throw new Error(created.error.detail);
    delete (secrets as Record<string, unknown>).apiToken;
    expect(created.value.hasSecret('apiToken')).toBe(true);
  });

  it.each(['', '   ', 'x'.repeat(101)])('throws on a name that is not 1–100 characters (%j)', (name) => {
    expect(() => GitProvider.create(anActor('owner'), { ...input, name })).toThrow(/1–100/);
  });

  it('pullDomainEvents hands the events over once', () => {
    const created = GitProvider.create(anActor('owner'), input);
    if (!created.ok) throw new Error(created.error.detail);
    expect(created.value.pullDomainEvents().map((e) => e.type)).toEqual(['git-provider.created']);
    expect(created.value.pullDomainEvents()).toEqual([]);
    expect(created.value.peekDomainEvents()).toEqual([]);
  });
});

describe('GitProvider visibility', () => {
  const org = anOrganization();
  const creatorMember = withRole(anActor('member', org.organizationId), 'member');
  const privateProvider = aGitLabProvider().createdBy(creatorMember).build();
  const sharedProvider = aGitLabProvider().createdBy(creatorMember).sharedWithOrganization().build();

  it('a private provider is visible to its creator, owners and admins only', () => {
    expect(privateProvider.isVisibleTo(creatorMember)).toBe(true);
    expect(privateProvider.isVisibleTo(org.owner)).toBe(true);
    expect(privateProvider.isVisibleTo(org.admin)).toBe(true);
    expect(privateProvider.isVisibleTo(org.member)).toBe(false);
  });

  it('a shared provider is visible to every member of the organisation', () => {
    for (const actor of [creatorMember, org.owner, org.admin, org.member, org.otherMember])
      expect(sharedProvider.isVisibleTo(actor)).toBe(true);
  });

  it('is never visible to another organisation, not even to its owner or to the same user id', () => {
    const sameUserElsewhere: Actor = { ...creatorMember, organizationId: org.outsider.organizationId };
    for (const provider of [privateProvider, sharedProvider]) {
      expect(provider.isVisibleTo(org.outsider)).toBe(false);
      expect(provider.isVisibleTo(withRole(org.outsider, 'admin'))).toBe(false);
      expect(provider.isVisibleTo(sameUserElsewhere)).toBe(false);
    }
  });
});

describe('GitProvider.changeSharing', () => {
  it('lets the creator share and unshare, recording git-provider.shared and git-provider.unshared', () => {
    const org = anOrganization();
    const provider = aGitHubProvider().createdBy(org.admin).build();
    const now = new Date('2026-03-01T00:00:00Z');
    expect(provider.changeSharing(org.admin, true, now)).toEqual({ ok: true, value: undefined });
    expect(provider.sharedWithOrganization).toBe(true);
    expect(provider.updatedAt).toEqual(now);
    expect(provider.changeSharing(org.admin, false, now).ok).toBe(true);
    expect(provider.sharedWithOrganization).toBe(false);
    expect(provider.peekDomainEvents().map((e) => [e.type, e.aggregateId, e.organizationId])).toEqual([
      ['git-provider.shared', provider.id, org.organizationId],
      ['git-provider.unshared', provider.id, org.organizationId],
    ]);
  });

  it('a member who created the provider may change its sharing', () => {
    const org = anOrganization();
    const provider = aGiteaProvider().createdBy(org.member).build();
    expect(provider.changeSharing(org.member, true).ok).toBe(true);
    expect(types(provider)).toEqual(['git-provider.shared']);
  });

  it.each(['owner', 'admin'] as const)('refuses an %s who is not the creator with UNAUTHORIZED and changes nothing', (role) => {
    const org = anOrganization();
    const provider = aGitHubProvider().createdBy(org.otherAdmin).build();
    const result = provider.changeSharing(role === 'owner' ? org.owner : org.admin, true);
    expect(result.ok ? undefined : result.error.code).toBe('UNAUTHORIZED');
    expect(provider.sharedWithOrganization).toBe(false);
    expect(types(provider)).toEqual([]);
  });

  it('answers NOT_FOUND to a member who cannot see the provider, and UNAUTHORIZED once it is shared', () => {
    const org = anOrganization();
    const provider = aGitHubProvider().createdBy(org.admin).build();
    const hidden = provider.changeSharing(org.member, true);
    expect(hidden.ok ? undefined : hidden.error.code).toBe('NOT_FOUND');

    const shared = aGitHubProvider().createdBy(org.admin).sharedWithOrganization().build();
    const visible = shared.changeSharing(org.member, false);
    expect(visible.ok ? undefined : visible.error.code).toBe('UNAUTHORIZED');
    expect(shared.sharedWithOrganization).toBe(true);
    expect(types(provider)).toEqual([]);
    expect(types(shared)).toEqual([]);
  });

  it('answers NOT_FOUND to another organisation', () => {
    const org = anOrganization();
    const provider = aGitHubProvider().createdBy(org.admin).sharedWithOrganization().build();
    const result = provider.changeSharing(org.outsider, false);
    expect(result.ok ? undefined : result.error.code).toBe('NOT_FOUND');
  });

  it('records nothing and keeps updatedAt when the sharing does not change', () => {
    const org = anOrganization();
    const provider = aGitHubProvider().createdBy(org.admin).sharedWithOrganization().build();
    const before = provider.updatedAt;
    expect(provider.changeSharing(org.admin, true, new Date('2030-01-01T00:00:00Z')).ok).toBe(true);
    expect(provider.updatedAt).toEqual(before);
    expect(types(provider)).toEqual([]);
  });
});

describe('GitProvider.removeBy', () => {
  it.each([
    ['owner', (o: ReturnType<typeof anOrganization>) => o.owner],
    ['admin (not the creator)', (o: ReturnType<typeof anOrganization>) => o.admin],
    ['member who created it', (o: ReturnType<typeof anOrganization>) => o.otherMember],
  ])('allows the %s and records git-provider.removed', (_label, who) => {
    const org = anOrganization();
    const provider = aBitbucketProvider().createdBy(org.otherMember).build();
    const actor = who(org);
    expect(provider.removeBy(actor).ok).toBe(true);
    expect(provider.peekDomainEvents()).toEqual([
      expect.objectContaining({
        type: 'git-provider.removed',
        aggregateId: provider.id,
        organizationId: org.organizationId,
        data: { providerId: provider.id, providerType: 'bitbucket' },
      }),
    ]);
  });

  it('refuses a member who can see a shared provider but did not create it', () => {
    const org = anOrganization();
    const provider = aBitbucketProvider().createdBy(org.admin).sharedWithOrganization().build();
    const result = provider.removeBy(org.member);
    expect(result.ok ? undefined : result.error.code).toBe('UNAUTHORIZED');
    expect(types(provider)).toEqual([]);
  });

  it('answers NOT_FOUND to a member who cannot see it and to another organisation, even its owner', () => {
    const org = anOrganization();
    const provider = aBitbucketProvider().createdBy(org.admin).build();
    for (const actor of [org.member, org.outsider]) {
      const result = provider.removeBy(actor);
      expect(result.ok ? undefined : result.error.code).toBe('NOT_FOUND');
    }
    const shared = aBitbucketProvider().createdBy(org.admin).sharedWithOrganization().build();
    const result = shared.removeBy(org.outsider);
    expect(result.ok ? undefined : result.error.code).toBe('NOT_FOUND');
    expect(shared.canManage(org.outsider)).toBe(false);
    expect(types(provider)).toEqual([]);
    expect(types(shared)).toEqual([]);
  });
});

describe('GitProvider.update', () => {
  it('renames, merges settings, sets and removes secrets, and records git-provider.updated', () => {
    const org = anOrganization();
    const provider = aGitLabProvider().createdBy(org.admin).authorized().withSettings({ groupName: 'old' }).build();
    const newSecret = Secret.of('new-client-secret');
    const now = new Date('2026-04-01T00:00:00Z');
    const result = provider.update(
      org.owner,
      {
        name: ' renamed ',
        settings: { groupName: 'platform', gitlabUrl: undefined },
        secrets: { clientSecret: newSecret, refreshToken: null },
      },
      1,
      now,
    );
    expect(result.ok).toBe(true);
    expect(provider.name).toBe('renamed');
    expect(provider.settings).toMatchObject({ type: 'gitlab', gitlabUrl: 'https://gitlab.com', groupName: 'platform' });
    expect(provider.secret('clientSecret')).toBe(newSecret);
    expect(provider.hasSecret('refreshToken')).toBe(false);
    expect(provider.hasSecret('accessToken')).toBe(true);
    expect(provider.updatedAt).toEqual(now);
    expect(types(provider)).toEqual(['git-provider.updated']);
  });

  it('answers CONFLICT when expectedVersion is not the current version, changing nothing', () => {
    const org = anOrganization();
    const provider = aGitHubProvider().createdBy(org.admin).named('before').build();
    const result = provider.update(org.admin, { name: 'after' }, 2);
    expect(result.ok ? undefined : result.error.code).toBe('CONFLICT');
    expect(provider.name).toBe('before');
    expect(types(provider)).toEqual([]);
    expect(provider.update(org.admin, { name: 'after' }, 1).ok).toBe(true);
    expect(provider.update(org.admin, { name: 'again' }).ok).toBe(true);
  });

  it('checks visibility, then who may manage, before the version', () => {
    const org = anOrganization();
    const provider = aGitHubProvider().createdBy(org.admin).build();
    const hidden = provider.update(org.member, { name: 'x' }, 99);
    expect(hidden.ok ? undefined : hidden.error.code).toBe('NOT_FOUND');
    provider.changeSharing(org.admin, true);
    const notManager = provider.update(org.member, { name: 'x' }, 99);
    expect(notManager.ok ? undefined : notManager.error.code).toBe('UNAUTHORIZED');
    const foreign = provider.update(org.outsider, { name: 'x' });
    expect(foreign.ok ? undefined : foreign.error.code).toBe('NOT_FOUND');
  });

  it('new credentials clear a GitHub or Bitbucket reauthorisation flag; an OAuth provider stays flagged until authorised', () => {
    const bitbucket = aBitbucketProvider().build();
    bitbucket.requireReauthorization();
    expect(bitbucket.status).toBe('needs_reauthorization');
    bitbucket.update(anActor('owner', bitbucket.organizationId), { secrets: { apiToken: aSecret() } });
    expect(bitbucket.status).toBe('ready');

    const gitlab = aGitLabProvider().authorized().build();
    gitlab.requireReauthorization();
    gitlab.update(anActor('owner', gitlab.organizationId), { secrets: { clientSecret: aSecret() } });
    expect(gitlab.status).toBe('needs_reauthorization');
  });
});

describe('GitProvider status per forge', () => {
  it('github: pending_authorization → pending_installation → ready', () => {
    expect(aGitHubProvider().build().status).toBe('pending_authorization');
    expect(aGitHubProvider().withSettings({ appId: 1 }).build().status).toBe('pending_authorization');
    expect(aGitHubProvider().withApp().build().status).toBe('pending_installation');
    expect(aGitHubProvider().installed().build().status).toBe('ready');
  });

  it('github manifest flow: completeGitHubApp then installGitHubApp, each recording git-provider.updated', () => {
    const provider = aGitHubProvider().build();
    gitHubApp.created(
      provider,
      { appId: 9, appSlug: 'forgelink-acme', appHtmlUrl: 'https://github.com/apps/forgelink-acme', clientId: 'Iv1.abc' },
      { privateKey: aSecret('pem'), webhookSecret: aSecret('wh'), clientSecret: aSecret('cs') },
    );
    expect(provider.status).toBe('pending_installation');
    expect(provider.settings).toMatchObject({ type: 'github', githubUrl: 'https://github.com', appId: 9, appSlug: 'forgelink-acme' });
    gitHubApp.installed(provider, 4242);
    expect(provider.status).toBe('ready');
    expect(provider.settings).toMatchObject({ installationId: 4242 });
    expect(types(provider)).toEqual(['git-provider.updated', 'git-provider.updated']);
  });

  it('github: a reauthorisation flag, then credentialsWorked, then a reinstall clears it', () => {
    const provider = aGitHubProvider().installed().build();
    provider.requireReauthorization();
    expect(provider.status).toBe('needs_reauthorization');
    provider.credentialsWorked();
    expect(provider.status).toBe('ready');
    provider.requireReauthorization();
    gitHubApp.installed(provider, 5);
    expect(provider.status).toBe('ready');
  });

  it('GitHub-only transitions throw on another forge', () => {
    expect(() => gitHubApp.installed(aGitLabProvider().build(), 1)).toThrow(/not a GitHub provider/);
  });

  it.each([
    ['gitlab', aGitLabProvider],
    ['gitea', aGiteaProvider],
  ] as const)(
    '%s: pending_authorization → ready after authorize → needs_reauthorization after requireReauthorization',
    (_type, builder) => {
      const provider = builder().build();
      expect(provider.status).toBe('pending_authorization');
      const expiresAt = new Date('2026-05-01T12:00:00Z');
      const accessToken = aSecret('access');
      provider.authorize({ accessToken, refreshToken: aSecret('refresh'), expiresAt });
      expect(provider.status).toBe('ready');
      expect(provider.secret('accessToken')).toBe(accessToken);
      expect((provider.settings as { tokenExpiresAt?: string }).tokenExpiresAt).toBe(expiresAt.toISOString());
      provider.requireReauthorization();
      expect(provider.status).toBe('needs_reauthorization');
      expect(provider.reauthorizationRequired).toBe(true);
      provider.requireReauthorization();
      expect(types(provider)).toEqual(['git-provider.updated', 'git-provider.updated']);
      provider.authorize({ accessToken: aSecret('access') });
      expect(provider.status).toBe('ready');
      expect(provider.hasSecret('refreshToken')).toBe(false);
      expect('tokenExpiresAt' in provider.settings).toBe(false);
    },
  );

  it('bitbucket is ready from creation', () => {
    expect(aBitbucketProvider().build().status).toBe('ready');
  });

  it('refreshGrant stores the new pair and records no event', () => {
    const provider = aGiteaProvider().authorized().build();
    const accessToken = aSecret('access2');
    const refreshToken = aSecret('refresh2');
    const now = new Date('2026-06-01T00:00:00Z');
    provider.refreshGrant({ accessToken, refreshToken, expiresAt: new Date('2026-06-01T02:00:00Z') }, now);
    expect(provider.secret('accessToken')).toBe(accessToken);
    expect(provider.secret('refreshToken')).toBe(refreshToken);
    expect(provider.updatedAt).toEqual(now);
    expect(provider.peekDomainEvents()).toEqual([]);
  });

  it('OAuth transitions throw on a forge without OAuth', () => {
    const provider = aBitbucketProvider().build();
    expect(() => provider.authorize({ accessToken: aSecret() })).toThrow(/does not use OAuth/);
    expect(() => provider.refreshGrant({ accessToken: aSecret() })).toThrow(/does not use OAuth/);
  });

  it('credentialsWorked records nothing when no reauthorisation was required', () => {
    const provider = aBitbucketProvider().build();
    provider.credentialsWorked();
    expect(types(provider)).toEqual([]);
  });

  it('every event names the aggregate, its organisation and its type', () => {
    const settings: ProviderSettings[] = [
      aGitHubProvider().input().settings,
      aGitLabProvider().input().settings,
      aBitbucketProvider().input().settings,
      aGiteaProvider().input().settings,
    ];
    for (const s of settings) {
      const actor = anActor('admin');
      const created = GitProvider.create(actor, { name: s.type, settings: s, secrets: {}, kind: providerKinds.of(s.type) });
      if (!created.ok) throw new Error(created.error.detail);
      const [event] = created.value.peekDomainEvents();
      expect(event).toMatchObject({ organizationId: actor.organizationId, aggregateId: created.value.id, data: { providerType: s.type } });
    }
  });
});
