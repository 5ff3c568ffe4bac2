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
import { type ForgeHttp, forgeMessage, mapLimit, parseLinkHeader, PAGE_CONCURRENCY } from '../shared/forge-http.js';
import { clip, fitName, statusRefusal } from '../shared/commit-status.js';
import { type RepositoryRef } from '../../shared/repository-identity.js';
import { gitlabBaseUrl, projectId } from './gitlab-urls.js';

/** What re-enables a hook GitLab disabled (hook health). */
const REENABLE =
  'fix what made its deliveries fail (PUBLIC_URL unreachable or answering errors), then use the hook’s Test button under Settings → Webhooks on GitLab: a successful test re-enables it';

export interface GitLabConnection {
  readonly gitlabUrl: string;
  /** Called before every request: the token is refreshed elsewhere, under a database row lock. */
  readonly accessToken: () => Promise<string>;
  /** Narrows listRepositories to this group and its subgroups (path prefix, case-insensitive). */
  readonly groupName?: string;
  /** Identity of the credentials, for the ETag cache. */
  readonly cacheScope: string;
}

const PER_PAGE = 100;
const MAX_PAGES = 10_000;
// GitLab caps compare diffs at the instance's diff_max_files (default 1,000, never below 500) and does not say so.
const COMPARE_FILES_CAP = 500;
/** Job names are at most 255 characters on GitLab; descriptions are kept to the same. */
const GITLAB_NAME_MAX = 255;
const GITLAB_DESCRIPTION_MAX = 255;
const GITLAB_STATES: Record<CommitStatusState, 'running' | 'success' | 'failed'> = { running: 'running', done: 'success', error: 'failed' };

const projectSchema = z.object({
  id: z.number(),
  path: z.string(),
  path_with_namespace: z.string(),
  // Absent without read_code access; null on an empty repository of older GitLab.
  default_branch: z.string().nullish(),
  // Absent from the `simple=true` representation, which is why listings ask for the full one.
  visibility: z.string().optional(),
  web_url: z.string(),
  http_url_to_repo: z.string(),
});
type GitLabProject = z.infer<typeof projectSchema>;

const branchSchema = z.object({
  name: z.string(),
  protected: z.boolean().optional(),
  commit: z.object({ id: z.string() }),
});
type GitLabBranch = z.infer<typeof branchSchema>;

/** The commit a branch or tag answer carries (tags: `commit` is the peeled commit; `target` would be the tag object). */
const refHeadSchema = z.object({
  name: z.string(),
  commit: z.object({ id: z.string(), message: z.string().nullish(), title: z.string().nullish(), author_name: z.string().nullish() }),
});

const hookSchema = z.object({
  id: z.number(),
  url: z.string(),
  // GitLab ≥ 15.2 (project_webhooks API): why a failing hook stopped delivering.
  alert_status: z.string().nullish(),
  disabled_until: z.string().nullish(),
});

const compareSchema = z.object({
  diffs: z.array(z.object({ old_path: z.string().nullish(), new_path: z.string().nullish() })).nullish(),
  compare_timeout: z.boolean().nullish(),
  overflow: z.boolean().nullish(),
});

export function createGitLabApi(http: ForgeHttp, conn: GitLabConnection): ForgeApi & ForgeHooks {
  if (http.forge !== 'gitlab') throw new Error(`createGitLabApi needs a ForgeHttp for gitlab, got ${http.forge}`);
  const api = `${gitlabBaseUrl(conn.gitlabUrl)}/api/v4`;
  const group = normaliseGroup(conn.groupName);

  const auth = async (): Promise<Record<string, string>> => ({ authorization: `Bearer ${await conn.accessToken()}` });

  const get = async <T>(url: string, schema: ZodType<T>, what: string, allow404 = false): Promise<{ data: T | null; headers: Headers }> => {
    const response = await http.request<unknown>({
      url,
      headers: await auth(),
      cacheScope: conn.cacheScope,
      allowStatus: allow404 ? [404] : undefined,
      what,
    });
    if (response.status === 404) return { data: null, headers: response.headers };
    return { data: parse(schema, response.data, what), headers: response.headers };
  };

  const parse = <T>(schema: ZodType<T>, data: unknown, what: string): T => {
    const parsed = schema.safeParse(data);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw http.error(
      'bad_response',
      `GitLab answered ${what} with an unexpected shape${issue ? ` (${issue.path.join('.') || 'body'}: ${issue.message})` : ''}`,
    );
  };

  /** Every page of a list endpoint: concurrently when GitLab states the total, else by following the next page. */
  const listAll = async <T>(path: string, query: Record<string, string>, item: ZodType<T>, what: string): Promise<T[]> => {
    const pageSchema = z.array(item);
    const urlFor = (page: number): string => {
      const params = new URLSearchParams({ ...query, per_page: String(PER_PAGE) });
      if (page > 1) params.set('page', String(page));
      return `${api}${path}?${params.toString()}`;
    };
    const fetchPage = async (page: number): Promise<{ items: T[]; headers: Headers }> => {
      const { data, headers } = await get(urlFor(page), pageSchema, `${what} (page ${page})`);
      return { items: data ?? [], headers };
    };

    const first = await fetchPage(1);
    const items = [...first.items];
    let page = 1;
    let last = first;
    const totalPages = positiveInt(first.headers.get('x-total-pages'));
    if (totalPages !== undefined && totalPages > 1) {
      const pages = Array.from({ length: Math.min(totalPages, MAX_PAGES) - 1 }, (_, i) => i + 2);
      const rest = await mapLimit(pages, PAGE_CONCURRENCY, fetchPage);
      for (const answer of rest) items.push(...answer.items);
      page = pages.length + 1;
      last = rest[rest.length - 1] ?? first;
    }
    // Without totals (GitLab drops them above 10,000 items), or when items were added while paging.
    for (
      let next = nextPage(last.headers, page, last.items.length);
      next !== undefined;
      next = nextPage(last.headers, page, last.items.length)
    ) {
      if (next <= page || next > MAX_PAGES) break;
      page = next;
      last = await fetchPage(page);
      items.push(...last.items);
    }
    return items;
  };

  const toRepository = (project: GitLabProject): ForgeRepository => {
    const fullName = project.path_with_namespace;
    const cut = fullName.lastIndexOf('/');
    return {
      id: String(project.id),
      fullName,
      owner: cut > 0 ? fullName.slice(0, cut) : '',
      name: project.path,
      defaultBranch: project.default_branch || 'main',
      // Unknown visibility counts as private, so clones always use credentials.
      private: project.visibility !== 'public',
      htmlUrl: project.web_url,
      cloneUrl: project.http_url_to_repo,
    };
  };

  const toBranch = (branch: GitLabBranch): ForgeBranch => ({ name: branch.name, commitSha: branch.commit.id, protected: branch.protected });

  const hooksOf = (fullName: string): Promise<z.infer<typeof hookSchema>[]> =>
    listAll(`/projects/${projectId(fullName)}/hooks`, {}, hookSchema, `listing the hooks of ${fullName}`);

  const hookBody = (url: string, secret: string) => ({
    url,
    token: secret,
    push_events: true,
    tag_push_events: true,
    // Previews: open, update (new commits), close, merge.
    merge_requests_events: true,
    enable_ssl_verification: true,
  });

  return {
    // POST /projects/:id/statuses/:sha, by the project's id when known (a renamed project keeps it).
    async setCommitStatus(repository, sha, status): Promise<CommitStatusAnswer> {
      const id = repository.id && /^\d+$/.test(repository.id) ? repository.id : projectId(repository.fullName);
      const what = `posting a commit status on ${repository.fullName}`;
      let response;
      try {
        response = await http.request<unknown>({
          method: 'POST',
          url: `${api}/projects/${id}/statuses/${encodeURIComponent(sha)}`,
          headers: await auth(),
          body: {
            state: GITLAB_STATES[status.state],
            name: fitName(status.name, GITLAB_NAME_MAX),
            description: clip(status.description, GITLAB_DESCRIPTION_MAX),
            ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
          },
          allowStatus: [400],
          what,
          // The commit-status worker retries with its own backoff (ADR 0018).
          retry: false,
        });
      } catch (error) {
        throw statusRefusal(error, repository.fullName);
      }
      if (response.status !== 400) return 'posted';
      const said = forgeMessage(typeof response.data === 'string' ? response.data : JSON.stringify(response.data ?? ''));
      // The same state posted twice (or a state the job already left): GitLab refuses the transition; the status stands.
      if (said && /cannot transition status/i.test(said)) return 'unchanged';
      throw http.error('bad_response', `GitLab refused ${what} (400${said ? `: "${said}"` : ''})`, 400);
    },

    async listRepositories() {
      const projects = await listAll('/projects', { membership: 'true' }, projectSchema, 'listing projects');
      const seen = new Set<number>();
      const repositories: ForgeRepository[] = [];
      for (const project of projects) {
        if (seen.has(project.id)) continue;
        seen.add(project.id);
        if (group && !project.path_with_namespace.toLowerCase().startsWith(`${group}/`)) continue;
        repositories.push(toRepository(project));
      }
      return repositories;
    },

    async listBranches(fullName) {
      const branches = await listAll(
        `/projects/${projectId(fullName)}/repository/branches`,
        {},
        branchSchema,
        `listing the branches of ${fullName}`,
      );
      const seen = new Set<string>();
      return branches.filter((b) => !seen.has(b.name) && seen.add(b.name)).map(toBranch);
    },

    async getRepository(fullName) {
      const { data } = await get(`${api}/projects/${projectId(fullName)}`, projectSchema, `reading project ${fullName}`, true);
      return data ? toRepository(data) : null;
    },

    async getBranch(fullName, branch) {
      const url = `${api}/projects/${projectId(fullName)}/repository/branches/${encodeURIComponent(branch)}`;
      const { data } = await get(url, branchSchema, `reading branch ${branch} of ${fullName}`, true);
      return data ? toBranch(data) : null;
    },

    /** GET /projects/:id/repository/branches/:b or …/tags/:t, by the project's numeric id when known (renames keep it). */
    async refHead(repository: RepositoryRef, ref: GitRef): Promise<ForgeCommit | null> {
      const project = repository.id && /^\d+$/.test(repository.id) ? repository.id : projectId(repository.fullName);
      const kind = ref.type === 'branch' ? 'branches' : 'tags';
      const url = `${api}/projects/${project}/repository/${kind}/${encodeURIComponent(ref.name)}`;
      const { data } = await get(url, refHeadSchema, `reading ${ref.type} ${ref.name} of ${repository.fullName}`, true);
      if (!data) return null;
      const commit = data.commit;
      return { sha: commit.id, message: commit.message ?? commit.title ?? '', author: commit.author_name ?? '' };
    },

    async changedFiles(fullName, baseSha, headSha): Promise<ChangedFiles> {
      const params = new URLSearchParams({ from: baseSha, to: headSha });
      const { data } = await get(
        `${api}/projects/${projectId(fullName)}/repository/compare?${params.toString()}`,
        compareSchema,
        `comparing ${fullName}`,
      );
      const diffs = data?.diffs ?? [];
      const files = new Set<string>();
      for (const diff of diffs) {
        if (diff.new_path) files.add(diff.new_path);
        if (diff.old_path) files.add(diff.old_path);
      }
      const complete = !data?.compare_timeout && !data?.overflow && diffs.length < COMPARE_FILES_CAP;
      return { files: [...files], complete };
    },

    async ensureHook(fullName, url, secret): Promise<RegisteredHook> {
      const hooks = await hooksOf(fullName);
      const same = hooks.filter((hook) => hook.url === url);
      const [keep, ...duplicates] = same;
      const hooksUrl = `${api}/projects/${projectId(fullName)}/hooks`;
      if (!keep) {
        const created = await http.request({
          method: 'POST',
          url: hooksUrl,
          headers: await auth(),
          body: hookBody(url, secret),
          schema: hookSchema,
          what: `creating the webhook of ${fullName}`,
        });
        return { id: String(created.data.id), reused: false };
      }
      await http.request({
        method: 'PUT',
        url: `${hooksUrl}/${keep.id}`,
        headers: await auth(),
        body: hookBody(url, secret),
        schema: hookSchema,
        what: `updating the webhook of ${fullName}`,
      });
      // Duplicates would keep delivering with a stale token until GitLab disables them.
      for (const duplicate of duplicates) {
        await http.request({
          method: 'DELETE',
          url: `${hooksUrl}/${duplicate.id}`,
          headers: await auth(),
          allowStatus: [404],
          what: `removing a duplicate webhook of ${fullName}`,
        });
      }
      return { id: String(keep.id), reused: true };
    },

    async hookState(fullName, url): Promise<HookState | null> {
      const hook = (await hooksOf(fullName)).find((h) => h.url === url);
      if (!hook) return null;
      if (hook.alert_status === 'disabled')
        return { active: false, reason: 'GitLab disabled the hook after failing deliveries (alert_status: disabled)', remedy: REENABLE };
      if (hook.alert_status === 'temporarily_disabled') {
        const until = hook.disabled_until ? ` until ${hook.disabled_until}` : '';
        return {
          active: false,
          reason: `GitLab disabled the hook after failing deliveries${until} (alert_status: temporarily_disabled)`,
          remedy: REENABLE,
        };
      }
      return { active: true };
    },

    async removeHook(fullName, url) {
      let hooks: { id: number; url: string }[];
      try {
        hooks = await hooksOf(fullName);
      } catch (error) {
        if (error instanceof ForgeError && error.kind === 'not_found') return;
        throw error;
      }
      const hooksUrl = `${api}/projects/${projectId(fullName)}/hooks`;
      for (const hook of hooks.filter((h) => h.url === url)) {
        await http.request({
          method: 'DELETE',
          url: `${hooksUrl}/${hook.id}`,
          headers: await auth(),
          allowStatus: [404],
          what: `removing the webhook of ${fullName}`,
        });
      }
    },
  };
}

function normaliseGroup(groupName: string | undefined): string | undefined {
  const group = groupName
    ?.trim()
    .replace(/^\/+|\/+$/g, '')
    .toLowerCase();
  return group ? group : undefined;
}

function positiveInt(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value);
  return n > 0 ? n : undefined;
}

/** GitLab's x-next-page (empty on the last page), else Link rel=next, else "a full page may have a successor". */
function nextPage(headers: Headers, page: number, count: number): number | undefined {
  const header = headers.get('x-next-page');
  if (header !== null) return positiveInt(header);
  const next = parseLinkHeader(headers.get('link')).next;
  if (next) {
    try {
      return positiveInt(new URL(next).searchParams.get('page'));
    } catch {
      return undefined;
    }
  }
  return count >= PER_PAGE ? page + 1 : undefined;
}
