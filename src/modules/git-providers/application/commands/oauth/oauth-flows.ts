import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { Secret } from '../../../../../shared/secret.js';
import { type UnitOfWork } from '../../../../../shared/unit-of-work.js';
import { type Actor } from '../../../../identity/domain/actor.js';
import { type GitLabSettings, type GiteaSettings } from '../../../domain/git-provider.js';
import { type GitProviderRepository } from '../../../domain/git-provider-repository.js';
import { ForgeError } from '../../ports/forge.js';
import { type ForgeConnector } from '../../ports/forge-connector.js';
import { type StateTokens } from '../../ports/state-tokens.js';
import { type MemberDirectory } from '../../ports/members.js';

/** The OAuth authorization-code flow of GitLab and Gitea/Forgejo providers. */
export class OAuthFlows {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly connector: ForgeConnector,
    private readonly states: StateTokens,
    private readonly members: MemberDirectory,
  ) {}

  async authorizeUrlFor(actor: Actor, providerId: string): Promise<Result<string, Failure>> {
    const provider = await this.uow.read(() => this.providers.findById(providerId));
    if (!provider || !provider.isVisibleTo(actor)) return err(failure.notFound('Git provider'));
    if (provider.settings.type !== 'gitlab' && provider.settings.type !== 'gitea') {
      return err(failure.conflict(`A ${provider.type} provider does not use OAuth authorisation`));
    }
    if (!provider.canManage(actor)) return err(failure.unauthorized('Only owners, admins and the creator can authorise a git provider'));
    const settings = provider.settings;
    const state = this.states.issue({
      purpose: settings.type,
      providerId: provider.id,
      userId: actor.userId,
      organizationId: actor.organizationId,
    });
    return ok(this.connector.oauth(provider).authorizeUrl({ clientId: clientIdOf(settings), redirectUri: settings.redirectUri, state }));
  }

  /** The user declined on the forge (no code): the state is burned, nothing is requested from the forge. */
  async decline(type: 'gitlab' | 'gitea', state: string): Promise<Result<{ providerId: string }, Failure>> {
    const claims = await this.states.consume(state, type);
    return claims.ok ? ok({ providerId: claims.value.providerId }) : claims;
  }

  /**
   * The browser comes back with ?code&state. A bad state is INVALID_STATE and makes no token request.
   * Returns the provider id for the dashboard redirect.
   */
  async complete(
    type: 'gitlab' | 'gitea',
    code: string,
    state: string,
  ): Promise<Result<{ providerId: string }, Failure & { providerId?: string }>> {
    const claims = await this.states.consume(state, type);
    if (!claims.ok) return claims;
    const { providerId } = claims.value;
    const provider = await this.uow.read(() => this.providers.findById(providerId));
    if (!provider || provider.type !== type || provider.organizationId !== claims.value.organizationId) {
      return err({ ...failure.invalidState('The state names a provider that no longer exists'), providerId });
    }
    // The user's rights now, not when the state was issued: a demoted or removed member's state stores nothing.
    const actor = await this.members.actorOf(claims.value.organizationId, claims.value.userId);
    if (!actor || !provider.authorizeChange(actor).ok)
      return err({ ...failure.unauthorized('The user who started this may not change the provider'), providerId });
    const settings = provider.settings as GitLabSettings | GiteaSettings;
    const clientSecret = provider.secret('clientSecret');
    if (!clientSecret) return err({ ...failure.notReady('The provider has no client secret'), providerId });
    try {
      const tokens = await this.connector
        .oauth(provider)
        .exchangeCode({ code, clientId: clientIdOf(settings), clientSecret: clientSecret.reveal(), redirectUri: settings.redirectUri });
      await this.uow.run(async () => {
        const fresh = await this.providers.findByIdForUpdate(providerId);
        if (!fresh) return;
        fresh.authorize({
          accessToken: Secret.of(tokens.accessToken),
          refreshToken: tokens.refreshToken ? Secret.of(tokens.refreshToken) : undefined,
          expiresAt: tokens.expiresAt,
        });
        await this.providers.save(fresh);
      });
      return ok({ providerId });
    } catch (error) {
      if (error instanceof ForgeError) return err({ code: 'FORGE_ERROR', detail: error.message, providerId });
      throw error;
    }
  }
}

const clientIdOf = (settings: GitLabSettings | GiteaSettings): string =>
  settings.type === 'gitlab' ? settings.applicationId : settings.clientId;
