import { type SourceView } from '../queries/source-view.js';

/**
 * What the forge says about a source's repository hook when the source is read (GitLab `alert_status` /
 * `disabled_until`, Gitea/Forgejo and Bitbucket `active`). Reading reports; it never re-enables (a GET does not write):
 * docs/api.md "Hook health" says how to bring a disabled hook back.
 */
export interface HookHealth {
  /**
   * The view with `webhook.status: "disabled"` and `webhook.disabledReason` when the forge disabled the hook; the view
   * unchanged when the hook is active, is not forgelink's (GitHub App), or the forge could not tell within a short budget.
   */
  check(view: SourceView): Promise<SourceView>;
}
