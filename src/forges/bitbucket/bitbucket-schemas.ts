import { z } from 'zod';
import { type ForgeBranch, type ForgeRepository } from '../../modules/git-providers/application/ports/forge.js';

const link = z.object({ href: z.string(), name: z.string().optional() });

export const bitbucketRepository = z.object({
  uuid: z.string(),
  full_name: z.string(),
  slug: z.string().optional(),
  is_private: z.boolean().optional(),
  mainbranch: z.object({ name: z.string() }).nullish(),
  links: z.object({ html: link.optional(), clone: z.array(link).optional() }).optional(),
});
export type BitbucketRepository = z.infer<typeof bitbucketRepository>;

export const bitbucketBranch = z.object({
  name: z.string(),
  target: z.object({ hash: z.string() }),
});
export type BitbucketBranch = z.infer<typeof bitbucketBranch>;

/** A branch or tag with its commit (refs/branches/{b}, refs/tags/{t}): a tag's `target` is the commit it names. */
export const bitbucketRefHead = z.object({
  name: z.string(),
  target: z.object({
    hash: z.string().regex(/^[0-9a-f]{40}$/i),
    message: z.string().nullish(),
    author: z
      .object({
        raw: z.string().nullish(),
        user: z.object({ display_name: z.string().nullish(), nickname: z.string().nullish() }).nullish(),
      })
      .nullish(),
  }),
});

const commitFile = z.object({ path: z.string() }).nullish();
export const bitbucketDiffstat = z.object({ status: z.string().optional(), old: commitFile, new: commitFile });

/** GET /repositories/{workspace}/{repo_slug}/commit/{commit}: the API's author is `{raw: "Name <email>", user?}`. */
export const bitbucketCommit = z.object({
  hash: z.string().regex(/^[0-9a-f]{40}$/i),
  message: z.string().nullish(),
  author: z
    .object({ raw: z.string().nullish(), user: z.object({ display_name: z.string().nullish(), nickname: z.string().nullish() }).nullish() })
    .nullish(),
});

export const bitbucketHook = z.object({
  uuid: z.string(),
  url: z.string(),
  active: z.boolean().optional(),
  events: z.array(z.string()).optional(),
});
export type BitbucketHook = z.infer<typeof bitbucketHook>;

/** Bitbucket's paged envelope; `size` and `page` are optional ("expensive to compute"), `next` is absent on the last page. */
export const bitbucketPage = <T extends z.ZodType>(item: T) =>
  z.object({
    values: z.array(item),
    next: z.string().optional(),
    size: z.number().int().nonnegative().optional(),
    page: z.number().int().positive().optional(),
    pagelen: z.number().int().positive().optional(),
  });
export type BitbucketPage<T> = { values: T[]; next?: string; size?: number; page?: number; pagelen?: number };

export function toForgeRepository(repo: BitbucketRepository): ForgeRepository {
  const [owner = '', fromFullName = ''] = repo.full_name.split('/');
  const name = repo.slug ?? fromFullName;
  const htmlUrl = repo.links?.html?.href ?? `https://bitbucket.org/${repo.full_name}`;
  const https = repo.links?.clone?.find((c) => c.name === 'https')?.href;
  return {
    id: repo.uuid,
    fullName: repo.full_name,
    owner,
    name,
    defaultBranch: repo.mainbranch?.name ?? 'main',
    private: repo.is_private ?? true,
    htmlUrl,
    cloneUrl: https ? withoutUserInfo(https) : `${htmlUrl}.git`,
  };
}

export function toForgeBranch(branch: BitbucketBranch): ForgeBranch {
  return { name: branch.name, commitSha: branch.target.hash };
}

// Bitbucket puts the calling account's username into the https clone link (https://user@bitbucket.org/...).
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
