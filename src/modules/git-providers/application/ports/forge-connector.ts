import { type GitProvider } from '../../domain/git-provider.js';
import { type ForgeApi, type ForgeHooks } from './forge.js';

/**
 * Builds forge adapters with a provider's credentials bound. Implemented by the forge plug-ins' registry
 * (src/forges/): the modules never name a forge.
 */
export interface ForgeConnector {
  /** OAuth providers get a token getter that refreshes under a row lock. */
  api(provider: GitProvider): ForgeApi;
  /** Repository hooks forgelink registers; undefined when the forge has none to register (see `appManagedHooks`). */
  hooks(provider: GitProvider): ForgeHooks | undefined;
  /** Set when an app on the forge delivers every repository's events itself (a GitHub App: `github-app`): nothing to register. */
  appManagedHooks(provider: GitProvider): string | undefined;
  /** The forge's label for messages ("GitHub", "Gitea/Forgejo"). */
  label(type: string): string;
}
