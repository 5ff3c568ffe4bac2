import { type z } from 'zod';
import { pathSegments } from '../../shared/path-segments.js';
import {
  ForgeError,
  type ChangedFiles,
  type CommitStatusAnswer,
  type CommitStatusState,
  type ForgeApi,
  type ForgeBranch,
  type ForgeCommit,
  type ForgeHooks,
  type ForgeRepository,
  type GitRef,
  type HookState,
  type RegisteredHook,
} from '../../modules/git-providers/application/ports/forge.js';
import { type RepositoryRef } from '../../shared/repository-identity.js';
import { type ForgeHttp } from '../shared/forge-http.js';
import { clip, fitName, statusRefusal } from '../shared/commit-status.js';
import { BITBUCKET_DATACENTER } from './bitbucket-datacenter-name.js';
import {
  type DcPage,
  dcBranch,
  dcChange,
  dcCommit,
  dcDefaultBranch,
  dcPage,
  dcRepository,
  dcTag,
  dcWebhook,
  toForgeBranch,
  toForgeRepository,
} from './bitbucket-datacenter-schemas.js';

export interface BitbucketDatacenterConnection {
  /** The web address users see, e.g. https://bitbucket.example.com or one with a context path (…/bitbucket). */
  readonly serverUrl: string;
  /** Where forgelink's own requests go when that differs from serverUrl (same-host installs); default serverUrl. */
  readonly internalUrl?: string;
  /** An HTTP access token (project, repository or personal), sent as `Authorization: Bearer`. */
  readonly token: string;
  /** Scope of the ETag cache: one per credential, so answers never cross accounts. */
  readonly cacheScope: string;
}

/**
 * What the hooks forgelink registers subscribe to (FORGES.md, "Bitbucket Data Center"): pushes of branches and tags
 * (one `repo:refs_changed` per push, every ref in `changes`) and the pull-request events previews need.
 */
export const HOOK_EVENTS = ['repo:refs_changed', 'pr:opened', 'pr:from_ref_updated', 'pr:merged', 'pr:declined', 'pr:deleted'] as const;
const HOOK_NAME = 'forgelink';
/** Asked for on every listing; the server caps it (page.max.*, often 1000) and says what it applied in `limit`. */
const PAGE_LIMIT = 1000;
const MAX_PAGES = 10_000;
const ZERO_SHA = /^0+$/;
/** Build status `key`, `name` and `description` are limited to 255 characters (BSERV-12804). */
const DC_BUILD_FIELD_MAX = 255;
const DC_STATES: Record<CommitStatusState, 'INPROGRESS' | 'SUCCESSFUL' | 'FAILED'> = {
  running: 'INPROGRESS',
  done: 'SUCCESSFUL',
  error: 'FAILED',
};
const FORGE = BITBUCKET_DATACENTER;
const LABEL = BITBUCKET_DATACENTER.label;

/** `<serverUrl>/rest/api/1.0`, from the internal URL when one is set; a context path is kept, trailing slashes are not. */
export function bitbucketDatacenterApiBase(conn: Pick<BitbucketDatacenterConnection, 'serverUrl' | 'internalUrl'>): string {
  return `${trimSlash(conn.internalUrl || conn.serverUrl)}/rest/api/1.0`;
}

/**
 * Read access and webhook management on one Bitbucket Data Center (formerly Bitbucket Server) instance, through the
 * shared ForgeHttp path (SSRF guard before every request, timeouts, retries, 401/403/429/5xx mapping, zod-parsed answers).
 * Repositories are named `PROJECTKEY/slug` (personal ones `~USERSLUG/slug`); their id is the numeric repository id.
 */
export function createBitbucketDatacenterApi(http: ForgeHttp, conn: BitbucketDatacenterConnection): ForgeApi & ForgeHooks {
  const api = bitbucketDatacenterApiBase(conn);
  const web = trimSlash(conn.serverUrl);
  const headers = { authorization: `Bearer ${conn.token}` };

  interface Call<T> {
    readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
    readonly path: string;
    readonly query?: Record<string, string>;
    readonly schema?: z.ZodType<T>;
    readonly body?: unknown;
    readonly what: string;
    /** Statuses answered as null instead of thrown. */
    readonly absent?: readonly number[];
    /** The repository the path addresses ("DEV/web"), for refusals of that repository alone. */
    readonly repository?: string;
    readonly retry?: boolean;
  }

  /**
   * One request. Refusals (401, 403) are classified here, where the forge's habits are known: Bitbucket Data Center
   * answers a token that may not touch one repository (hooks without repository admin) with 401 +
   * AuthorisationException, not 403 — a refusal of that repository, not of the token.
   */
  const call = async <T>(c: Call<T>): Promise<T | null> => {
    const url = `${api}${c.path}${c.query ? `?${new URLSearchParams(c.query).toString()}` : ''}`;
    const response = await http.request<T>({
      method: c.method ?? 'GET',
      url,
      headers,
      ...(c.body !== undefined ? { body: c.body } : {}),
      ...(c.schema ? { schema: c.schema } : {}),
      ...(c.method === undefined || c.method === 'GET' ? { cacheScope: conn.cacheScope } : {}),
      allowStatus: [401, 403, ...(c.absent ?? [])],
      ...(c.retry === false ? { retry: false } : {}),
      what: c.what,
    });
    if (response.status === 401 || response.status === 403) {
      const text = typeof response.data === 'string' ? response.data : JSON.stringify(response.data ?? '');
      throw refusal(response.status, text, c.what, c.repository);
    }
    if (c.absent?.includes(response.status)) return null;
    return response.data;
  };

  /**
   * Every page of a `start`/`limit` listing, following `nextPageStart` until `isLastPage`. The next start is only
   * known from the page before it (the server may cap `limit` below what was asked), so pages are read one by one.
   * null when the first page is absent (404) and `allowMissing` is set.
   */
  const collect = async <T>(
    path: string,
    item: z.ZodType<T>,
    what: string,
    options: { query?: Record<string, string>; repository?: string; allowMissing?: boolean } = {},
  ): Promise<T[] | null> => {
    const schema = dcPage(item) as unknown as z.ZodType<DcPage<T>>;
    const values: T[] = [];
    let start = 0;
    for (let pages = 0; ; pages++) {
      if (pages >= MAX_PAGES) throw http.error('bad_response', `${LABEL} kept answering pages while ${what}`);
      const page = await call({
        path,
        query: { ...options.query, start: String(start), limit: String(PAGE_LIMIT) },
        schema,
        what,
        ...(options.repository ? { repository: options.repository } : {}),
        ...(options.allowMissing && pages === 0 ? { absent: [404] } : {}),
      });
      if (!page) return null;
      values.push(...page.values);
      if (page.isLastPage) return values;
      const next = page.nextPageStart;
      // A start that does not move forward would loop for ever (or re-read pages): the server is not paging.
      if (next === undefined || next === null || next <= start)
        throw http.error('bad_response', `${LABEL} answered a page without a usable nextPageStart while ${what}`);
      start = next;
    }
  };

  /** `/projects/{key}/repos/{slug}`, or null for a name that is not PROJECTKEY/slug. Segments pass the path gate. */
  const repoPath = (fullName: string): string | null => {
    const segments = pathSegments(fullName, 'repository');
    if (segments.length !== 2) return null;
    const [key, slug] = segments as [string, string];
    return `/projects/${encodeURIComponent(key)}/repos/${encodeURIComponent(slug)}`;
  };
  const requireRepoPath = (fullName: string): string => {
    const path = repoPath(fullName);
    if (!path) throw http.error('not_found', `"${fullName}" is not a ${LABEL} repository name (PROJECTKEY/slug)`);
    return path;
  };

  /** The default branch's display name; '' for an empty repository (no default branch yet). */
  const defaultBranchOf = async (path: string, fullName: string): Promise<string> => {
    const what = `reading the default branch of ${fullName}`;
    // /default-branch exists from 7.5; older servers only have /branches/default (204 or 404 when there is none).
    for (const suffix of ['/default-branch', '/branches/default']) {
      const ref = await call({ path: `${path}${suffix}`, schema: dcDefaultBranch, what, absent: [204, 404], repository: fullName });
      if (ref) return ref.displayId;
    }
    return '';
  };

  const listHooks = async (fullName: string, path: string, allowMissing: boolean) =>
    collect(`${path}/webhooks`, dcWebhook, `listing the webhooks of ${fullName}`, { repository: fullName, allowMissing });

  const deleteHook = async (fullName: string, path: string, id: number): Promise<void> => {
    await call({
      method: 'DELETE',
      path: `${path}/webhooks/${id}`,
      what: `removing a webhook of ${fullName}`,
      absent: [404],
      repository: fullName,
    });
  };

  return {
    // POST /rest/api/1.0/projects/{key}/repos/{slug}/commits/{sha}/builds (Bitbucket 7.4+): `key`, `state`, `url` required.
    async setCommitStatus(repository, sha, status): Promise<CommitStatusAnswer> {
      const path = requireRepoPath(repository.fullName);
      try {
        await call({
          method: 'POST',
          path: `${path}/commits/${encodeURIComponent(sha)}/builds`,
          body: {
            key: fitName(status.name, DC_BUILD_FIELD_MAX),
            name: fitName(status.name, DC_BUILD_FIELD_MAX),
            state: DC_STATES[status.state],
            url: status.targetUrl ?? status.fallbackUrl,
            description: clip(status.description, DC_BUILD_FIELD_MAX),
          },
          what: `posting a build status on ${repository.fullName}`,
          repository: repository.fullName,
          retry: false,
        });
      } catch (error) {
        throw statusRefusal(error, repository.fullName);
      }
      return 'posted';
    },

    async listRepositories(): Promise<ForgeRepository[]> {
      const repos = await collect('/repos', dcRepository, 'listing repositories', { query: { permission: 'REPO_READ' } });
      return uniqueBy(repos ?? [], (r) => String(r.id)).map((r) => toForgeRepository(r, web));
    },

    async listBranches(fullName: string): Promise<ForgeBranch[]> {
      // Alphabetical order keeps the pages stable while someone pushes (the default orders by last modification).
      const branches = await collect(`${requireRepoPath(fullName)}/branches`, dcBranch, `listing the branches of ${fullName}`, {
        query: { orderBy: 'ALPHABETICAL', details: 'false' },
        repository: fullName,
      });
      return uniqueBy(branches ?? [], (b) => b.id).map(toForgeBranch);
    },

    async getRepository(fullName: string): Promise<ForgeRepository | null> {
      const path = repoPath(fullName);
      if (!path) return null;
      const repo = await call({ path, schema: dcRepository, what: `reading repository ${fullName}`, absent: [404], repository: fullName });
      if (!repo) return null;
      const defaultBranch = repo.defaultBranch ?? (await defaultBranchOf(path, fullName));
      return toForgeRepository(repo, web, defaultBranch);
    },

    async getBranch(fullName: string, branch: string): Promise<ForgeBranch | null> {
      const path = repoPath(fullName);
      if (!path || branch.length === 0) return null;
      // filterText matches anywhere in the name; the exact one is picked from every match.
      const matches = await collect(`${path}/branches`, dcBranch, `reading branch ${branch} of ${fullName}`, {
        query: { filterText: branch, orderBy: 'ALPHABETICAL', details: 'false' },
        repository: fullName,
        allowMissing: true,
      });
      const exact = matches?.find((b) => b.displayId === branch && b.id === `refs/heads/${branch}`);
      return exact ? toForgeBranch(exact) : null;
    },

    /**
     * The ref's head: GET …/branches or …/tags with `filterText` (exact match picked; a tag's `latestCommit` is its
     * commit, also for an annotated tag), then GET …/commits/{id} for the message and author. By name: the REST API
     * has no repository-by-id path.
     */
    async refHead(repository: RepositoryRef, ref: GitRef): Promise<ForgeCommit | null> {
      const fullName = repository.fullName;
      const path = repoPath(fullName);
      if (!path || ref.name.length === 0) return null;
      const what = `reading ${ref.type} ${ref.name} of ${fullName}`;
      const options = { query: { filterText: ref.name, orderBy: 'ALPHABETICAL' }, repository: fullName, allowMissing: true };
      const prefix = ref.type === 'branch' ? 'refs/heads/' : 'refs/tags/';
      const matches =
        ref.type === 'branch'
          ? await collect(`${path}/branches`, dcBranch, what, options)
          : await collect(`${path}/tags`, dcTag, what, options);
      const exact = matches?.find((r) => r.displayId === ref.name && r.id === `${prefix}${ref.name}`);
      if (!exact) return null;
      const sha = exact.latestCommit;
      const commit = await call({
        path: `${path}/commits/${encodeURIComponent(sha)}`,
        schema: dcCommit,
        what: `reading commit ${sha.slice(0, 12)} of ${fullName}`,
        absent: [404],
        repository: fullName,
      });
      return { sha, message: commit?.message ?? '', author: commit?.author?.displayName || commit?.author?.name || '' };
    },

    async changedFiles(fullName: string, baseSha: string, headSha: string): Promise<ChangedFiles> {
      if (ZERO_SHA.test(baseSha)) return { files: [], complete: false };
      // `from` is the side with the new commits, `to` the one compared against (git diff to...from).
      const changes = await collect(
        `${requireRepoPath(fullName)}/compare/changes`,
        dcChange,
        `comparing ${baseSha.slice(0, 12)}..${headSha.slice(0, 12)} of ${fullName}`,
        { query: { from: headSha, to: baseSha }, repository: fullName, allowMissing: true },
      );
      // 404: a commit is gone (force push) or unknown: the caller deploys rather than guessing.
      if (!changes) return { files: [], complete: false };
      const files = new Set<string>();
      for (const change of changes) {
        files.add(change.path.toString);
        if (change.srcPath?.toString) files.add(change.srcPath.toString);
      }
      return { files: [...files].sort(), complete: true };
    },

    async ensureHook(fullName: string, url: string, secret: string): Promise<RegisteredHook> {
      if (secret.length === 0) throw new Error(`${LABEL} webhook secrets must not be empty`);
      const path = requireRepoPath(fullName);
      const hooks = (await listHooks(fullName, path, false)) ?? [];
      const body = { name: HOOK_NAME, url, active: true, events: [...HOOK_EVENTS], configuration: { secret } };
      const [existing, ...duplicates] = hooks.filter((h) => h.url === url);
      // Two hooks with one URL would deliver every push twice, under different delivery ids and secrets.
      for (const duplicate of duplicates) await deleteHook(fullName, path, duplicate.id);
      if (existing) {
        const updated = await call({
          method: 'PUT',
          path: `${path}/webhooks/${existing.id}`,
          body,
          schema: dcWebhook,
          what: `updating the webhook of ${fullName}`,
          repository: fullName,
        });
        return { id: String(updated?.id ?? existing.id), reused: true };
      }
      // No automatic retry: a 5xx after the server stored the hook would create a second one; ensureHook itself is safe to repeat.
      const created = await call({
        method: 'POST',
        path: `${path}/webhooks`,
        body,
        schema: dcWebhook,
        what: `creating a webhook on ${fullName}`,
        repository: fullName,
        retry: false,
      });
      if (!created) throw http.error('bad_response', `${LABEL} answered creating a webhook on ${fullName} without the webhook`);
      return { id: String(created.id), reused: false };
    },

    /** Hook health: a hook someone switched off (`active: false`, the hook's Enabled toggle) no longer delivers. */
    async hookState(fullName: string, url: string): Promise<HookState | null> {
      const path = repoPath(fullName);
      if (!path) return null;
      const hook = ((await listHooks(fullName, path, true)) ?? []).find((h) => h.url === url);
      if (!hook) return null;
      return hook.active === false
        ? {
            active: false,
            reason: `The hook is disabled on ${LABEL} (active: false)`,
            remedy: "enable it in the repository's webhook settings, or PUT …/source again",
          }
        : { active: true };
    },

    async removeHook(fullName: string, url: string): Promise<void> {
      const path = repoPath(fullName);
      if (!path) return;
      const hooks = await listHooks(fullName, path, true);
      for (const hook of hooks ?? []) if (hook.url === url) await deleteHook(fullName, path, hook.id);
    },
  };
}

/**
 * A 401 or 403 as a ForgeError. With a repository in the path, a 403 (or a 401 carrying AuthorisationException) refuses
 * that repository alone ('resource_forbidden': the call fails, the provider stays ready); otherwise a 401 is a token
 * Bitbucket does not accept (wrong, expired, revoked) and a 403 one that lacks a permission everywhere.
 */
export function refusal(status: 401 | 403, body: string, what: string, repository?: string): ForgeError {
  const said = errorMessage(body);
  const quoted = said ? `: "${said}"` : '';
  if (repository && (status === 403 || /AuthorisationException/.test(body))) {
    return new ForgeError(
      FORGE,
      'resource_forbidden',
      `${LABEL} refused access to repository ${repository} (${status}${quoted}); the token needs read permission there, and repository admin for webhooks`,
      status,
      undefined,
      `repository ${repository}`,
    );
  }
  if (status === 401)
    return new ForgeError(FORGE, 'unauthorized', `${LABEL} rejected the credentials (401${quoted}) while ${what}`, status);
  return new ForgeError(
    FORGE,
    'forbidden',
    `${LABEL} refused the provider's credentials while ${what} (403${quoted}). The HTTP access token lacks a permission forgelink needs (repository read; repository admin for webhooks): create a token with them and PATCH token.`,
    status,
  );
}

/** Bitbucket's own words: `{"errors": [{"message": "...", "exceptionName": "..."}]}`, one line, at most 300 characters. */
function errorMessage(body: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const first: unknown =
    json && typeof json === 'object' && Array.isArray((json as { errors?: unknown }).errors)
      ? (json as { errors: unknown[] }).errors[0]
      : undefined;
  const message = first && typeof first === 'object' ? (first as { message?: unknown }).message : undefined;
  if (typeof message !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex -- forge text goes into a problem detail: one printable line
  const line = message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line || undefined;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
