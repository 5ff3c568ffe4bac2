import { type UnitOfWork } from '../../../shared/unit-of-work.js';
import { type Logger } from '../../../platform/logging/logger.js';
import { type ForgeConnector } from '../../git-providers/application/ports/forge-connector.js';
import { type HookState } from '../../git-providers/application/ports/forge.js';
import { type GitProviderRepository } from '../../git-providers/domain/git-provider-repository.js';
import { type HookHealth } from '../application/ports/hook-health.js';
import { type SourceView } from '../application/queries/source-view.js';

/** A source read must stay quick: a forge slower than this leaves the stored status. */
export const HOOK_CHECK_BUDGET_MS = 750;

/** Asks the forge about a forgelink-registered hook when a source is read (docs/api.md "Hook health"); reports, never re-enables. */
export class ForgeHookHealth implements HookHealth {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly connector: ForgeConnector,
    private readonly logger: Logger,
    private readonly budgetMs = HOOK_CHECK_BUDGET_MS,
  ) {}

  async check(view: SourceView): Promise<SourceView> {
    const { webhook } = view;
    if (view.sourceType !== 'git' || !view.providerId || !view.repository || !webhook.registered || webhook.managedBy !== 'forgelink')
      return view;
    if (!webhook.url) return view;
    let timer: NodeJS.Timeout | undefined;
    try {
      const provider = await this.uow.read(() => this.providers.findById(view.providerId!));
      // A provider that is not ready has no usable credentials (an address change dropped them): nothing is asked.
      if (!provider || provider.status !== 'ready') return view;
      const hooks = this.connector.hooks(provider);
      if (!hooks?.hookState) return view;
      const asked = hooks.hookState(view.repository, webhook.url);
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.budgetMs)));
      const state: HookState | null | 'timeout' = await Promise.race([asked, timeout]);
      if (state === 'timeout') {
        asked.catch(() => undefined);
        return view;
      }
      if (state?.active) return view;
      const remedy = state?.remedy ?? 'PUT …/source again';
      const reason = state
        ? `${state.reason ?? 'The forge reports the hook inactive'}; ${remedy}`
        : 'The hook no longer exists on the forge (deleted by hand?); PUT …/source again to register it';
      return { ...view, webhook: { ...webhook, status: 'disabled', disabledReason: reason } };
    } catch (error) {
      // The stored view is still true as far as forgelink knows; a forge error never fails the read.
      this.logger.warn(
        { providerId: view.providerId, repository: view.repository, detail: error instanceof Error ? error.message : String(error) },
        'could not read the hook’s state from the forge',
      );
      return view;
    } finally {
      clearTimeout(timer);
    }
  }
}
