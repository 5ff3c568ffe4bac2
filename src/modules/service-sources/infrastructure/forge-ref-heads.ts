import { FULL_SHA } from '../../../shared/commit-sha.js';
import { type Failure } from '../../../shared/failure.js';
import { type RepositoryRef } from '../../../shared/repository-identity.js';
import { err, ok, type Result } from '../../../shared/result.js';
import { ForgeError } from '../../git-providers/application/ports/forge.js';
import { type ForgeConnector } from '../../git-providers/application/ports/forge-connector.js';
import { type GitProvider } from '../../git-providers/domain/git-provider.js';
import { type RefHeads } from '../application/ports/ref-heads.js';
import { type DeployCommit, type DeployRef } from '../domain/service-source.js';

/** Asks the provider's forge plug-in (`refHead`) for the commit a branch or tag points at now. */
export class ForgeRefHeads implements RefHeads {
  constructor(private readonly connector: ForgeConnector) {}

  async resolve(provider: GitProvider, repository: RepositoryRef, ref: DeployRef): Promise<Result<DeployCommit, Failure>> {
    const api = this.connector.api(provider);
    const forge = this.connector.label(provider.type);
    if (!api.refHead) return err({ code: 'PROVIDER_NOT_READY', detail: `${forge} providers cannot resolve a ref for a manual deploy` });
    let head: DeployCommit | null;
    try {
      head = await api.refHead(repository, ref);
    } catch (error) {
      // Some forges answer an unknown repository (rather than an unknown ref) with 404 too: the ref is gone either way.
      if (!(error instanceof ForgeError) || error.kind !== 'not_found') throw error;
      head = null;
    }
    if (!head) {
      const what = ref.type === 'branch' ? 'Branch' : 'Tag';
      return err({
        code: 'PROVIDER_NOT_READY',
        detail: `${what} ${ref.name} does not exist in ${repository.fullName} on ${forge} (it may have been deleted); nothing was deployed`,
      });
    }
    // Forge answers are hostile input: only a full commit id reaches the deployer.
    if (!FULL_SHA.test(head.sha))
      return err({
        code: 'FORGE_ERROR',
        detail: `${forge} answered a commit id for ${ref.name} that is not a full SHA; nothing was deployed`,
      });
    return ok(head);
  }
}
