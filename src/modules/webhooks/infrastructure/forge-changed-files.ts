import { type UnitOfWork } from '../../../shared/unit-of-work.js';
import { type Logger } from '../../../platform/logging/logger.js';
import { type ForgeConnector } from '../../git-providers/application/ports/forge-connector.js';
import { type GitProviderRepository } from '../../git-providers/domain/git-provider-repository.js';
import { type ChangedFilesLookup } from '../application/ports/changed-files.js';

export class ForgeChangedFiles implements ChangedFilesLookup {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly connector: ForgeConnector,
    private readonly logger: Logger,
  ) {}

  async changedFiles(providerId: string, repository: string, baseSha: string, headSha: string): Promise<readonly string[] | 'unknown'> {
    try {
      const provider = await this.uow.run(() => this.providers.findById(providerId));
      if (!provider) return 'unknown';
      const result = await this.connector.api(provider).changedFiles(repository, baseSha, headSha);
      return result.complete ? result.files : 'unknown';
    } catch (error) {
      // Better a deploy too many than a missed change: an unknown file list deploys.
      this.logger.warn({ providerId, repository, detail: error instanceof Error ? error.message : String(error) }, 'compare failed; deploying without watch-path filtering');
      return 'unknown';
    }
  }
}
