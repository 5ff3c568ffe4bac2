import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { Secret } from '../../../../../shared/secret.js';
import { type PublicUrls } from '../../../../../shared/public-urls.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { GitProvider, type GitHubSettings, serverUrlOf } from '../../../domain/git-provider.js';
import { type GitProviderRepository } from '../../../domain/git-provider-repository.js';
import { ForgeError } from '../../ports/forge.js';
import { type ForgeConnector } from '../../ports/forge-connector.js';
import { type ForgeUrlPolicy } from '../../ports/forge-url-policy.js';
import { type StateClaims, type StateTokens } from '../../ports/state-tokens.js';
import { type MemberDirectory } from '../../ports/members.js';
import { checkForgeUrl } from '../create-provider/create-provider.js';

/** GitHub App manifest flow: create the app on GitHub from forgelink's manifest, then record its installation. */
export class GitHubAppFlows {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly connector: ForgeConnector,
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
    const blocked = await checkForgeUrl(this.policy, { githubUrl: input.githubUrl, internalUrl: input.internalUrl });
    if (blocked) return err(blocked);
    const created = await this.uow.run(async (): Promise<Result<GitProvider, Failure>> => {
      if (await this.providers.existsWithName(actor.organizationId, input.name.trim()))
        return err(failure.conflict(`A git provider named "${input.name.trim()}" already exists in the organisation`));
      const result = GitProvider.create(actor, {
        name: input.name,
        settings: {
          type: 'github',
          githubUrl: input.githubUrl,
          ...(input.internalUrl ? { internalUrl: input.internalUrl } : {}),
          ...(input.organization ? { organization: input.organization } : {}),
        },
        secrets: {},
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
    const { postUrl, manifest } = this.connector.gitHubManifest({
      githubUrl: input.githubUrl,
      organization: input.organization,
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
      const app = await this.connector.convertGitHubManifest(serverUrlOf(provider.settings as GitHubSettings), code);
      await this.uow.run(async () => {
        const fresh = await this.providers.findByIdForUpdate(providerId);
        if (!fresh) return;
        fresh.completeGitHubApp(
          { appId: app.appId, appSlug: app.appSlug, appHtmlUrl: app.appHtmlUrl, clientId: app.clientId },
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
      known = await this.connector.isGitHubAppInstallation(loaded.value, installationId);
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
        provider.settings.type !== 'github' ||
        provider.settings.appId !== settings.appId ||
        serverUrlOf(provider.settings) !== serverUrlOf(settings)
      ) {
        return err({ ...failure.conflict('The provider changed during the installation; install again'), providerId });
      }
      provider.installGitHubApp(installationId);
      await this.providers.save(provider);
      return ok({ providerId });
    });
  }

  /** The state's provider, if its user may still change it (role now, not when the state was issued). */
  private async loadForChange(claims: StateClaims): Promise<Result<GitProvider, Failure & { providerId?: string }>> {
    const { providerId } = claims;
    const provider = await this.uow.read(() => this.providers.findById(providerId));
    if (!provider || provider.settings.type !== 'github' || provider.organizationId !== claims.organizationId) {
      return err({ ...failure.invalidState('The state names a provider that no longer exists'), providerId });
    }
    const actor = await this.members.actorOf(claims.organizationId, claims.userId);
    const allowed = actor ? provider.authorizeChange(actor) : err(failure.unauthorized('The user who started this is no longer a member'));
    if (!allowed.ok) return err({ ...failure.unauthorized('The user who started this may not change the provider'), providerId });
    return ok(provider);
  }

  installUrl(appHtmlUrl: string, providerId: string, userId: string, organizationId: string): string {
    return this.connector.gitHubInstallUrl(
      appHtmlUrl,
      this.states.issue({ purpose: 'github-install', providerId, userId, organizationId }),
    );
  }
}
