import { pathSegments } from '../../shared/path-segments.js';
import { type z } from 'zod';
import {
  ForgeError,
  type ChangedFiles,
  type CommitStatusAnswer,
  type CommitStatusState,
  type ForgeApi,
  type ForgeBranch,
  type ForgeCommit,
  type ForgeHooks,
  type HookState,
  type ForgeRepository,
  type GitRef,
  type RegisteredHook,
} from '../../modules/git-providers/application/ports/forge.js';
import { type RepositoryRef } from '../../shared/repository-identity.js';
import { mapLimit, type ForgeHttp, PAGE_CONCURRENCY } from '../shared/forge-http.js';
import { clip, fitName, statusRefusal } from '../shared/commit-status.js';
import {
  bitbucketBranch,
  bitbucketCommit,
  bitbucketDiffstat,
  bitbucketHook,
  bitbucketPage,
  bitbucketRefHead,
  bitbucketRepository,
  toForgeBranch,
  toForgeRepository,
} from './bitbucket-schemas.js';

/** API tokens (Basic email:token) are the supported method; app passwords stopped being creatable on 2025-09-09 and were removed on 2026-07-28. */
export type BitbucketAuth =
  { method: 'api_token'; email: string; apiToken: string } | { method: 'app_password'; username: string; appPassword: string };

export interface BitbucketConnection {
  /** BITBUCKET_API_URL, default https://api.bitbucket.org/2.0. */
  readonly apiUrl: string;
  /** The workspace slug (the URL segment), not its display name. */
  readonly workspace: string;
  readonly auth: BitbucketAuth;
  /** Scope of the ETag cache: one per credential, so answers never cross accounts. */
  readonly cacheScope: string;
}

const PAGE_LEN = 100;
const HOOK_DESCRIPTION = 'forgelink';
const HOOK_SECRET_MAX = 128;
/** A build status `key` longer than 40 characters is refused (BCLOUD-23984); `name` and `description` are kept to 255. */
const BITBUCKET_KEY_MAX = 40;
const BITBUCKET_TEXT_MAX = 255;
const BITBUCKET_STATES: Record<CommitStatusState, 'INPROGRESS' | 'SUCCESSFUL' | 'FAILED'> = {
  running: 'INPROGRESS',
  done: 'SUCCESSFUL',
  error: 'FAILED',
};

export function bitbucketAuthorization(auth: BitbucketAuth): string {
  const pair = auth.method === 'api_token' ? `${auth.email}:${auth.apiToken}` : `${auth.username}:${auth.appPassword}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

/** Pushes, and the pull request events previews need (created, updated with new commits, merged, declined). */
const HOOK_EVENTS = ['repo:push', 'pullrequest:created', 'pullrequest:updated', 'pullrequest:fulfilled', 'pullrequest:rejected'];

export function createBitbucketApi(http: ForgeHttp, conn: BitbucketConnection): ForgeApi & ForgeHooks {
  const apiUrl = conn.apiUrl.replace(/\/+$/, '');
  const base = new URL(apiUrl);
  const headers = { authorization: bitbucketAuthorization(conn.auth) };
  const enc = encodeURIComponent;

  const get = async <T>(url: string, schema: z.ZodType<T>, what: string, allowMissing = false): Promise<T | null> => {
    const res = await http.request({
      url,
      schema,
      headers,
      what,
      cacheScope: conn.cacheScope,
      allowStatus: allowMissing ? [404] : undefined,
    });
    return res.status === 404 ? null : res.data;
  };

  // `next` is an absolute URL chosen by the server: it must stay under the configured API base.
  const followable = (next: string, what: string): URL => {
    let url: URL;
    try {
      url = new URL(next);
    } catch {
      throw http.error('bad_response', `Bitbucket Cloud sent an invalid paging link while ${what}`);
    }
    if (url.origin !== base.origin || !url.pathname.startsWith(`${base.pathname.replace(/\/$/, '')}/`)) {
      throw http.error(
        'bad_response',
        `Bitbucket Cloud sent a paging link to ${url.origin} while ${what}; only ${base.origin} is followed`,
      );
    }
    return url;
  };

  /** Every page of a listing; null when the first page is a 404 and allowMissing is set. */
  const collect = async <T>(url: string, item: z.ZodType<T>, what: string, allowMissing = false): Promise<T[] | null> => {
    const schema = bitbucketPage(item) as unknown as z.ZodType<{
      values: T[];
      next?: string;
      size?: number;
      page?: number;
      pagelen?: number;
    }>;
    const first = await get(url, schema, what, allowMissing);
    if (!first) return null;
    const values = [...first.values];
    const seen = new Set<string>([url]);
    let next = first.next;

    const pagelen = first.pagelen ?? first.values.length;
    const firstPage = first.page ?? 1;
    if (next && first.size !== undefined && pagelen > 0) {
      const nextUrl = followable(next, what);
      const lastPage = Math.ceil(first.size / pagelen);
      // Only numbered pages can be fetched side by side; opaque cursors are followed one by one.
      if (nextUrl.searchParams.get('page') === String(firstPage + 1) && lastPage > firstPage) {
        const numbers = Array.from({ length: lastPage - firstPage }, (_, i) => firstPage + 1 + i);
        const pages = await mapLimit(numbers, PAGE_CONCURRENCY, async (n) => {
          const pageUrl = new URL(nextUrl);
          pageUrl.searchParams.set('page', String(n));
          seen.add(pageUrl.toString());
          return (await get(pageUrl.toString(), schema, what))!;
        });
        for (const page of pages) values.push(...page.values);
        next = pages.at(-1)?.next;
      }
    }
    while (next) {
      const nextUrl = followable(next, what).toString();
      if (seen.has(nextUrl)) throw http.error('bad_response', `Bitbucket Cloud repeated a paging link while ${what}`);
      seen.add(nextUrl);
      const page = (await get(nextUrl, schema, what))!;
      values.push(...page.values);
      next = page.next;
    }
    return values;
  };

  const split = (fullName: string): { workspace: string; slug: string } | null => {
    pathSegments(fullName, 'repository');
    const match = /^([^/]+)\/([^/]+)$/.exec(fullName);
    return match?.[1] && match[2] ? { workspace: match[1], slug: match[2] } : null;
  };
  const repoUrl = (fullName: string): string | null => {
    const parts = split(fullName);
    return parts ? `${apiUrl}/repositories/${enc(parts.workspace)}/${enc(parts.slug)}` : null;
  };
  const requireRepoUrl = (fullName: string): string => {
    const url = repoUrl(fullName);
    if (!url) throw http.error('not_found', `"${fullName}" is not a Bitbucket repository name (workspace/slug)`);
    return url;
  };

  return {
    // POST /repositories/{ws}/{slug}/commit/{sha}/statuses/build: `key` and `url` are required (commitstatus schema).
    async setCommitStatus(repository, sha, status): Promise<CommitStatusAnswer> {
      try {
        await http.request({
          method: 'POST',
          url: `${requireRepoUrl(repository.fullName)}/commit/${enc(sha)}/statuses/build`,
          headers,
          body: {
            key: fitName(status.name, BITBUCKET_KEY_MAX),
            name: fitName(status.name, BITBUCKET_TEXT_MAX),
            state: BITBUCKET_STATES[status.state],
            url: status.targetUrl ?? status.fallbackUrl,
            description: clip(status.description, BITBUCKET_TEXT_MAX),
          },
          what: `posting a build status on ${repository.fullName}`,
          retry: false,
        });
      } catch (error) {
        throw statusRefusal(error, repository.fullName);
      }
      return 'posted';
    },

    async listRepositories(): Promise<ForgeRepository[]> {
      const repos = await collect(
        `${apiUrl}/repositories/${enc(conn.workspace)}?role=member&pagelen=${PAGE_LEN}`,
        bitbucketRepository,
        `listing repositories of workspace ${conn.workspace}`,
      );
      return uniqueBy(repos ?? [], (r) => r.uuid).map(toForgeRepository);
    },

    async listBranches(fullName: string): Promise<ForgeBranch[]> {
      const branches = await collect(
        `${requireRepoUrl(fullName)}/refs/branches?pagelen=${PAGE_LEN}`,
        bitbucketBranch,
        `listing branches of ${fullName}`,
      );
      return uniqueBy(branches ?? [], (b) => b.name).map(toForgeBranch);
    },

    async getRepository(fullName: string): Promise<ForgeRepository | null> {
      const url = repoUrl(fullName);
      if (!url) return null;
      const repo = await get(url, bitbucketRepository, `reading repository ${fullName}`, true);
      return repo ? toForgeRepository(repo) : null;
    },

    async getBranch(fullName: string, branch: string): Promise<ForgeBranch | null> {
      const url = repoUrl(fullName);
      if (!url || branch.length === 0) return null;
      const what = `reading branch ${branch} of ${fullName}`;
      if (!branch.includes('/')) {
        const found = await get(`${url}/refs/branches/${enc(branch)}`, bitbucketBranch, what, true);
        return found ? toForgeBranch(found) : null;
      }
      // Bitbucket decodes %2F into a path separator, so slashed names are looked up with an exact BBQL filter.
      const query = enc(`name = "${branch.replace(/[\\"]/g, '\\$&')}"`);
      const matches = await collect(`${url}/refs/branches?q=${query}`, bitbucketBranch, what, true);
      const exact = matches?.find((b) => b.name === branch);
      return exact ? toForgeBranch(exact) : null;
    },

    /**
     * GET …/refs/branches/{b} or …/refs/tags/{t} (a tag's target is its commit). The repository is addressed by its
     * uuid where known (Bitbucket accepts `{uuid}` for the slug, and does not redirect a renamed slug).
     */
    async refHead(repository: RepositoryRef, ref: GitRef): Promise<ForgeCommit | null> {
      const parts = split(repository.fullName);
      if (!parts || ref.name.length === 0) return null;
      const slug = repository.id?.startsWith('{') ? repository.id : parts.slug;
      const url = `${apiUrl}/repositories/${enc(parts.workspace)}/${enc(slug)}/refs/${ref.type === 'branch' ? 'branches' : 'tags'}`;
      const what = `reading ${ref.type} ${ref.name} of ${repository.fullName}`;
      let found: z.infer<typeof bitbucketRefHead> | null | undefined;
      if (!ref.name.includes('/')) found = await get(`${url}/${enc(ref.name)}`, bitbucketRefHead, what, true);
      else {
        // Bitbucket decodes %2F into a path separator, so slashed names are looked up with an exact BBQL filter.
        const query = enc(`name = "${ref.name.replace(/[\\"]/g, '\\$&')}"`);
        found = (await collect(`${url}?q=${query}`, bitbucketRefHead, what, true))?.find((r) => r.name === ref.name);
      }
      if (!found) return null;
      const author = found.target.author;
      const raw = author?.raw?.replace(/\s*<[^>]*>\s*$/, '').trim();
      return {
        sha: found.target.hash.toLowerCase(),
        message: found.target.message ?? '',
        author: raw || author?.user?.display_name || author?.user?.nickname || '',
      };
    },

    async getCommit(fullName: string, sha: string): Promise<ForgeCommit | null> {
      const url = repoUrl(fullName);
      // Bitbucket resolves an abbreviated hash (pull request payloads carry 12 characters) to the full commit.
      if (!url || !/^[0-9a-f]{4,64}$/i.test(sha)) return null;
      const commit = await get(`${url}/commit/${enc(sha)}`, bitbucketCommit, `reading commit ${sha} of ${fullName}`, true);
      if (!commit) return null;
      const raw = commit.author?.raw?.replace(/\s*<[^>]*>\s*$/, '').trim();
      return {
        sha: commit.hash.toLowerCase(),
        message: commit.message ?? '',
        author: raw || commit.author?.user?.display_name || commit.author?.user?.nickname || '',
      };
    },

    async changedFiles(fullName: string, baseSha: string, headSha: string): Promise<ChangedFiles> {
      if (/^0+$/.test(baseSha)) return { files: [], complete: false };
      // Bitbucket's spec order is the reverse of git diff: the changed commit first, then the one compared against.
      const url = `${requireRepoUrl(fullName)}/diffstat/${enc(headSha)}..${enc(baseSha)}?topic=false`;
      let entries: z.infer<typeof bitbucketDiffstat>[] | null;
      try {
        entries = await collect(url, bitbucketDiffstat, `comparing ${baseSha}..${headSha} of ${fullName}`, true);
      } catch (error) {
        // 555: Bitbucket gave up generating the diffstat; the caller deploys rather than guessing.
        if (error instanceof ForgeError && error.status === 555) return { files: [], complete: false };
        throw error;
      }
      if (!entries) return { files: [], complete: false };
      const files = new Set<string>();
      for (const entry of entries) {
        if (entry.new?.path) files.add(entry.new.path);
        if (entry.old?.path) files.add(entry.old.path);
      }
      return { files: [...files], complete: true };
    },

    async ensureHook(fullName: string, url: string, secret: string): Promise<RegisteredHook> {
      if (secret.length === 0 || secret.length > HOOK_SECRET_MAX)
        throw new Error(`Bitbucket webhook secrets must be 1-${HOOK_SECRET_MAX} characters`);
      const hooksUrl = `${requireRepoUrl(fullName)}/hooks`;
      const hooks = (await collect(`${hooksUrl}?pagelen=${PAGE_LEN}`, bitbucketHook, `listing webhooks of ${fullName}`)) ?? [];
      const body = { description: HOOK_DESCRIPTION, url, active: true, secret, events: HOOK_EVENTS };
      const [existing, ...duplicates] = hooks.filter((h) => h.url === url);
      if (existing) {
        await http.request({
          method: 'PUT',
          url: `${hooksUrl}/${enc(existing.uuid)}`,
          headers,
          body,
          schema: bitbucketHook,
          what: `updating the webhook of ${fullName}`,
        });
        // Two hooks with one URL would deliver every push twice under different delivery ids.
        for (const duplicate of duplicates) {
          await http.request({
            method: 'DELETE',
            url: `${hooksUrl}/${enc(duplicate.uuid)}`,
            headers,
            allowStatus: [404],
            what: `removing a duplicate webhook of ${fullName}`,
          });
        }
        return { id: existing.uuid, reused: true };
      }
      // No automatic retry: a 5xx after Bitbucket stored the hook would create a second one; ensureHook itself is safe to repeat.
      const created = await http.request({
        method: 'POST',
        url: hooksUrl,
        headers,
        body,
        schema: bitbucketHook,
        retry: false,
        what: `creating a webhook on ${fullName}`,
      });
      return { id: created.data.uuid, reused: false };
    },

    async hookState(fullName: string, url: string): Promise<HookState | null> {
      const hooksUrl = repoUrl(fullName);
      if (!hooksUrl) return null;
      const hooks = await collect(`${hooksUrl}/hooks?pagelen=${PAGE_LEN}`, bitbucketHook, `listing webhooks of ${fullName}`, true);
      const hook = (hooks ?? []).find((h) => h.url === url);
      if (!hook) return null;
      return hook.active === false
        ? {
            active: false,
            reason: 'The webhook is switched off on Bitbucket (active: false)',
            remedy: 'switch the webhook on in the repository settings, or PUT …/source again',
          }
        : { active: true };
    },

    async removeHook(fullName: string, url: string): Promise<void> {
      const hooksUrl = repoUrl(fullName);
      if (!hooksUrl) return;
      const hooks = await collect(`${hooksUrl}/hooks?pagelen=${PAGE_LEN}`, bitbucketHook, `listing webhooks of ${fullName}`, true);
      for (const hook of (hooks ?? []).filter((h) => h.url === url)) {
        await http.request({
          method: 'DELETE',
          url: `${hooksUrl}/hooks/${enc(hook.uuid)}`,
          headers,
          allowStatus: [404],
          what: `removing the webhook of ${fullName}`,
        });
      }
    },
  };
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
