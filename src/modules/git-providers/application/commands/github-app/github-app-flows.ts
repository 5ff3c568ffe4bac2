import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { Secret } from '../../../../../shared/secret.js';
import { type PublicUrls } from '../../../../../shared/public-urls.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { GitProvider, serverUrlOf } from '../../../domain/git-provider.js';
import { type GitProviderRepository } from '../../../domain/git-provider-repository.js';
import { ForgeError } from '../../ports/forge.js';
import { type ForgeConnector } from '../../ports/forge-connector.js';
import { type ForgeUrlPolicy } from '../../ports/forge-url-policy.js';
import { type StateTokens } from '../../ports/state-tokens.js';
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
  ) {}

  async startManifest(actor: Actor, input: { name: string; githubUrl: string; internalUrl?: string; organization?: string }): Promise<Result<{ providerId: string; postUrl: string; manifest: Record<string, unknown>; state: string }, Failure>> {
    const blocked = await checkForgeUrl(this.policy, { githubUrl: input.githubUrl, internalUrl: input.internalUrl });
    if (blocked) return err(blocked);
    const created = await this.uow.run(async (): Promise<Result<GitProvider, Failure>> => {
      if (await this.providers.existsWithName(actor.organizationId, input.name.trim())) return err(failure.conflict(`A git provider named "${input.name.trim()}" already exists in the organisation`));
      const result = GitProvider.create(actor, { name: input.name, settings: { type: 'github', githubUrl: input.githubUrl, ...(input.internalUrl ? { internalUrl: input.internalUrl } : {}), ...(input.organization ? { organization: input.organization } : {}) }, secrets: {} });
      if (result.ok) await this.providers.save(result.value);
      return result;
    });
    if (!created.ok) return created;
    const provider = created.value;
    const state = this.states.issue({ purpose: 'github-manifest', providerId: provider.id, userId: actor.userId, organizationId: actor.organizationId });
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
    const { providerId } = claims.value;
    const provider = await this.uow.read(() => this.providers.findById(providerId));
    if (!provider || provider.settings.type !== 'github' || provider.organizationId !== claims.value.organizationId) {
      return err({ ...failure.invalidState('The state names a provider that no longer exists'), providerId });
    }
    try {
      const app = await this.connector.convertGitHubManifest(serverUrlOf(provider.settings), code);
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

  async completeInstall(installationId: number, state: string): Promise<Result<{ providerId: string }, Failure & { providerId?: string }>> {
    const claims = await this.states.consume(state, 'github-install');
    if (!claims.ok) return claims;
    const { providerId } = claims.value;
    return this.uow.run(async () => {
      const provider = await this.providers.findByIdForUpdate(providerId);
      if (!provider || provider.settings.type !== 'github' || provider.organizationId !== claims.value.organizationId) {
        return err({ ...failure.invalidState('The state names a provider that no longer exists'), providerId });
      }
      provider.installGitHubApp(installationId);
      await this.providers.save(provider);
      return ok({ providerId });
    });
  }

  installUrl(appHtmlUrl: string, providerId: string, userId: string, organizationId: string): string {
    return this.connector.gitHubInstallUrl(appHtmlUrl, this.states.issue({ purpose: 'github-install', providerId, userId, organizationId }));
  }
}
