import { ForgeError } from '../../modules/git-providers/application/ports/forge.js';
import { type ForgePlugin } from '../forge-plugin.js';
import { createGitHubApi } from './github-api.js';
import { githubForms } from './github-forms.js';
import { describeApp } from './github-manifest.js';
import { GITHUB, type GitHubDeps } from './github-transport.js';
import { githubKind, githubSettings, gitHubServerUrl } from './github-settings.js';
import { githubWebhooks } from './github-webhooks.js';
import { GitHubAppFlows } from './github-app-flows.js';
import { GitHubAppCallbacks, GitHubAppRoutes } from './github-routes.js';
import { RecordInstallationHandler } from './record-installation.js';

/** GitHub Apps (GitHub.com, *.ghe.com, GitHub Enterprise Server): docs/forges/github.md. */
export const githubPlugin: ForgePlugin = {
  name: GITHUB,
  summaryKey: 'github',
  kind: githubKind,
  forms: githubForms,
  connect(provider, tools) {
    const s = githubSettings(provider.settings);
    const privateKey = provider.secret('privateKey');
    if (s.appId === undefined || s.installationId === undefined || !privateKey) {
      throw new ForgeError(GITHUB, 'unauthorized', 'The GitHub App is missing its app id, private key or installation id');
    }
    return createGitHubApi(
      { ...tools, observe: tools.observer(GITHUB, provider.id) },
      { githubUrl: gitHubServerUrl(s), appId: s.appId, privateKey: privateKey.reveal(), installationId: s.installationId },
    );
  },
  // The App's own webhook delivers every installed repository's events.
  hooks: { managedBy: 'github-app' },
  webhooks: githubWebhooks,
  guidance: {
    missingTarget(settings) {
      const s = githubSettings(settings);
      return `GitHub has no installation ${s.installationId ?? ''} of app ${s.appId ?? ''} (the app was uninstalled, or installationId is wrong): install the app again (installUrl) or PATCH installationId`;
    },
    notReady(provider) {
      return provider.status === 'pending_installation'
        ? 'The GitHub App has no installation id yet: install the app (installUrl) or PATCH installationId'
        : 'The GitHub App is not set up yet: finish the manifest flow or PATCH appId and privateKey';
    },
  },
  /** A hand-made GitHub App: ask GitHub for its slug and page (`GET /app`, one short attempt) so the summary can offer installUrl. */
  async learn(settings, secrets, tools) {
    const s = githubSettings(settings);
    const privateKey = secrets.privateKey?.reveal();
    if (s.appId === undefined || !privateKey) return undefined;
    try {
      const app = await describeApp(
        { guard: tools.guard, timeoutMs: tools.timeoutMs, retries: 0 },
        { githubUrl: gitHubServerUrl(s), appId: s.appId, privateKey },
      );
      return { appSlug: app.slug, appHtmlUrl: app.htmlUrl };
    } catch (error) {
      tools.onFailure(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  },
  learnsFrom: ['appId', 'githubUrl', 'internalUrl', 'privateKey'],
  extras(deps) {
    const github = (providerId?: string): GitHubDeps => ({ ...deps.tools, observe: deps.tools.observer(GITHUB, providerId) });
    const flows = new GitHubAppFlows(deps.uow, deps.providers, github, deps.states, deps.urls, deps.policy, deps.members);
    return {
      routes: new GitHubAppRoutes(flows),
      callbacks: new GitHubAppCallbacks(flows),
      appInstallations: new RecordInstallationHandler(deps.uow, deps.providers),
    };
  },
};
