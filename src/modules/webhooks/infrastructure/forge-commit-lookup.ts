import { type UnitOfWork } from '../../../shared/unit-of-work.js';
import { type Logger } from '../../../platform/logging/logger.js';
import { type ForgeConnector } from '../../git-providers/application/ports/forge-connector.js';
import { type GitProviderRepository } from '../../git-providers/domain/git-provider-repository.js';
import { type CommitLookup } from '../application/ports/commit-lookup.js';
import { COMPARE_BUDGET_MS } from './forge-changed-files.js';

type Resolution = Awaited<ReturnType<CommitLookup['resolve']>>;

/**
 * Resolves an abbreviated head commit (Bitbucket Cloud pull requests) with the forge's commit API, within the same
 * budget as a compare: the webhook must be answered within a second, so a slower forge is a recorded failure.
 */
export class ForgeCommitLookup implements CommitLookup {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly connector: ForgeConnector,
    private readonly logger: Logger,
    private readonly budgetMs = COMPARE_BUDGET_MS,
  ) {}

  async resolve(providerId: string, repository: string, sha: string): Promise<Resolution> {
    let timer: NodeJS.Timeout | undefined;
    try {
      if (!/^[0-9a-f]{7,64}$/i.test(sha)) return { ok: false, reason: 'the payload names no commit id' };
      const provider = await this.uow.read(() => this.providers.findById(providerId));
      if (!provider) return { ok: false, reason: 'the provider is gone' };
      // Without usable credentials (an address change dropped them) the forge is not asked.
      if (provider.status !== 'ready') return { ok: false, reason: `the provider is not ready (${provider.status})` };
      const api = this.connector.api(provider);
      if (!api.getCommit) return { ok: false, reason: 'this forge offers no commit lookup' };
      const lookup = api.getCommit(repository, sha);
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.budgetMs)));
      const result = await Promise.race([lookup, timeout]);
      if (result === 'timeout') {
        lookup.catch(() => undefined);
        this.logger.warn({ providerId, repository, sha, budgetMs: this.budgetMs }, 'commit lookup too slow; no preview for this delivery');
        return { ok: false, reason: `the forge did not resolve ${sha} within ${this.budgetMs} ms` };
      }
      if (!result) return { ok: false, reason: `the forge knows no commit ${sha} in ${repository}` };
      return { ok: true, sha: result.sha, message: result.message, author: result.author };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.logger.warn({ providerId, repository, sha, detail }, 'commit lookup failed; no preview for this delivery');
      return { ok: false, reason: `resolving ${sha} failed: ${detail}` };
    } finally {
      clearTimeout(timer);
    }
  }
}
