import { type Failure, failure } from '../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../shared/result.js';
import { type UnitOfWork } from '../../../../shared/unit-of-work.js';
import { type Actor } from '../../../identity/domain/actor.js';
import { type GitProvider } from '../../domain/git-provider.js';
import { type GitProviderRepository } from '../../domain/git-provider-repository.js';
import { type ForgeBranch, ForgeError, type ForgeRepository } from '../ports/forge.js';
import { type ForgeConnector } from '../ports/forge-connector.js';
import { type RepositoryListCache } from '../ports/repository-list-cache.js';
import { type ForgeCatalog } from '../ports/forge-catalog.js';

export interface ListOptions {
  readonly search?: string;
  readonly page?: number;
  readonly perPage?: number;
}

export interface RepositoryListOptions extends ListOptions {
  /** Bypass the picker cache: list from the forge now (and cache that). */
  readonly refresh?: boolean;
}

/**
 * Reads that go to the forge: the seed's testConnection, get*Repositories and get*Branches. Read-only: a forge that
 * rejects the credentials marks the provider needs_reauthorization, and a call that works again clears it, both
 * recorded by CredentialRefusals (the ForgeConnector reports every call there); a refusal of one repository
 * (FORGE_FORBIDDEN) leaves the provider as it is.
 */
export class ForgeQueries {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly connector: ForgeConnector,
    private readonly listings: RepositoryListCache,
    private readonly forges: ForgeCatalog,
  ) {}

  /** Always asks the forge: it tests the connection. */
  async testConnection(actor: Actor, providerId: string): Promise<Result<{ ok: true; repositoryCount: number; message: string }, Failure>> {
    const repos = await this.listRepositories(actor, providerId, false);
    if (!repos.ok) return repos;
    const n = repos.value.length;
    return ok({ ok: true, repositoryCount: n, message: `Found ${n} repositories` });
  }

  /**
   * The picker: served from the cache (authorised first, like every call) when a list of this provider, fetched with
   * its current credentials at most 60 s ago, was not invalidated since; else listed from the forge and cached.
   */
  async repositories(
    actor: Actor,
    providerId: string,
    options: RepositoryListOptions,
  ): Promise<Result<{ items: readonly ForgeRepository[]; total: number }, Failure>> {
    const repos = await this.listRepositories(actor, providerId, options.refresh !== true);
    if (!repos.ok) return repos;
    return ok(page(repos.value, (r) => r.fullName, options));
  }

  /** A listing only 404s when the provider points at nothing: that is its setup, not an unknown provider id. */
  private async listRepositories(
    actor: Actor,
    providerId: string,
    fromCache: boolean,
  ): Promise<Result<readonly ForgeRepository[], Failure>> {
    let missing: string | undefined;
    // The generation read runs while the provider loads and the caller is authorised (one round trip less on a hit);
    // it reveals nothing and is used only once the caller may see the provider.
    const listing = this.listings.get(providerId);
    listing.catch(() => undefined);
    const repos = await this.call(actor, providerId, async (provider) => {
      const credentials = `${provider.version}`;
      const cached = await listing;
      const hit = fromCache ? cached.repositoriesFor(credentials) : undefined;
      if (hit) return hit;
      try {
        const listed = await this.connector.api(provider).listRepositories();
        this.listings.put(provider.id, credentials, cached.generation, listed);
        return listed;
      } catch (error) {
        if (!(error instanceof ForgeError) || error.kind !== 'not_found') throw error;
        missing = this.forges.missingTarget(provider);
        return [];
      }
    });
    if (repos.ok && missing) return err(failure.notReady(missing));
    return repos;
  }

  async branches(
    actor: Actor,
    providerId: string,
    repository: string,
    options: ListOptions,
  ): Promise<Result<{ items: readonly ForgeBranch[]; total: number }, Failure>> {
    const branches = await this.call(actor, providerId, async (provider) => {
      try {
        return await this.connector.api(provider).listBranches(repository);
      } catch (error) {
        if (error instanceof ForgeError && error.kind === 'not_found') return null;
        throw error;
      }
    });
    if (!branches.ok) return branches;
    if (branches.value === null) return err(failure.notFound(`Repository ${repository}`));
    return ok(page(branches.value, (b) => b.name, options));
  }

  private async call<T>(actor: Actor, providerId: string, work: (provider: GitProvider) => Promise<T>): Promise<Result<T, Failure>> {
    const provider = await this.uow.read(() => this.providers.findById(providerId));
    if (!provider || !provider.isVisibleTo(actor)) return err(failure.notFound('Git provider'));
    const notReady = this.usable(provider);
    if (notReady) return err(notReady);
    return ok(await work(provider));
  }

  /** Credentials that can be fixed on the forge side (a key, a token) may be re-tested; an OAuth grant needs a new one. */
  private usable(provider: GitProvider): Failure | undefined {
    const status = provider.status;
    if (status === 'ready') return undefined;
    if (status === 'needs_reauthorization') {
      if (!provider.usesOAuth()) return undefined;
      return failure.notReady('The forge revoked the authorisation: open GET /v1/git-providers/{id}/authorize-url and authorise again');
    }
    return failure.notReady(this.forges.notReady(provider));
  }
}

/** Without search and paging, `items` itself (the cached list, unchanged), so its JSON can be served from a memo. */
function page<T>(items: readonly T[], key: (item: T) => string, options: ListOptions): { items: readonly T[]; total: number } {
  const needle = options.search?.trim().toLowerCase();
  const filtered = needle ? items.filter((item) => key(item).toLowerCase().includes(needle)) : items;
  if (options.page === undefined && options.perPage === undefined) return { items: filtered, total: filtered.length };
  const perPage = options.perPage ?? 100;
  const start = ((options.page ?? 1) - 1) * perPage;
  return { items: filtered.slice(start, start + perPage), total: filtered.length };
}
