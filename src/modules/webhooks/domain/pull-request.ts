/**
 * One pull/merge request event, in the same shape whichever forge sent it (GitHub and Gitea/Forgejo `pull_request`,
 * GitLab `Merge Request Hook`, Bitbucket Cloud `pullrequest:*`, Bitbucket Data Center `pr:*`).
 * `requested`: opened, reopened, or new commits pushed to the request; `closed`: closed, merged or declined.
 */
export interface NormalizedPullRequest {
  readonly action: 'requested' | 'closed';
  /** The target (base) repository, as the forge names it now: the repository the request is for, and the hook's. */
  readonly repository: string;
  /** The target repository's stable id (shared/repository-identity.ts canonical spelling). */
  readonly repositoryId?: string;
  /** GitHub/Gitea/Bitbucket `number`/`id`, GitLab `iid` (the number people see, not the global id). */
  readonly number: number;
  readonly title: string;
  /** The request's web page. */
  readonly url: string;
  readonly sourceBranch: string;
  readonly targetBranch: string;
  /** The head lives in another repository than the target (forge repository ids differ). */
  readonly fromFork: boolean;
  /** The request's author (login/username, else display name). */
  readonly author: string;
  /** The head commit. Bitbucket Cloud sends a 12-character abbreviation: `complete` false until resolved with its API. */
  readonly head: { readonly sha: string; readonly complete: boolean; readonly message: string; readonly author: string };
  /** For `closed`: whether the request was merged (false: closed or declined without merging). */
  readonly merged: boolean;
}

export { FULL_SHA } from '../../../shared/commit-sha.js';
