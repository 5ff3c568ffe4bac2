import { z } from 'zod';
import { type ForgeBranch, type ForgeRepository } from '../../modules/git-providers/application/ports/forge.js';

/**
 * Bitbucket Data Center REST 1.0 answers, as far as forgelink reads them (Bitbucket Data Center REST API reference,
 * "Paged APIs", RestRepository, RestBranch, RestWebhook, RestChange). Unknown fields are ignored.
 */

const link = z.object({ href: z.string(), name: z.string().optional() });

/** `{size, limit, isLastPage, start, nextPageStart, values}`; `nextPageStart` is absent on the last page. */
export const dcPage = <T extends z.ZodType>(item: T) =>
  z.object({
    values: z.array(item),
    size: z.number().int().nonnegative().optional(),
    limit: z.number().int().nonnegative().optional(),
    start: z.number().int().nonnegative().optional(),
    isLastPage: z.boolean(),
    nextPageStart: z.number().int().nonnegative().nullish(),
  });
export interface DcPage<T> {
  readonly values: T[];
  readonly size?: number;
  readonly limit?: number;
  readonly start?: number;
  readonly isLastPage: boolean;
  readonly nextPageStart?: number | null;
}

export const dcRepository = z.object({
  id: z.number().int(),
  slug: z.string().min(1),
  name: z.string().optional(),
  public: z.boolean().optional(),
  archived: z.boolean().optional(),
  // Newer servers (8.x and later) put the default branch on the repository; older ones need /default-branch.
  defaultBranch: z.string().nullish(),
  project: z.object({ key: z.string().min(1), type: z.string().optional(), public: z.boolean().optional() }),
  links: z.object({ clone: z.array(link).optional(), self: z.array(link).optional() }).optional(),
});
export type DcRepository = z.infer<typeof dcRepository>;

export const dcBranch = z.object({
  id: z.string(),
  displayId: z.string(),
  type: z.string().optional(),
  latestCommit: z.string(),
  isDefault: z.boolean().optional(),
});
export type DcBranch = z.infer<typeof dcBranch>;

/** RestTag: `latestCommit` is the commit the tag points at (peeled), `hash` the tag object of an annotated tag. */
export const dcTag = z.object({ id: z.string(), displayId: z.string(), latestCommit: z.string(), hash: z.string().nullish() });

/** RestCommit (GET .../commits/{commitId}). */
export const dcCommit = z.object({
  id: z.string(),
  message: z.string().nullish(),
  author: z.object({ name: z.string().nullish(), displayName: z.string().nullish() }).nullish(),
});

/** GET .../default-branch (7.5+) and the older GET .../branches/default: a ref, without latestCommit on empty repositories. */
export const dcDefaultBranch = z.object({ id: z.string(), displayId: z.string() });

export const dcWebhook = z.object({
  id: z.number().int(),
  name: z.string().optional(),
  url: z.string(),
  active: z.boolean().optional(),
  events: z.array(z.string()).optional(),
});
export type DcWebhook = z.infer<typeof dcWebhook>;

const dcPath = z.object({ toString: z.string() });
export const dcChange = z.object({
  type: z.string().optional(),
  path: dcPath,
  // MOVE and COPY name where the file came from.
  srcPath: dcPath.nullish(),
});

/** PROJECTKEY/slug (personal repositories: ~USERSLUG/slug), the name forgelink shows and matches on. */
export const fullNameOf = (repo: DcRepository): string => `${repo.project.key}/${repo.slug}`;

/**
 * `serverUrl` is the web address users see (links are built from it when the server sends none); `defaultBranch`
 * is the one read separately when the repository itself does not carry it ('' when unknown, as for empty repositories).
 */
export function toForgeRepository(repo: DcRepository, serverUrl: string, defaultBranch?: string): ForgeRepository {
  const fullName = fullNameOf(repo);
  const web = repo.links?.self?.[0]?.href?.replace(/\/browse$/, '');
  const httpClone = repo.links?.clone?.find((c) => c.name === 'http' || c.name === 'https')?.href;
  const personal = repo.project.key.startsWith('~');
  const projectPath = personal
    ? `users/${encodeURIComponent(repo.project.key.slice(1).toLowerCase())}`
    : `projects/${encodeURIComponent(repo.project.key)}`;
  return {
    id: String(repo.id),
    fullName,
    owner: repo.project.key,
    name: repo.slug,
    defaultBranch: defaultBranch ?? repo.defaultBranch ?? '',
    private: !(repo.public ?? false),
    htmlUrl: web ?? `${serverUrl}/${projectPath}/repos/${encodeURIComponent(repo.slug)}`,
    cloneUrl: httpClone ? withoutUserInfo(httpClone) : `${serverUrl}/scm/${repo.project.key.toLowerCase()}/${repo.slug}.git`,
  };
}

export function toForgeBranch(branch: DcBranch): ForgeBranch {
  return { name: branch.displayId, commitSha: branch.latestCommit };
}

// Bitbucket puts the calling account's name into the http clone link (https://user@host/scm/...).
function withoutUserInfo(href: string): string {
  try {
    const url = new URL(href);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return href;
  }
}
