import { type GitProvider } from '../../domain/git-provider.js';
import { type ForgeApi, type ForgeHooks, type OAuthClient } from './forge.js';

export interface GitHubAppCredentials {
  readonly appId: number;
  readonly appSlug: string;
  readonly appHtmlUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly webhookSecret: string;
  readonly privateKey: string;
}

/** Builds forge adapters with a provider's credentials bound. The one place that knows every forge. */
export interface ForgeConnector {
  /** OAuth providers get a token getter that refreshes under a row lock (see OAuthTokens). */
  api(provider: GitProvider): ForgeApi;
  /** Repository hooks; undefined for GitHub, whose App carries one app-level hook. */
  hooks(provider: GitProvider): ForgeHooks | undefined;
  /** GitLab and Gitea/Forgejo. */
  oauth(provider: GitProvider): OAuthClient;
  gitHubManifest(input: {
    githubUrl: string;
    organization?: string;
    name: string;
    webhookUrl: string;
    redirectUrl: string;
    setupUrl: string;
    callbackUrl: string;
    publicUrl: string;
  }): {
    postUrl: string;
    manifest: Record<string, unknown>;
  };
  convertGitHubManifest(githubUrl: string, code: string): Promise<GitHubAppCredentials>;
  /** Asks the provider's GitHub whether the id is an installation of its App (the App's JWT, stored key). */
  isGitHubAppInstallation(provider: GitProvider, installationId: number): Promise<boolean>;
  gitHubInstallUrl(appHtmlUrl: string, state: string): string;
}
