import { type Failure, failure } from '../../shared/failure.js';
import { err, ok, type Result } from '../../shared/result.js';
import { Secret } from '../../shared/secret.js';
import { type PublicUrls } from '../../shared/public-urls.js';
import { type UnitOfWork } from '../../shared/unit-of-work.js';
import { type Actor } from '../../modules/identity/domain/actor.js';
import { GitProvider } from '../../modules/git-providers/domain/git-provider.js';
import { type GitProviderRepository } from '../../modules/git-providers/domain/git-provider-repository.js';
import { ForgeError } from '../../modules/git-providers/application/ports/forge.js';
import { type ForgeUrlPolicy } from '../../modules/git-providers/application/ports/forge-url-policy.js';
import { type StateClaims, type StateTokens } from '../../modules/git-providers/application/ports/state-tokens.js';
import { type MemberDirectory } from '../../modules/git-providers/application/ports/members.js';
import { checkForgeUrl } from '../../modules/git-providers/application/commands/create-provider/create-provider.js';
import { type GitHubSettings, githubKind, gitHubServerUrl } from './github-settings.js';
import { buildAppManifest, convertManifest, isInstallationOfApp, manifestPostUrl } from './github-manifest.js';
import { GITHUB, type GitHubDeps } from './github-transport.js';

/** What GitHub's App setup changes on the provider, as the domain records it (git-provider.updated). */
export const gitHubApp = {
  /** The GitHub App created by the manifest flow; waiting for its installation. */
  created(
    provider: GitProvider,
    app: { appId: number; appSlug: string; appHtmlUrl: string; clientId: string },
    secrets: { privateKey: Secret; webhookSecret: Secret; clientSecret: Secret },
    now = new Date(),
  ): void {
    assertGitHub(provider);
    provider.completeSetup({ settings: app, secrets }, now);
  },
  installed(provider: GitProvider, installationId: number, now = new Date()): void {
    assertGitHub(provider);
    provider.completeSetup({ settings: { installationId }, renewsCredentials: true }, now);
  },
  /** The App was uninstalled on GitHub: back to waiting for an installation. */
  uninstalled(provider: GitProvider, now = new Date()): void {
    assertGitHub(provider);
    provider.completeSetup({ settings: { installationId: null } }, now);
  },
};

function assertGitHub(provider: GitProvider): void {
  if (provider.type !== githubKind.type) throw new Error(`Provider ${provider.id} is not a GitHub provider`);
}

/** GitHub App manifest flow: create the app on GitHub from forgelink's manifest, then record its installation. */
export class GitHubAppFlows {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly github: (providerId?: string) => GitHubDeps,
    private readonly states: StateTokens,
    private readonly urls: PublicUrls,
    private readonly policy: ForgeUrlPolicy,
    private readonly members: MemberDirectory,
  ) {}

  async startManifest(
    actor: Actor,
    input: { name: string; githubUrl: string; internalUrl?: string; organization?: string },
  ): Promise<Result<{ providerId: string; postUrl: string; manifest: Record<string, unknown>; state: string }, Failure>> {
    const allowed = GitProvider.authorizeCreate(actor);
    if (!allowed.ok) return allowed;
    const blocked = await checkForgeUrl(this.policy, githubKind, {
      type: githubKind.type,
      githubUrl: input.githubUrl,
      internalUrl: input.internalUrl,
    });
    if (blocked) return err(blocked);
    const created = await this.uow.run(async (): Promise<Result<GitProvider, Failure>> => {
      if (await this.providers.existsWithName(actor.organizationId, input.name.trim()))
        return err(failure.conflict(`A git provider named "${input.name.trim()}" already exists in the organisation`));
      const result = GitProvider.create(actor, {
        name: input.name,
        settings: {
          type: githubKind.type,
          githubUrl: input.githubUrl,
          ...(input.internalUrl ? { internalUrl: input.internalUrl } : {}),
          ...(input.organization ? { organization: input.organization } : {}),
        },
        secrets: {},
        kind: githubKind,
      });
      if (result.ok) await this.providers.save(result.value);
      return result;
    });
    if (!created.ok) return created;
    const provider = created.value;
    const state = this.states.issue({
      purpose: 'github-manifest',
      providerId: provider.id,
      userId: actor.userId,
      organizationId: actor.organizationId,
    });
    const postUrl = manifestPostUrl(input.githubUrl, input.organization);
    const manifest = buildAppManifest({
      name: input.name,
      webhookUrl: this.urls.webhookUrl(provider.id),
      redirectUrl: this.urls.callbackUrl('github/manifest'),
      setupUrl: this.urls.callbackUrl('github/install'),
      callbackUrl: this.urls.callbackUrl('github/install'),
      publicUrl: this.urls.publicUrl,
    });
    const url = new URL(postUrl);
    url.searchParams.set('state', state);
    return ok({ providerId: provider.id, postUrl: url.toString(), manifest, state });
  }

  async completeManifest(code: string, state: string): Promise<Result<{ providerId: string }, Failure & { providerId?: string }>> {
    const claims = await this.states.consume(state, 'github-manifest');
    if (!claims.ok) return claims;
    const loaded = await this.loadForChange(claims.value);
    if (!loaded.ok) return loaded;
    const provider = loaded.value;
    const { providerId } = claims.value;
    try {
      const app = await convertManifest(this.github(), gitHubServerUrl(provider.settings), code);
      await this.uow.run(async () => {
        const fresh = await this.providers.findByIdForUpdate(providerId);
        if (!fresh) return;
        gitHubApp.created(
          fresh,
          { appId: app.appId, appSlug: app.slug, appHtmlUrl: app.htmlUrl, clientId: app.clientId },
          { privateKey: Secret.of(app.privateKey), webhookSecret: Secret.of(app.webhookSecret), clientSecret: Secret.of(app.clientSecret) },
        );
        await this.providers.save(fresh);
      });
      return ok({ providerId });
    } catch (error) {
      if (error instanceof ForgeError) return err({ code: 'FORGE_ERROR', detail: error.message, providerId });
      throw error;
    }
  }

  /**
   * The install callback (API contract): the state's user must still be allowed to change the provider, and the
   * id must be an installation of this App, asked of GitHub with the App's JWT — otherwise nothing is stored.
   */
  async completeInstall(installationId: number, state: string): Promise<Result<{ providerId: string }, Failure & { providerId?: string }>> {
    const claims = await this.states.consume(state, 'github-install');
    if (!claims.ok) return claims;
    const loaded = await this.loadForChange(claims.value);
    if (!loaded.ok) return loaded;
    const { providerId } = claims.value;
    const settings = loaded.value.settings as GitHubSettings;
    if (settings.appId === undefined || !loaded.value.hasSecret('privateKey')) {
      return err({ ...failure.notReady('The GitHub App has no app id or private key: the installation cannot be checked'), providerId });
    }
    let known: boolean;
    try {
      const privateKey = loaded.value.secret('privateKey');
      if (!privateKey) throw new ForgeError(GITHUB, 'unauthorized', 'The GitHub App is missing its private key');
      known = await isInstallationOfApp(
        this.github(providerId),
        { githubUrl: gitHubServerUrl(settings), appId: settings.appId, privateKey: privateKey.reveal() },
        installationId,
      );
    } catch (error) {
      if (error instanceof ForgeError) return err({ code: 'FORGE_ERROR', detail: error.message, providerId });
      throw error;
    }
    if (!known)
      return err({
        ...failure.validation(`Installation ${installationId} is not an installation of GitHub App ${settings.appId}`, [
          { path: 'query.installation_id', message: 'is not an installation of this App' },
        ]),
        providerId,
      });
    return this.uow.run(async () => {
      const provider = await this.providers.findByIdForUpdate(providerId);
      // Changed while GitHub was asked: the app or its address may not be the one that vouched for the id.
      if (
        !provider ||
        provider.type !== githubKind.type ||
        (provider.settings as GitHubSettings).appId !== settings.appId ||
        gitHubServerUrl(provider.settings) !== gitHubServerUrl(settings)
      ) {
        return err({ ...failure.conflict('The provider changed during the installation; install again'), providerId });
      }
      gitHubApp.installed(provider, installationId);
      await this.providers.save(provider);
      return ok({ providerId });
    });
  }

  /** The state's provider, if its user may still change it (role now, not when the state was issued). */
  private async loadForChange(claims: StateClaims): Promise<Result<GitProvider, Failure & { providerId?: string }>> {
    const { providerId } = claims;
    const provider = await this.uow.read(() => this.providers.findById(providerId));
    if (!provider || provider.type !== githubKind.type || provider.organizationId !== claims.organizationId) {
      return err({ ...failure.invalidState('The state names a provider that no longer exists'), providerId });
    }
    const actor = await this.members.actorOf(claims.organizationId, claims.userId);
    const allowed = actor ? provider.authorizeChange(actor) : err(failure.unauthorized('The user who started this is no longer a member'));
    if (!allowed.ok) return err({ ...failure.unauthorized('The user who started this may not change the provider'), providerId });
    return ok(provider);
  }
}
