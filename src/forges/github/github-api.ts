import { pathSegments } from '../../shared/path-segments.js';
import { createHash, createPrivateKey } from 'node:crypto';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { z, type ZodType } from 'zod';
import {
  type ChangedFiles,
  type CommitStatusAnswer,
  type CommitStatusState,
  type ForgeApi,
  type ForgeBranch,
  type ForgeCommit,
  ForgeError,
  type ForgeRepository,
  type GitRef,
} from '../../modules/git-providers/application/ports/forge.js';
import { type RepositoryRef } from '../../shared/repository-identity.js';
import { mapLimit, parseLinkHeader, PAGE_CONCURRENCY } from '../shared/forge-http.js';
import { clip, fitName, statusRefusal } from '../shared/commit-status.js';
import { type GitHubDeps, gitHubApiBase, gitHubOctokit, isRecord, quietLog, toForgeError, GITHUB } from './github-transport.js';

export interface GitHubConnection {
  readonly githubUrl: string;
  readonly appId: number;
  /** PEM of the app's private key (PKCS#1 as GitHub issues it, or PKCS#8). */
  readonly privateKey: string;
  readonly installationId: number;
}

const PER_PAGE = 100;
/** GitHub's compare API lists at most 300 files. */
const COMPARE_FILE_CAP = 300;
/** Installation tokens live 1 h; take a new one when less than this is left. */
const TOKEN_REFRESH_MARGIN_MS = 60_000;
const MAX_CACHED_INSTALLATIONS = 500;
/** GitHub refuses a longer status description (422 "description is too long (maximum is 140 characters)"). */
const GITHUB_DESCRIPTION_MAX = 140;
/** GitHub documents no limit on `context`; kept to 255 like the other forges' names. */
const GITHUB_CONTEXT_MAX = 255;
/** GitHub has no "running" state: a deployment in progress is `pending`. */
const GITHUB_STATES: Record<CommitStatusState, 'pending' | 'success' | 'failure'> = {
  running: 'pending',
  done: 'success',
  error: 'failure',
};

const repositorySchema = z.object({
  id: z.number(),
  full_name: z.string(),
  name: z.string(),
  owner: z.object({ login: z.string() }),
  default_branch: z.string(),
  private: z.boolean(),
  html_url: z.string(),
  clone_url: z.string(),
});
const installationRepositoriesSchema = z.object({ total_count: z.number().int().nonnegative(), repositories: z.array(repositorySchema) });
const branchSchema = z.object({ name: z.string(), commit: z.object({ sha: z.string() }), protected: z.boolean().optional() });
/** A commit as the branch and commit endpoints nest it: `commit.commit` holds the message and git author. */
const commitSchema = z.object({
  sha: z.string(),
  commit: z.object({ message: z.string(), author: z.object({ name: z.string() }).nullish() }),
  author: z.object({ login: z.string() }).nullish(),
});
const branchHeadSchema = z.object({ name: z.string(), commit: commitSchema });
const compareSchema = z.object({
  files: z.array(z.object({ filename: z.string(), previous_filename: z.string().optional() })).optional(),
});

/**
 * ForgeApi over a GitHub App installation. Built per request: the app auth (and its installation-token cache) is
 * shared through a module-level cache, while every HTTP request goes through this call's guarded fetch.
 */
export function createGitHubApi(deps: GitHubDeps, conn: GitHubConnection): ForgeApi {
  let octokit: Octokit | undefined;
  const client = (): Octokit => {
    if (octokit) return octokit;
    const apiBase = gitHubApiBase(conn.githubUrl);
    const entry = appAuthFor(apiBase, conn);
    const created = gitHubOctokit(
      deps,
      { apiBase, cacheScope: `github ${apiBase} ${conn.appId} ${conn.installationId}` },
      () => entry.auth,
    );
    created.hook.wrap('request', async (request, options) => {
      try {
        return await request(options);
      } catch (error) {
        // A revoked installation token must not stay cached for the rest of its hour.
        if (isRecord(error) && error.status === 401) entry.tokens.clear();
        throw error;
      }
    });
    octokit = created;
    return created;
  };

  const call = async <T>(what: string, fn: (octokit: Octokit) => Promise<T>): Promise<T> => {
    try {
      return await fn(client());
    } catch (error) {
      throw toForgeError(error, what);
    }
  };

  const listPage = (page: number | undefined) =>
    call('listing repositories', async (octokit) => {
      const response = await octokit.request(
        'GET /installation/repositories',
        page === undefined ? { per_page: PER_PAGE } : { per_page: PER_PAGE, page },
      );
      return {
        data: parse(installationRepositoriesSchema, response.data, 'listing repositories'),
        next: parseLinkHeader(response.headers.link ?? null).next,
      };
    });

  return {
    // Commit statuses: POST /repos/{o}/{r}/statuses/{sha}; the App needs "Commit statuses: write" (docs/forges/github.md).
    async setCommitStatus(repository, sha, status): Promise<CommitStatusAnswer> {
      const what = `posting a commit status on ${repository.fullName}`;
      const { owner, repo } = splitFullName(repository.fullName, what);
      try {
        await call(what, (octokit) =>
          octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
            owner,
            repo,
            sha,
            state: GITHUB_STATES[status.state],
            context: fitName(status.name, GITHUB_CONTEXT_MAX),
            description: clip(status.description, GITHUB_DESCRIPTION_MAX),
            ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
          }),
        );
      } catch (error) {
        // GitHub answers 422 "No commit found for SHA" for a commit it does not know.
        if (error instanceof ForgeError && error.status === 422)
          throw new ForgeError(GITHUB, 'not_found', `${error.message}: no such commit`, 422);
        throw statusRefusal(error, repository.fullName);
      }
      return 'posted';
    },

    async listRepositories(): Promise<ForgeRepository[]> {
      const first = await listPage(undefined);
      const { total_count: total, repositories } = first.data;
      // GHES admins can lower the page cap; derive the real page size from the first page.
      const pageSize = repositories.length > 0 && repositories.length < Math.min(PER_PAGE, total) ? repositories.length : PER_PAGE;
      const pageCount = repositories.length === 0 ? 1 : Math.ceil(total / pageSize);
      const numbers = Array.from({ length: Math.max(0, pageCount - 1) }, (_, i) => i + 2);
      const pages = [first, ...(await mapLimit(numbers, PAGE_CONCURRENCY, (page) => listPage(page)))];
      // Repositories added while we listed show up as a rel=next beyond the counted pages.
      for (
        let page = pageCount;
        pages.at(-1)?.next && (pages.at(-1)?.data.repositories.length ?? 0) > 0 && page < pageCount + 1_000;
        page++
      ) {
        pages.push(await listPage(page + 1));
      }
      const seen = new Set<number>();
      const result: ForgeRepository[] = [];
      for (const { data } of pages) {
        for (const repository of data.repositories) {
          if (seen.has(repository.id)) continue;
          seen.add(repository.id);
          result.push(toRepository(repository));
        }
      }
      return result;
    },

    async listBranches(fullName: string): Promise<ForgeBranch[]> {
      const what = `listing branches of ${fullName}`;
      const { owner, repo } = splitFullName(fullName, what);
      return call(what, async (octokit) => {
        const branches: ForgeBranch[] = [];
        for await (const response of octokit.paginate.iterator('GET /repos/{owner}/{repo}/branches', { owner, repo, per_page: PER_PAGE })) {
          for (const branch of parse(z.array(branchSchema), response.data, what)) branches.push(toBranch(branch));
        }
        return branches;
      });
    },

    async getRepository(fullName: string): Promise<ForgeRepository | null> {
      const what = `reading repository ${fullName}`;
      const name = parseFullName(fullName);
      if (!name) return null;
      return nullOn404(
        call(what, async (octokit) =>
          toRepository(parse(repositorySchema, (await octokit.request('GET /repos/{owner}/{repo}', name)).data, what)),
        ),
      );
    },

    async getBranch(fullName: string, branch: string): Promise<ForgeBranch | null> {
      const what = `reading branch ${branch} of ${fullName}`;
      const name = parseFullName(fullName);
      if (!name || branch.length === 0) return null;
      return nullOn404(
        call(what, async (octokit) =>
          toBranch(
            parse(branchSchema, (await octokit.request('GET /repos/{owner}/{repo}/branches/{branch}', { ...name, branch })).data, what),
          ),
        ),
      );
    },

    /**
     * Branch: GET /repos/{o}/{r}/branches/{b}. Tag: GET /repos/{o}/{r}/commits/tags/{t} (the documented `tags/NAME`
     * form, so a branch of the same name cannot answer; an annotated tag resolves to its commit). By name: GitHub
     * redirects a renamed repository's old name (docs/api.md "Repository identity").
     */
    async refHead(repository: RepositoryRef, ref: GitRef): Promise<ForgeCommit | null> {
      const what = `reading the head of ${ref.type} ${ref.name} of ${repository.fullName}`;
      const name = parseFullName(repository.fullName);
      if (!name || ref.name.length === 0) return null;
      const head = await nullOn404(
        call(what, async (octokit) => {
          try {
            if (ref.type === 'branch') {
              const response = await octokit.request('GET /repos/{owner}/{repo}/branches/{branch}', { ...name, branch: ref.name });
              return parse(branchHeadSchema, response.data, what).commit;
            }
            const response = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}', { ...name, ref: `tags/${ref.name}` });
            return parse(commitSchema, response.data, what);
          } catch (error) {
            // "No commit found for SHA: tags/v9" is GitHub's answer to an unknown ref on the commits endpoint.
            const failure = toForgeError(error, what);
            if (failure.status === 422) throw new ForgeError(GITHUB, 'not_found', failure.message, 404);
            throw failure;
          }
        }),
      );
      return head ? { sha: head.sha, message: head.commit.message, author: head.commit.author?.name ?? head.author?.login ?? '' } : null;
    },

    async changedFiles(fullName: string, baseSha: string, headSha: string): Promise<ChangedFiles> {
      const what = `comparing ${baseSha}...${headSha} in ${fullName}`;
      const { owner, repo } = splitFullName(fullName, what);
      return call(what, async (octokit) => {
        const response = await octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', {
          owner,
          repo,
          basehead: `${baseSha}...${headSha}`,
        });
        const listed = parse(compareSchema, response.data, what).files ?? [];
        const files = new Set<string>();
        // A rename touches both paths: moving a file out of a watched folder counts too.
        for (const file of listed) {
          files.add(file.filename);
          if (file.previous_filename) files.add(file.previous_filename);
        }
        const paginated = parseLinkHeader(response.headers.link ?? null).next !== undefined;
        return { files: [...files], complete: listed.length < COMPARE_FILE_CAP && !paginated };
      });
    },
  };
}

function toRepository(r: z.infer<typeof repositorySchema>): ForgeRepository {
  return {
    id: String(r.id),
    fullName: r.full_name,
    owner: r.owner.login,
    name: r.name,
    defaultBranch: r.default_branch,
    private: r.private,
    htmlUrl: r.html_url,
    cloneUrl: r.clone_url,
  };
}

function toBranch(b: z.infer<typeof branchSchema>): ForgeBranch {
  return b.protected === undefined
    ? { name: b.name, commitSha: b.commit.sha }
    : { name: b.name, commitSha: b.commit.sha, protected: b.protected };
}

function parse<T>(schema: ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ForgeError(
    GITHUB,
    'bad_response',
    `GitHub answered ${what} with an unexpected shape${issue ? ` (${issue.path.join('.') || 'body'}: ${issue.message})` : ''}`,
  );
}

function parseFullName(fullName: string): { owner: string; repo: string } | null {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(fullName.trim());
  return match?.[1] && match[2] ? { owner: match[1], repo: match[2] } : null;
}

function splitFullName(fullName: string, what: string): { owner: string; repo: string } {
  // Octokit encodes each parameter but keeps "." and "..", which the URL parser then resolves.
  pathSegments(fullName, 'repository');
  const name = parseFullName(fullName);
  if (!name) throw new ForgeError(GITHUB, 'not_found', `GitHub has no repository "${fullName}" (expected owner/name) while ${what}`);
  return name;
}

async function nullOn404<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof ForgeError && error.kind === 'not_found') return null;
    throw error;
  }
}

/** auth-app caches tokens for 59 min whatever GitHub says; this cache honours the token's own expires_at. */
class InstallationTokenCache {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();

  get(key: string): string {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt - Date.now() > TOKEN_REFRESH_MARGIN_MS) return entry.value;
    this.entries.delete(key);
    // auth-app treats a falsy answer as a miss
    return '';
  }

  set(key: string, value: string): void {
    // auth-app stores "token|createdAt|expiresAt|…"
    const expiresAt = Date.parse(value.split('|')[2] ?? '');
    this.entries.set(key, { value, expiresAt: Number.isNaN(expiresAt) ? Date.now() + 59 * 60_000 : expiresAt });
  }

  clear(): void {
    this.entries.clear();
  }
}

interface AppAuthEntry {
  readonly auth: ReturnType<typeof createAppAuth>;
  readonly tokens: InstallationTokenCache;
}

const appAuths = new Map<string, AppAuthEntry>();

function appAuthFor(apiBase: string, conn: GitHubConnection): AppAuthEntry {
  const key = [apiBase, conn.appId, conn.installationId, createHash('sha256').update(conn.privateKey).digest('hex')].join(' ');
  const hit = appAuths.get(key);
  if (hit) {
    appAuths.delete(key);
    appAuths.set(key, hit);
    return hit;
  }
  assertUsablePrivateKey(conn.privateKey);
  const tokens = new InstallationTokenCache();
  const auth = createAppAuth({
    appId: conn.appId,
    privateKey: conn.privateKey,
    installationId: conn.installationId,
    cache: tokens,
    // Only auth.hook is used, and it sends token requests through the caller's guarded request; this one refuses.
    request: refusingRequest(),
    log: quietLog,
  });
  const entry = { auth, tokens };
  appAuths.set(key, entry);
  if (appAuths.size > MAX_CACHED_INSTALLATIONS) {
    const oldest = appAuths.keys().next().value;
    if (oldest !== undefined) appAuths.delete(oldest);
  }
  return entry;
}

function assertUsablePrivateKey(pem: string): void {
  try {
    const key = createPrivateKey(pem.replace(/\\n/g, '\n'));
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch {
    throw new ForgeError(GITHUB, 'unauthorized', 'The GitHub App private key is not a valid RSA key in PEM format');
  }
}

let refusing: Octokit['request'] | undefined;
function refusingRequest(): Octokit['request'] {
  const refuse: typeof fetch = async () => {
    throw new ForgeError(GITHUB, 'blocked_url', 'GitHub request outside the guarded transport');
  };
  refusing ??= new Octokit({ request: { fetch: refuse }, log: quietLog }).request;
  return refusing;
}
