import { type NormalizedPullRequest } from './pull-request.js';

/** One pushed ref, in the same shape whichever forge sent it. */
export interface NormalizedPush {
  /** owner/name as the forge names it now (GitLab: path_with_namespace, subgroups included). */
  readonly repository: string;
  /**
   * The forge's stable id of the repository (GitHub/Gitea `repository.id`, GitLab `project.id`, Bitbucket
   * `repository.uuid`), canonical spelling (shared/repository-identity.ts); it survives renames and transfers.
   */
  readonly repositoryId?: string;
  readonly ref: { readonly type: 'branch' | 'tag'; readonly name: string };
  /** The commit to deploy: `after`, GitLab `checkout_sha`, the tag's commit for annotated tags, Bitbucket `new.target.hash`. */
  readonly commitSha: string;
  /** The previous tip; all zeros or undefined when the ref was created. */
  readonly beforeSha?: string;
  readonly headCommit?: { readonly message: string; readonly author: string };
  /** Added, modified and removed paths from the payload's commits. */
  readonly changedFiles: readonly string[];
  /** False when the payload cannot list every changed file (truncated commit list, or no file lists at all: Bitbucket). */
  readonly filesComplete: boolean;
  readonly created: boolean;
  readonly deleted: boolean;
  readonly forced: boolean;
}

/** A GitHub App was installed on an account, or uninstalled from it. */
export interface AppInstallation {
  readonly action: 'created' | 'deleted';
  readonly installationId: number;
  readonly appId: number;
}

/**
 * What a forge payload means for forgelink. `repositoryId` on the other kinds names the repository the delivery came
 * from when the payload says (hook health: a source shows its repository's last delivery, whatever the event).
 */
export type ParsedWebhook =
  | { readonly kind: 'push'; readonly pushes: readonly NormalizedPush[] }
  | { readonly kind: 'pull-request'; readonly pullRequest: NormalizedPullRequest }
  | { readonly kind: 'installation'; readonly installation: AppInstallation }
  /** The provider's list of repositories changed on the forge (created, deleted, renamed, added to or removed from an installation). */
  | { readonly kind: 'repositories-changed'; readonly reason: string }
  | { readonly kind: 'ignored'; readonly reason: string; readonly repositoryId?: string };

export const ZERO_SHA = /^0+$/;
