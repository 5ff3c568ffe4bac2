import { type Failure } from '../../../../shared/failure.js';
import { type RepositoryRef } from '../../../../shared/repository-identity.js';
import { type Result } from '../../../../shared/result.js';
import { type GitProvider } from '../../../git-providers/domain/git-provider.js';
import { type WebhookRegistration } from '../../domain/service-source.js';

/** A repository as its forge knows it now: its stable id and its current full name. */
export type ForgeRepositoryRef = RepositoryRef & { readonly id: string };

/** What connecting a source needs from the provider's forge. */
export interface SourceForge {
  /**
   * Asks the forge for the repository (any spelling of its name) and, if given, the branch: the repository's id
   * and the forge's own spelling of its name, or a 422 explaining what is missing or refused.
   */
  resolveTarget(provider: GitProvider, repository: string, branch: string | null): Promise<Result<ForgeRepositoryRef, Failure>>;
}

/** Repository hooks forgelink registers on GitLab, Gitea/Forgejo and Bitbucket (GitHub Apps bring their own). */
export interface WebhookRegistrar {
  /**
   * Idempotent: one hook per provider + repository id however many services use it, whatever spelling they were
   * connected with. Never throws: a refusal is `registered: false` with the reason.
   */
  register(provider: GitProvider, repository: ForgeRepositoryRef): Promise<WebhookRegistration>;
  /**
   * Removes the hook when no connected source uses provider + repository any more (compared by id; by name,
   * case-insensitively, for rows stored before ids were recorded). Best effort, never throws.
   */
  releaseIfUnused(providerId: string, repository: RepositoryRef): Promise<void>;
}
