import { FULL_SHA } from '../../../shared/commit-sha.js';
import { type UnitOfWork } from '../../../shared/unit-of-work.js';
import { type Logger } from '../../../platform/logging/logger.js';
import { type ForgeConnector } from '../../git-providers/application/ports/forge-connector.js';
import { type GitProviderRepository } from '../../git-providers/domain/git-provider-repository.js';
import { type ChangedFilesLookup } from '../application/ports/changed-files.js';

/**
 * Webhooks must be answered within a second (forges time out and GitLab disables hooks that keep failing),
 * so a compare gets this long; a slower forge counts as 'unknown' and the push deploys.
 */
export const COMPARE_BUDGET_MS = 750;

export class ForgeChangedFiles implements ChangedFilesLookup {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly connector: ForgeConnector,
    private readonly logger: Logger,
    private readonly budgetMs = COMPARE_BUDGET_MS,
  ) {}

  async changedFiles(providerId: string, repository: string, baseSha: string, headSha: string): Promise<readonly string[] | 'unknown'> {
    let timer: NodeJS.Timeout | undefined;
    try {
      // Forge ids from the payload go into the compare URL only when they are commit ids.
      if (!FULL_SHA.test(baseSha) || !FULL_SHA.test(headSha)) return 'unknown';
      const provider = await this.uow.read(() => this.providers.findById(providerId));
      // Without usable credentials (an address change dropped them) the forge is not asked: the push deploys unfiltered.
      if (!provider || provider.status !== 'ready') return 'unknown';
      const compare = this.connector.api(provider).changedFiles(repository, baseSha, headSha);
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.budgetMs)));
      const result = await Promise.race([compare, timeout]);
      if (result === 'timeout') {
        compare.catch(() => undefined);
        this.logger.warn({ providerId, repository, budgetMs: this.budgetMs }, 'compare too slow; deploying without watch-path filtering');
        return 'unknown';
      }
      return result.complete ? result.files : 'unknown';
    } catch (error) {
      // Better a deploy too many than a missed change: an unknown file list deploys.
      this.logger.warn(
        { providerId, repository, detail: error instanceof Error ? error.message : String(error) },
        'compare failed; deploying without watch-path filtering',
      );
      return 'unknown';
    } finally {
      clearTimeout(timer);
    }
  }
}
