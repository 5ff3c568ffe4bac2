import { type ProviderKind, type ProviderSettings } from '../../modules/git-providers/domain/git-provider.js';
import { serverUrl } from '../shared/forms.js';

/** A GitHub App provider's settings (GitHub.com, *.ghe.com or GitHub Enterprise Server). */
export interface GitHubSettings extends ProviderSettings {
  readonly type: 'github';
  readonly githubUrl: string;
  readonly internalUrl?: string;
  readonly appId?: number;
  readonly appSlug?: string;
  /** The app's page on the forge; its install URL is `<appHtmlUrl>/installations/new`. */
  readonly appHtmlUrl?: string;
  readonly installationId?: number;
  readonly clientId?: string;
  /** The GitHub organisation the manifest flow creates the app under, if any. */
  readonly organization?: string;
}

export const githubSettings = (settings: ProviderSettings): GitHubSettings => settings as GitHubSettings;

/** Where forgelink's own requests to GitHub go. */
export const gitHubServerUrl = (settings: ProviderSettings): string => serverUrl(settings, githubSettings(settings).githubUrl);

/** A GitHub App: pending_authorization until it has an app id and key, pending_installation until it is installed. */
export const githubKind: ProviderKind = {
  type: 'github',
  addressFields: ['githubUrl', 'internalUrl'],
  outboundSecrets: ['privateKey', 'clientSecret'],
  // The app page was read from the old host; only a lookup on the new one (with a key supplied again) may name it.
  learnedFromAddress: ['appSlug', 'appHtmlUrl'],
  status(settings, has) {
    const s = githubSettings(settings);
    if (s.appId === undefined || !has('privateKey')) return 'pending_authorization';
    return s.installationId === undefined ? 'pending_installation' : 'ready';
  },
};
