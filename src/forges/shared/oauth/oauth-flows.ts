import { type Failure, failure } from '../../../shared/failure.js';
import { err, ok, type Result } from '../../../shared/result.js';
import { Secret } from '../../../shared/secret.js';
import { type UnitOfWork } from '../../../shared/unit-of-work.js';
import { type Actor } from '../../../modules/identity/domain/actor.js';
import { type GitProvider } from '../../../modules/git-providers/domain/git-provider.js';
import { type GitProviderRepository } from '../../../modules/git-providers/domain/git-provider-repository.js';
import { ForgeError, type OAuthClient } from '../../../modules/git-providers/application/ports/forge.js';
import { type ProviderAuthorization } from '../../../modules/git-providers/application/ports/provider-authorization.js';
import { type StateTokens } from '../../../modules/git-providers/application/ports/state-tokens.js';
import { type MemberDirectory } from '../../../modules/git-providers/application/ports/members.js';
import { type OAuthCapability } from '../../forge-plugin.js';
import { oauthClientOf } from './oauth-tokens.js';

/** A provider's OAuth capability and its client, or undefined when its forge does not use OAuth. */
export type OAuthOf = (provider: GitProvider) => { readonly capability: OAuthCapability; readonly client: OAuthClient } | undefined;

/** The OAuth authorization-code flow every OAuth forge shares (GitLab, Gitea/Forgejo): the `state` purpose is the provider type. */
export class OAuthFlows implements ProviderAuthorization {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly providers: GitProviderRepository,
    private readonly oauthOf: OAuthOf,
    private readonly states: StateTokens,
    private readonly members: MemberDirectory,
  ) {}

  async authorizeUrlFor(actor: Actor, providerId: string): Promise<Result<string, Failure>> {
    const provider = await this.uow.read(() => this.providers.findById(providerId));
    if (!provider || !provider.isVisibleTo(actor)) return err(failure.notFound('Git provider'));
    const oauth = this.oauthOf(provider);
    if (!oauth) return err(failure.conflict(`A ${provider.type} provider does not use OAuth authorisation`));
    if (!provider.canManage(actor)) return err(failure.unauthorized('Only owners, admins and the creator can authorise a git provider'));
    const state = this.states.issue({
      purpose: provider.type,
      providerId: provider.id,
      userId: actor.userId,
      organizationId: actor.organizationId,
    });
    return ok(oauth.client.authorizeUrl({ ...oauthClientOf(provider), state }));
  }

  /** The user declined on the forge (no code): the state is burned, nothing is requested from the forge. */
  async decline(type: string, state: string): Promise<Result<{ providerId: string }, Failure>> {
    const claims = await this.states.consume(state, type);
    return claims.ok ? ok({ providerId: claims.value.providerId }) : claims;
  }

  /**
   * The browser comes back with ?code&state. A bad state is INVALID_STATE and makes no token request.
   * Returns the provider id for the dashboard redirect.
   */
  async complete(type: string, code: string, state: string): Promise<Result<{ providerId: string }, Failure & { providerId?: string }>> {
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
    const oauth = this.oauthOf(provider);
    if (!oauth) return err({ ...failure.invalidState('The state names a provider that does not use OAuth'), providerId });
    const clientSecret = provider.secret('clientSecret');
    if (!clientSecret) return err({ ...failure.notReady('The provider has no client secret'), providerId });
    try {
      const tokens = await oauth.client.exchangeCode({ code, ...oauthClientOf(provider), clientSecret: clientSecret.reveal() });
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
