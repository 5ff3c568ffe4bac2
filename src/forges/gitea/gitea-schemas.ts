import { z } from 'zod';

/** The parts of Gitea/Forgejo answers the adapter reads; both forks share these shapes. */
export const giteaRepository = z.object({
  id: z.number(),
  full_name: z.string(),
  owner: z.object({ login: z.string() }),
  name: z.string(),
  // empty repositories answer "" here
  default_branch: z.string().nullish(),
  private: z.boolean(),
  html_url: z.string(),
  clone_url: z.string(),
});
export type GiteaRepository = z.infer<typeof giteaRepository>;

export const giteaBranch = z.object({
  name: z.string(),
  commit: z.object({ id: z.string() }),
  protected: z.boolean().optional(),
});
export type GiteaBranch = z.infer<typeof giteaBranch>;

/** A branch's head as GET /repos/{o}/{r}/branches/{b} gives it (PayloadCommit). */
export const giteaBranchHead = z.object({
  name: z.string(),
  commit: z.object({ id: z.string(), message: z.string().nullish(), author: z.object({ name: z.string().nullish() }).nullish() }),
});

/** GET /repos/{o}/{r}/tags/{t}: `id` is the tag object of an annotated tag, `commit.sha` the commit it points at. */
export const giteaTag = z.object({ name: z.string(), id: z.string().nullish(), commit: z.object({ sha: z.string() }) });

/** GET /repos/{o}/{r}/git/commits/{sha} (Commit, with its RepoCommit). */
export const giteaCommit = z.object({
  sha: z.string(),
  commit: z.object({ message: z.string().nullish(), author: z.object({ name: z.string().nullish() }).nullish() }),
});

export const giteaApiSettings = z.object({
  max_response_items: z.number().int().nullish(),
  default_paging_num: z.number().int().nullish(),
});

export const giteaHook = z.object({
  id: z.number(),
  // Gitea keeps the URL in config.url; Forgejo also has a top-level url and calls config deprecated
  config: z.record(z.string(), z.string()).nullish(),
  url: z.string().nullish(),
  active: z.boolean().nullish(),
});
export type GiteaHook = z.infer<typeof giteaHook>;

const affectedFile = z.object({ filename: z.string() });

export const giteaCompare = z.object({
  total_commits: z.number().int().nullish(),
  commits: z.array(z.object({ sha: z.string(), files: z.array(affectedFile).nullish() })).nullish(),
  // Forgejo only: the union of the commits' files
  files: z.array(affectedFile).nullish(),
});
