import { type Failure } from '../../../../shared/failure.js';
import { type RepositoryRef } from '../../../../shared/repository-identity.js';
import { type Result } from '../../../../shared/result.js';
import { type GitProvider } from '../../../git-providers/domain/git-provider.js';
import { type DeployCommit, type DeployRef } from '../../domain/service-source.js';

/** What a manual deploy needs from the provider's forge. */
export interface RefHeads {
  /**
   * The commit `ref` points at now (an annotated tag peeled to its commit). A ref (or repository) the forge no longer
   * has is a 422 naming it; other forge failures throw ForgeError, which the HTTP edge maps.
   */
  resolve(provider: GitProvider, repository: RepositoryRef, ref: DeployRef): Promise<Result<DeployCommit, Failure>>;
}
