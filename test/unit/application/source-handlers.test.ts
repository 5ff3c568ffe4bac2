import { beforeEach, describe, expect, it } from 'vitest';
import { type Failure } from '../../../src/shared/failure.js';
import { type RepositoryRef } from '../../../src/shared/repository-identity.js';
import { err, ok, type Result } from '../../../src/shared/result.js';
import { type GitProvider } from '../../../src/modules/git-providers/domain/git-provider.js';
import {
  RemoveProviderHandler,
  type RegisteredHooks,
} from '../../../src/modules/git-providers/application/commands/remove-provider/remove-provider.js';
import {
  ConnectSourceHandler,
  type ConnectSource,
} from '../../../src/modules/service-sources/application/commands/connect-source/connect-source.js';
import { DisconnectProviderSources } from '../../../src/modules/service-sources/application/commands/provider-removed/disconnect-provider-sources.js';
import { DisconnectSourceHandler } from '../../../src/modules/service-sources/application/commands/disconnect-source/disconnect-source.js';
import {
  type ForgeRepositoryRef,
  type SourceForge,
  type WebhookRegistrar,
} from '../../../src/modules/service-sources/application/ports/source-forge.js';
import { type WebhookRegistration } from '../../../src/modules/service-sources/domain/service-source.js';
import { anOrganization } from '../../builders/actors.js';
import { aBitbucketProvider } from '../../builders/git-providers.js';
import { InMemoryProviders, InMemorySources, InMemoryUnitOfWork } from '../../fakes/in-memory/persistence.js';

/** A forge that knows some repository/branch pairs (names in its own spelling, any case accepted) and their ids. */
class KnownTargets implements SourceForge {
  constructor(
    private readonly known: Set<string>,
    private readonly ids: Record<string, string>,
  ) {}
  async resolveTarget(_provider: GitProvider, repository: string, branch: string | null): Promise<Result<ForgeRepositoryRef, Failure>> {
    const fullName = Object.keys(this.ids).find((name) => name.toLowerCase() === repository.toLowerCase());
    const id = fullName ? this.ids[fullName] : undefined;
    if (fullName && id && (this.known.has(`${fullName}@${branch ?? '*'}`) || branch === null)) return ok({ id, fullName });
    return err({ code: 'PROVIDER_NOT_READY', detail: `${repository}@${branch} does not exist` });
  }
}

/** Hooks keyed by provider + repository id, released when no connected source uses them. */
class HookLedger implements WebhookRegistrar, RegisteredHooks {
  readonly hooks = new Map<string, string>();
  removedFromForge: string[] = [];
  constructor(private readonly sources: InMemorySources) {}
  async register(provider: GitProvider, repository: ForgeRepositoryRef): Promise<WebhookRegistration> {
    this.hooks.set(`${provider.id}#${repository.id}`, `${provider.id}/${repository.fullName}`);
    return { registered: true, url: `https://forgelink.test/v1/webhooks/${provider.id}`, managedBy: 'forgelink' };
  }
  async releaseIfUnused(providerId: string, repository: RepositoryRef): Promise<void> {
    if ((await this.sources.usersOf(providerId, repository)).length === 0 && repository.id)
      this.hooks.delete(`${providerId}#${repository.id}`);
  }
  names(): string[] {
    return [...this.hooks.values()];
  }
  async repositoriesWithHooks(providerId: string): Promise<string[]> {
    return this.names()
      .filter((h) => h.startsWith(`${providerId}/`))
      .map((h) => h.slice(providerId.length + 1));
  }
  async removeFromForge(provider: GitProvider, repositories: readonly string[]): Promise<void> {
    for (const r of repositories) {
      for (const [key, name] of this.hooks) if (name === `${provider.id}/${r}`) this.hooks.delete(key);
      this.removedFromForge.push(r);
    }
  }
}

describe('service-source handlers (in-memory ports)', () => {
  const org = anOrganization();
  let uow: InMemoryUnitOfWork;
  let providers: InMemoryProviders;
  let sources: InMemorySources;
  let hooks: HookLedger;
  let connect: ConnectSourceHandler;
  let disconnect: DisconnectSourceHandler;
  let provider: GitProvider;

  const command = (serviceId: string, overrides: Partial<ConnectSource> = {}): ConnectSource => ({
    serviceType: 'application',
    serviceId,
    providerId: provider.id,
    repository: 'acme/api',
    branch: 'main',
    triggerType: 'push',
    watchPaths: null,
    autoDeploy: true,
    buildPath: '/',
    composePath: null,
    ...overrides,
  });

  beforeEach(async () => {
    uow = new InMemoryUnitOfWork();
    providers = new InMemoryProviders(uow);
    sources = new InMemorySources(uow);
    hooks = new HookLedger(sources);
    const forge = new KnownTargets(new Set(['Acme/API@main', 'acme/web@main']), { 'Acme/API': '11', 'acme/web': '12' });
    connect = new ConnectSourceHandler(uow, providers, sources, forge, hooks);
    disconnect = new DisconnectSourceHandler(uow, sources, providers, hooks);
    provider = aBitbucketProvider().createdBy(org.admin).build();
    providers.rows.set(provider.id, provider);
  });

  it('connects when the forge knows the target, registers one hook per repository, and records service-source.connected', async () => {
    expect((await connect.execute(org.member, command('a'))).ok).toBe(false); // not visible to a member: unshared, not the creator
    const first = await connect.execute(org.admin, command('a'));
    const second = await connect.execute(org.owner, command('b'));
    expect(first.ok && second.ok).toBe(true);
    expect(hooks.names()).toEqual([`${provider.id}/Acme/API`]);
    expect(sources.rows.get(`${org.admin.organizationId}/application/a`)).toMatchObject({ repository: 'Acme/API', repositoryId: '11' });
    expect(uow.types()).toEqual(['service-source.connected', 'service-source.connected']);
    expect(sources.rows.get(`${org.admin.organizationId}/application/a`)?.webhook).toMatchObject({
      registered: true,
      managedBy: 'forgelink',
    });
  });

  it('refuses a branch the forge does not know with its failure, and stores nothing', async () => {
    const result = await connect.execute(org.admin, command('a', { branch: 'nope' }));
    expect(result).toEqual({ ok: false, error: { code: 'PROVIDER_NOT_READY', detail: 'acme/api@nope does not exist' } });
    expect(sources.rows.size).toBe(0);
    expect(uow.committed).toEqual([]);
  });

  it('keeps the hook until the last source of the repository disconnects; moving a source releases its old repository', async () => {
    await connect.execute(org.admin, command('a'));
    await connect.execute(org.admin, command('b'));
    await disconnect.execute(org.admin, 'application', 'a');
    expect(hooks.names()).toEqual([`${provider.id}/Acme/API`]);
    await connect.execute(org.admin, command('b', { repository: 'acme/web' }));
    expect(hooks.names()).toEqual([`${provider.id}/acme/web`]);
    expect(uow.types().filter((t) => t === 'service-source.disconnected')).toHaveLength(1);
  });

  it('two spellings of one repository share one hook; disconnecting either keeps it while the other is connected', async () => {
    const a = await connect.execute(org.admin, command('a', { repository: 'Acme/Api' }));
    const b = await connect.execute(org.admin, command('b', { repository: 'acme/api' }));
    expect(a.ok && b.ok).toBe(true);
    expect(hooks.names()).toEqual([`${provider.id}/Acme/API`]);
    await disconnect.execute(org.admin, 'application', 'b');
    expect(hooks.names()).toEqual([`${provider.id}/Acme/API`]);
    await disconnect.execute(org.admin, 'application', 'a');
    expect(hooks.names()).toEqual([]);
  });

  it('removing the provider disconnects every source in the same unit of work and removes its hooks from the forge', async () => {
    await connect.execute(org.admin, command('a'));
    await connect.execute(org.admin, command('b', { serviceType: 'compose', composePath: 'stack.yml' }));
    uow.committed.length = 0;
    const remove = new RemoveProviderHandler(uow, providers, new DisconnectProviderSources(sources), hooks);
    expect(await remove.execute(org.member, provider.id)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await remove.execute(org.admin, provider.id)).toEqual({ ok: true, value: { disconnected: 2 } });
    expect(uow.types().sort()).toEqual(['git-provider.removed', 'service-source.disconnected', 'service-source.disconnected']);
    expect(hooks.removedFromForge).toEqual(['Acme/API']);
    expect(providers.rows.has(provider.id)).toBe(false);
    const compose = sources.rows.get(`${org.admin.organizationId}/compose/b`);
    expect(compose).toMatchObject({ sourceType: 'none', providerId: null, repository: null, composePath: null, status: 'idle' });
  });
});
