import { encodePath, pathSegments } from '../../shared/path-segments.js';
import { z, type ZodType } from 'zod';
import {
  type ChangedFiles,
  type CommitStatusAnswer,
  type CommitStatusState,
  ForgeError,
  type ForgeApi,
  type ForgeBranch,
  type ForgeCommit,
  type ForgeHooks,
  type GitRef,
  type HookState,
  type ForgeRepository,
  type RegisteredHook,
} from '../../modules/git-providers/application/ports/forge.js';
import { type ForgeHttp, type ForgeResponse, mapLimit, parseLinkHeader, PAGE_CONCURRENCY } from '../shared/forge-http.js';
import { clip, fitName, statusRefusal } from '../shared/commit-status.js';
import { type RepositoryRef } from '../../shared/repository-identity.js';
import { trimSlash } from './gitea-oauth.js';
import {
  type GiteaBranch,
  type GiteaHook,
  type GiteaRepository,
  giteaApiSettings,
  giteaBranch,
  giteaBranchHead,
  giteaCommit,
  giteaCompare,
  giteaTag,
  giteaHook,
  giteaRepository,
} from './gitea-schemas.js';

export interface GiteaConnection {
  readonly giteaUrl: string;
  /** Called before every request: tokens are refreshed elsewhere, under a database lock. */
  readonly accessToken: () => Promise<string>;
  /** Scope of the ETag cache, e.g. the provider id: answers are never shared between credentials. */
  readonly cacheScope: string;
}

/** Gitea's built-in MAX_RESPONSE_ITEMS, used when /settings/api is missing (very old servers). */
const FALLBACK_PAGE_SIZE = 50;
const PAGE_CAP_TTL_MS = 10 * 60_000;
const PAGE_CAP_MAX_HOSTS = 500;
const MAX_PAGES = 10_000;
/** Gitea/Forgejo document no limits on `context` and `description`; kept to 255 like the other forges. */
const GITEA_CONTEXT_MAX = 255;
const GITEA_DESCRIPTION_MAX = 255;
const GITEA_STATES: Record<CommitStatusState, 'pending' | 'success' | 'failure'> = {
  running: 'pending',
  done: 'success',
  error: 'failure',
};
/** Pushes (and branch creation), and pull requests for previews (opened, synchronized, closed, …). */
const HOOK_EVENTS = ['push', 'create', 'pull_request'];
const ZERO_SHA = /^0+$/;

const pageCaps = new Map<string, { readonly expiresAt: number; readonly cap: Promise<number> }>();

/** Forgets every cached page cap (tests that reconfigure a server between calls). */
export function forgetGiteaPageCaps(): void {
  pageCaps.clear();
}

/** Read access and webhook management on one Gitea or Forgejo instance (API `<giteaUrl>/api/v1`). */
export function createGiteaApi(http: ForgeHttp, conn: GiteaConnection): ForgeApi & ForgeHooks {
  const origin = trimSlash(conn.giteaUrl);
  const api = `${origin}/api/v1`;
  const auth = async (): Promise<Record<string, string>> => ({ authorization: `token ${await conn.accessToken()}` });

  // `limit` is silently capped at the server's MAX_RESPONSE_ITEMS (Dokploy#1798 showed 30 repos): ask the server
  const pageCap = (): Promise<number> => {
    const now = Date.now();
    const hit = pageCaps.get(origin);
    if (hit && hit.expiresAt > now) return hit.cap;
    const cap = readPageCap();
    pageCaps.delete(origin);
    pageCaps.set(origin, { expiresAt: now + PAGE_CAP_TTL_MS, cap });
    if (pageCaps.size > PAGE_CAP_MAX_HOSTS) {
      const oldest = pageCaps.keys().next().value;
      if (oldest !== undefined) pageCaps.delete(oldest);
    }
    cap.catch(() => {
      if (pageCaps.get(origin)?.cap === cap) pageCaps.delete(origin);
    });
    return cap;
  };

  const readPageCap = async (): Promise<number> => {
    const response = await http.request({
      url: `${api}/settings/api`,
      headers: await auth(),
      allowStatus: [404],
      what: 'reading the API settings',
    });
    if (response.status === 404) return FALLBACK_PAGE_SIZE;
    const parsed = giteaApiSettings.safeParse(response.data);
    if (!parsed.success)
      throw http.error('bad_response', 'Gitea/Forgejo answered reading the API settings with an unexpected shape', response.status);
    return positive(parsed.data.max_response_items) ?? positive(parsed.data.default_paging_num) ?? FALLBACK_PAGE_SIZE;
  };

  const get = async <T>(path: string, schema: ZodType<T>, what: string, query?: URLSearchParams, cache = true): Promise<ForgeResponse<T>> =>
    http.request({
      url: `${api}${path}${query ? `?${query.toString()}` : ''}`,
      headers: await auth(),
      schema,
      what,
      ...(cache ? { cacheScope: conn.cacheScope } : {}),
    });

  /** Every page of a `page`/`limit` list; concurrent once X-Total-Count says how many there are. */
  const listAll = async <T>(path: string, schema: ZodType<T>, what: string, key: (item: T) => string, cache = true): Promise<T[]> => {
    const limit = await pageCap();
    const arraySchema = z.array(schema) as unknown as ZodType<T[]>;
    const fetchPage = (page: number) =>
      get(path, arraySchema, what, new URLSearchParams({ page: String(page), limit: String(limit) }), cache);

    const first = await fetchPage(1);
    const pages: T[][] = [first.data];
    const totalHeader = first.headers.get('x-total-count');
    const total = totalHeader !== null && /^\d+$/.test(totalHeader.trim()) ? Number(totalHeader) : undefined;
    let last = first;
    let page = 1;
    if (total !== undefined && first.data.length > 0 && first.data.length < total) {
      // a first page shorter than asked means a lower cap than /settings/api reported: count pages by what arrived
      const size = Math.min(limit, first.data.length);
      const lastPage = Math.min(Math.ceil(total / size), MAX_PAGES);
      const rest = await mapLimit(range(2, lastPage), PAGE_CONCURRENCY, fetchPage);
      for (const response of rest) pages.push(response.data);
      page = lastPage;
      last = rest[rest.length - 1] ?? first;
      // the list grew while we read it: carry on page by page
      if (last.data.length < size) return dedupe(pages, key);
    } else if (total !== undefined) {
      return dedupe(pages, key);
    }
    while (hasNext(last)) {
      if (++page > MAX_PAGES) throw http.error('bad_response', `Gitea/Forgejo kept answering pages while ${what}`);
      last = await fetchPage(page);
      pages.push(last.data);
    }
    return dedupe(pages, key);

    function hasNext(response: ForgeResponse<T[]>): boolean {
      if (response.data.length === 0) return false;
      const link = response.headers.get('link');
      if (link) return parseLinkHeader(link).next !== undefined;
      return response.data.length >= limit;
    }
  };

  const repoPath = (fullName: string): string => {
    const segments = pathSegments(fullName, 'repository');
    if (segments.length !== 2) throw http.error('not_found', `"${fullName}" is not an owner/name repository`);
    return `/repos/${encodePath(segments)}`;
  };

  const listHooks = async (fullName: string): Promise<GiteaHook[] | null> => {
    try {
      return await listAll(`${repoPath(fullName)}/hooks`, giteaHook, `listing the webhooks of ${fullName}`, (h) => String(h.id), false);
    } catch (error) {
      if (error instanceof ForgeError && error.kind === 'not_found') return null;
      throw error;
    }
  };

  const deleteHook = async (fullName: string, id: number): Promise<void> => {
    await http.request({
      method: 'DELETE',
      url: `${api}${repoPath(fullName)}/hooks/${id}`,
      headers: await auth(),
      allowStatus: [404],
      what: `removing a webhook of ${fullName}`,
    });
  };

  return {
    // POST /repos/{o}/{r}/statuses/{sha} (CreateStatusOption in Gitea's and Forgejo's swagger).
    async setCommitStatus(repository, sha, status): Promise<CommitStatusAnswer> {
      try {
        await http.request({
          method: 'POST',
          url: `${api}${repoPath(repository.fullName)}/statuses/${encodeURIComponent(sha)}`,
          headers: await auth(),
          body: {
            state: GITEA_STATES[status.state],
            context: fitName(status.name, GITEA_CONTEXT_MAX),
            description: clip(status.description, GITEA_DESCRIPTION_MAX),
            ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
          },
          what: `posting a commit status on ${repository.fullName}`,
          retry: false,
        });
      } catch (error) {
        throw statusRefusal(error, repository.fullName);
      }
      return 'posted';
    },

    async listRepositories() {
      const repos = await listAll('/user/repos', giteaRepository, 'listing repositories', (r) => String(r.id));
      return repos.map(toRepository);
    },

    async listBranches(fullName) {
      const branches = await listAll(`${repoPath(fullName)}/branches`, giteaBranch, `listing the branches of ${fullName}`, (b) => b.name);
      return branches.map(toBranch);
    },

    async getRepository(fullName) {
      const response = await http.request({
        url: `${api}${repoPath(fullName)}`,
        headers: await auth(),
        schema: giteaRepository,
        allowStatus: [404],
        what: `reading ${fullName}`,
      });
      return response.status === 404 ? null : toRepository(response.data);
    },

    async getBranch(fullName, branch) {
      const response = await http.request({
        url: `${api}${repoPath(fullName)}/branches/${encodePath(pathSegments(branch, 'branch'))}`,
        headers: await auth(),
        schema: giteaBranch,
        allowStatus: [404],
        what: `reading branch ${branch} of ${fullName}`,
      });
      return response.status === 404 ? null : toBranch(response.data);
    },

    /**
     * Branch: GET /repos/{o}/{r}/branches/{b}. Tag: GET /repos/{o}/{r}/tags/{t} (its `commit.sha` is the commit, also for
     * an annotated tag), then GET /repos/{o}/{r}/git/commits/{sha} for the message and author. By name: Gitea redirects
     * a renamed repository's old name.
     */
    async refHead(repository: RepositoryRef, ref: GitRef): Promise<ForgeCommit | null> {
      const fullName = repository.fullName;
      const refPath = encodePath(pathSegments(ref.name, 'branch'));
      const read = async <T>(path: string, schema: ZodType<T>, what: string): Promise<T | null> => {
        const response = await http.request({ url: `${api}${path}`, headers: await auth(), schema, allowStatus: [404], what });
        return response.status === 404 ? null : response.data;
      };
      if (ref.type === 'branch') {
        const branch = await read(
          `${repoPath(fullName)}/branches/${refPath}`,
          giteaBranchHead,
          `reading branch ${ref.name} of ${fullName}`,
        );
        if (!branch) return null;
        return { sha: branch.commit.id, message: branch.commit.message ?? '', author: branch.commit.author?.name ?? '' };
      }
      const tag = await read(`${repoPath(fullName)}/tags/${refPath}`, giteaTag, `reading tag ${ref.name} of ${fullName}`);
      if (!tag) return null;
      const sha = tag.commit.sha;
      const commit = await read(
        `${repoPath(fullName)}/git/commits/${encodeURIComponent(sha)}`,
        giteaCommit,
        `reading commit ${sha.slice(0, 12)} of ${fullName}`,
      );
      return { sha, message: commit?.commit.message ?? '', author: commit?.commit.author?.name ?? '' };
    },

    async changedFiles(fullName, baseSha, headSha): Promise<ChangedFiles> {
      if (ZERO_SHA.test(baseSha)) return { files: [], complete: false };
      const what = `comparing ${baseSha.slice(0, 12)}...${headSha.slice(0, 12)} of ${fullName}`;
      const response = await http.request({
        url: `${api}${repoPath(fullName)}/compare/${encodeURIComponent(baseSha)}...${encodeURIComponent(headSha)}`,
        headers: await auth(),
        schema: giteaCompare,
        allowStatus: [404],
        what,
      });
      // servers older than the compare endpoint, or a base commit that is gone after a force push
      if (response.status === 404) return { files: [], complete: false };
      const compare = response.data;
      const commits = compare.commits ?? [];
      const files = new Set<string>();
      for (const file of compare.files ?? []) files.add(file.filename);
      let everyCommitListed = commits.length > 0 || compare.files != null;
      for (const commit of commits) {
        if (commit.files == null) everyCommitListed = false;
        for (const file of commit.files ?? []) files.add(file.filename);
      }
      const truncated = typeof compare.total_commits === 'number' && compare.total_commits > commits.length;
      const complete = !truncated && (compare.files != null || everyCommitListed);
      return { files: [...files].sort(), complete };
    },

    async ensureHook(fullName, url, secret): Promise<RegisteredHook> {
      const existing = ((await listHooks(fullName)) ?? []).filter((hook) => hookUrl(hook) === url);
      const body = { config: { url, content_type: 'json', secret }, events: HOOK_EVENTS, active: true, branch_filter: '*' };
      const [keep, ...duplicates] = existing;
      // several hooks with our URL would each deliver every push, under different secrets
      for (const duplicate of duplicates) await deleteHook(fullName, duplicate.id);
      if (keep) {
        const response = await http.request({
          method: 'PATCH',
          url: `${api}${repoPath(fullName)}/hooks/${keep.id}`,
          headers: await auth(),
          body,
          schema: giteaHook,
          what: `updating the webhook of ${fullName}`,
        });
        return { id: String(response.data.id), reused: true };
      }
      const response = await http.request({
        method: 'POST',
        url: `${api}${repoPath(fullName)}/hooks`,
        headers: await auth(),
        body: { type: 'gitea', ...body },
        schema: giteaHook,
        what: `creating the webhook of ${fullName}`,
      });
      return { id: String(response.data.id), reused: false };
    },

    async hookState(fullName, url): Promise<HookState | null> {
      const hook = ((await listHooks(fullName)) ?? []).find((h) => hookUrl(h) === url);
      if (!hook) return null;
      return hook.active === false
        ? {
            active: false,
            reason: 'The hook is switched off on the forge (active: false)',
            remedy: 'tick Active on the hook in the repository’s Settings → Webhooks, or PUT …/source again',
          }
        : { active: true };
    },

    async removeHook(fullName, url) {
      const hooks = await listHooks(fullName);
      for (const hook of hooks ?? []) if (hookUrl(hook) === url) await deleteHook(fullName, hook.id);
    },
  };
}

function toRepository(repo: GiteaRepository): ForgeRepository {
  return {
    id: String(repo.id),
    fullName: repo.full_name,
    owner: repo.owner.login,
    name: repo.name,
    defaultBranch: repo.default_branch ?? '',
    private: repo.private,
    htmlUrl: repo.html_url,
    cloneUrl: repo.clone_url,
  };
}

function toBranch(branch: GiteaBranch): ForgeBranch {
  return { name: branch.name, commitSha: branch.commit.id, ...(branch.protected !== undefined ? { protected: branch.protected } : {}) };
}

function hookUrl(hook: GiteaHook): string | undefined {
  return hook.config?.url ?? hook.url ?? undefined;
}

function dedupe<T>(pages: readonly T[][], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const page of pages) for (const item of page) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}

function positive(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function range(from: number, to: number): number[] {
  return from > to ? [] : Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
