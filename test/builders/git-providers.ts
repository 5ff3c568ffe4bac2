import { randomBytes } from 'node:crypto';
import { type Actor } from '../../src/modules/identity/domain/actor.js';
import {
  GitProvider,
  type ProviderKind,
  type ProviderSecrets,
  type ProviderSettings,
} from '../../src/modules/git-providers/domain/git-provider.js';
import { providerKinds } from '../../src/forges/registry.js';
import { type GitHubSettings } from '../../src/forges/github/github-settings.js';
import { type GitLabSettings } from '../../src/forges/gitlab/gitlab-plugin.js';
import { type GiteaSettings } from '../../src/forges/gitea/gitea-plugin.js';
import { type BitbucketSettings } from '../../src/forges/bitbucket/bitbucket-plugin.js';
import { type BitbucketDatacenterSettings } from '../../src/forges/bitbucket-datacenter/bitbucket-datacenter-plugin.js';
import { Secret } from '../../src/shared/secret.js';
import { anActor } from './actors.js';

const suffix = (): string => randomBytes(3).toString('hex');
export const aSecret = (prefix = 'secret'): Secret => Secret.of(`${prefix}-${randomBytes(12).toString('hex')}`);

/**
 * Builds a GitProvider through `GitProvider.create` (the real invariants), with the recorded events cleared,
 * so a test sees only the events its own calls record. The creator may have any role: creation runs as that
 * user with an admin role (an admin who created it and was later demoted is a member creator).
 */
export class GitProviderBuilder<S extends ProviderSettings = ProviderSettings> {
  private creator: Actor = anActor('owner');
  private shared = false;
  private name = `provider-${suffix()}`;
  private secrets: ProviderSecrets = {};
  private now = new Date('2026-01-01T00:00:00Z');

  constructor(private settings: S) {}

  createdBy(actor: Actor): this {
    this.creator = actor;
    return this;
  }

  /** Created by a fresh owner of the given organisation. */
  inOrganization(organizationId: string): this {
    this.creator = anActor('owner', organizationId);
    return this;
  }

  sharedWithOrganization(shared = true): this {
    this.shared = shared;
    return this;
  }

  named(name: string): this {
    this.name = name;
    return this;
  }

  createdAt(now: Date): this {
    this.now = now;
    return this;
  }

  withSettings(settings: Partial<Omit<S, 'type'>>): this {
    this.settings = { ...this.settings, ...settings };
    return this;
  }

  withSecrets(secrets: ProviderSecrets): this {
    this.secrets = { ...this.secrets, ...secrets };
    return this;
  }

  /** The creation input (with its forge's kind, from the registry), for tests that call `GitProvider.create` themselves. */
  input(): { name: string; settings: S; secrets: ProviderSecrets; kind: ProviderKind } {
    return { name: this.name, settings: this.settings, secrets: { ...this.secrets }, kind: providerKinds.of(this.settings.type) };
  }

  build(): GitProvider {
    const created = GitProvider.create({ ...this.creator, role: 'admin' }, this.input(), this.now);
    if (!created.ok) throw new Error(`builder: ${created.error.detail}`);
    const provider = created.value;
    if (this.shared) {
      const shared = provider.changeSharing(this.creator, true, this.now);
      if (!shared.ok) throw new Error(`builder: ${shared.error.detail}`);
    }
    provider.pullDomainEvents();
    return provider;
  }
}

class GitHubProviderBuilder extends GitProviderBuilder<GitHubSettings> {
  /** The App exists (manifest flow done or entered by hand) but is not installed yet. */
  withApp(appId = 12345): this {
    return this.withSettings({
      appId,
      appSlug: `forgelink-${suffix()}`,
      appHtmlUrl: `https://github.com/apps/forgelink-${suffix()}`,
      clientId: `Iv1.${suffix()}`,
    }).withSecrets({
      privateKey: aSecret('-----BEGIN RSA PRIVATE KEY-----'),
      webhookSecret: aSecret('whsec'),
      clientSecret: aSecret('client'),
    });
  }

  installed(installationId = 777): this {
    return this.withApp().withSettings({ installationId });
  }
}

class OAuthProviderBuilder<S extends GitLabSettings | GiteaSettings> extends GitProviderBuilder<S> {
  /** Created with an access token already (as after the OAuth callback). */
  authorized(): this {
    return this.withSecrets({ accessToken: aSecret('access'), refreshToken: aSecret('refresh') });
  }
}

/** Pending authorisation until `.withApp()`, pending installation until `.installed()`. */
export const aGitHubProvider = (): GitHubProviderBuilder => new GitHubProviderBuilder({ type: 'github', githubUrl: 'https://github.com' });

export const aGitLabProvider = (): OAuthProviderBuilder<GitLabSettings> =>
  new OAuthProviderBuilder<GitLabSettings>({
    type: 'gitlab',
    gitlabUrl: 'https://gitlab.com',
    applicationId: `app-${suffix()}`,
    redirectUri: 'http://forgelink.test/v1/callbacks/gitlab',
  }).withSecrets({ clientSecret: aSecret('gloas') });

export const aGiteaProvider = (): OAuthProviderBuilder<GiteaSettings> =>
  new OAuthProviderBuilder<GiteaSettings>({
    type: 'gitea',
    giteaUrl: 'https://codeberg.org',
    clientId: `client-${suffix()}`,
    redirectUri: 'http://forgelink.test/v1/callbacks/gitea',
  }).withSecrets({ clientSecret: aSecret('gto') });

export const aBitbucketProvider = (): GitProviderBuilder<BitbucketSettings> =>
  new GitProviderBuilder<BitbucketSettings>({
    type: 'bitbucket',
    username: `user-${suffix()}`,
    email: 'dev@example.com',
    workspace: `ws-${suffix()}`,
    authMethod: 'api_token',
  }).withSecrets({ apiToken: aSecret('ATATT') });

/** Ready: it has its HTTP access token. */
export const aBitbucketDatacenterProvider = (): GitProviderBuilder<BitbucketDatacenterSettings> =>
  new GitProviderBuilder<BitbucketDatacenterSettings>({
    type: 'bitbucket-datacenter',
    serverUrl: 'https://bitbucket.example.com/bitbucket',
    username: 'deploy-bot',
  }).withSecrets({ token: aSecret('BBDC') });
