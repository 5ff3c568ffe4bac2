import { type Failure } from '../../../shared/failure.js';
import { canonicalRepositoryId } from '../../../shared/repository-identity.js';
import { err, ok, type Result } from '../../../shared/result.js';
import { ForgeError } from '../../git-providers/application/ports/forge.js';
import { type ForgeConnector } from '../../git-providers/application/ports/forge-connector.js';
import { type GitProvider } from '../../git-providers/domain/git-provider.js';
import { type ForgeRepositoryRef, type SourceForge } from '../application/ports/source-forge.js';

/** Connecting a source asks the forge for the repository (its id, its spelling of the name) and the branch. */
export class ForgeSourceChecks implements SourceForge {
  constructor(private readonly connector: ForgeConnector) {}

  async resolveTarget(provider: GitProvider, repository: string, branch: string | null): Promise<Result<ForgeRepositoryRef, Failure>> {
    const api = this.connector.api(provider);
    const forge = this.connector.label(provider.type);
    const repo = await absentOnNotFound(api.getRepository(repository));
    if (!repo)
      return err({
        code: 'PROVIDER_NOT_READY',
        detail: `Repository ${repository} does not exist on ${forge} or the provider's credentials cannot see it`,
      });
    if (branch !== null) {
      // Asked under the forge's own spelling: the name the source will store and the hook will be registered on.
      const found = await absentOnNotFound(api.getBranch(repo.fullName, branch));
      if (!found) return err({ code: 'PROVIDER_NOT_READY', detail: `Branch ${branch} does not exist in ${repo.fullName} on ${forge}` });
    }
    return ok({ id: canonicalRepositoryId(repo.id), fullName: repo.fullName });
  }
}

async function absentOnNotFound<T>(call: Promise<T | null>): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ForgeError && error.kind === 'not_found') return null;
    throw error;
  }
}
