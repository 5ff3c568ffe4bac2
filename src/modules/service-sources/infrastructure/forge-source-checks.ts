import { type Failure } from '../../../shared/failure.js';
import { FORGE_LABEL, ForgeError } from '../../git-providers/application/ports/forge.js';
import { type ForgeConnector } from '../../git-providers/application/ports/forge-connector.js';
import { type GitProvider } from '../../git-providers/domain/git-provider.js';
import { type SourceForge } from '../application/ports/source-forge.js';

/** Connecting a source checks on the forge that the repository and branch exist. */
export class ForgeSourceChecks implements SourceForge {
  constructor(private readonly connector: ForgeConnector) {}

  async verifyTarget(provider: GitProvider, repository: string, branch: string | null): Promise<Failure | undefined> {
    const api = this.connector.api(provider);
    const forge = FORGE_LABEL[provider.type];
    const repo = await absentOnNotFound(api.getRepository(repository));
    if (!repo) return { code: 'PROVIDER_NOT_READY', detail: `Repository ${repository} does not exist on ${forge} or the provider's credentials cannot see it` };
    if (branch !== null) {
      const found = await absentOnNotFound(api.getBranch(repository, branch));
      if (!found) return { code: 'PROVIDER_NOT_READY', detail: `Branch ${branch} does not exist in ${repository} on ${forge}` };
    }
    return undefined;
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
