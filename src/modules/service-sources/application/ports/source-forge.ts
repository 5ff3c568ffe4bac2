import { type Failure } from '../../../../shared/failure.js';
import { type GitProvider } from '../../../git-providers/domain/git-provider.js';
import { type WebhookRegistration } from '../../domain/service-source.js';

/** What connecting a source needs from the provider's forge. */
export interface SourceForge {
  /** undefined when the repository (and the branch, if given) exist on the forge; else a 422 explaining what is missing. */
  verifyTarget(provider: GitProvider, repository: string, branch: string | null): Promise<Failure | undefined>;
}

/** Repository hooks forgelink registers on GitLab, Gitea/Forgejo and Bitbucket (GitHub Apps bring their own). */
export interface WebhookRegistrar {
  /** Idempotent: one hook per provider + repository however many services use it. Never throws: a refusal is `registered: false` with the reason. */
  register(provider: GitProvider, repository: string): Promise<WebhookRegistration>;
  /** Removes the hook when no connected source uses provider + repository any more. Best effort, never throws. */
  releaseIfUnused(providerId: string, repository: string): Promise<void>;
}

export const SOURCE_FORGE = Symbol.for('SourceForge');
export const WEBHOOK_REGISTRAR = Symbol.for('WebhookRegistrar');
