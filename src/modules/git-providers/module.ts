import { containerModule } from '../../platform/container.js';
import { TOKENS } from '../../platform/tokens.js';
import { CreateProviderHandler } from './application/commands/create-provider/create-provider.js';
import { UpdateProviderHandler } from './application/commands/update-provider/update-provider.js';
import { ChangeSharingHandler } from './application/commands/change-sharing/change-sharing.js';
import { RemoveProviderHandler } from './application/commands/remove-provider/remove-provider.js';
import { OAuthFlows } from './application/commands/oauth/oauth-flows.js';
import { GitHubAppFlows } from './application/commands/github-app/github-app-flows.js';
import { RecordInstallationHandler } from './application/commands/github-app/record-installation.js';
import { ProviderQueries } from './application/queries/provider-summary.js';
import { ForgeQueries } from './application/queries/forge-queries.js';
import { OAuthTokens } from './application/services/oauth-tokens.js';
import { CredentialRefusals } from './application/services/credential-refusals.js';
import { MikroOrmGitProviderRepository } from './infrastructure/persistence/mikro-orm-git-provider.repository.js';
import { DefaultForgeConnector, GitHubAppDirectory } from '../../forges/default-forge-connector.js';
import { HmacStateTokens } from './infrastructure/hmac-state-tokens.js';
import { InProcessRepositoryListCache } from './infrastructure/repository-list-cache.js';
import { ProviderRoutes } from './http/provider-routes.js';
import { CallbackRoutes } from './http/callback-routes.js';
import { IDENTITY } from '../identity/tokens.js';
import { GIT_PROVIDERS } from './tokens.js';

export const gitProvidersModule = containerModule((bind) => {
  bind.singleton(GIT_PROVIDERS.Members, (r) => {
    const identity = r.get(IDENTITY.IdentityService);
    return { actorOf: (organizationId, userId) => identity.actorOf(organizationId, userId) };
  });
  bind.singleton(GIT_PROVIDERS.Repository, (r) => new MikroOrmGitProviderRepository(r.get(TOKENS.UnitOfWork)));
  bind.singleton(GIT_PROVIDERS.UrlPolicy, (r) => r.get(GIT_PROVIDERS.UrlGuard));
  bind.singleton(GIT_PROVIDERS.StateTokens, (r) => new HmacStateTokens(r.get(TOKENS.MasterKey), r.get(TOKENS.ReadDatabase)));
  bind.singleton(GIT_PROVIDERS.ForgeConnector, (r) => {
    const metrics = r.get(TOKENS.Metrics);
    const connector = new DefaultForgeConnector({
      guard: r.get(GIT_PROVIDERS.UrlGuard),
      bitbucketApiUrl: r.get(TOKENS.Config).bitbucketApiUrl,
      metrics,
      ...r.get(TOKENS.ForgeOptions),
    });
    connector.useTokens(
      new OAuthTokens(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        (provider) => connector.oauth(provider),
        undefined,
        metrics,
      ),
    );
    connector.useRefusals(new CredentialRefusals(r.get(TOKENS.UnitOfWork), r.get(GIT_PROVIDERS.Repository)));
    return connector;
  });
  bind.singleton(
    GIT_PROVIDERS.OAuthFlows,
    (r) =>
      new OAuthFlows(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.ForgeConnector),
        r.get(GIT_PROVIDERS.StateTokens),
        r.get(GIT_PROVIDERS.Members),
      ),
  );
  bind.singleton(
    GIT_PROVIDERS.GitHubAppFlows,
    (r) =>
      new GitHubAppFlows(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.ForgeConnector),
        r.get(GIT_PROVIDERS.StateTokens),
        r.get(TOKENS.PublicUrls),
        r.get(GIT_PROVIDERS.UrlPolicy),
        r.get(GIT_PROVIDERS.Members),
      ),
  );
  bind.singleton(GIT_PROVIDERS.GitHubAppLookup, (r) => {
    const logger = r.get(TOKENS.Logger);
    return new GitHubAppDirectory(
      r.get(GIT_PROVIDERS.UrlGuard),
      (detail) => logger.info({ detail }, 'could not read the GitHub App (no installUrl yet)'),
      r.get(TOKENS.ForgeOptions).timeoutMs ?? 3_000,
    );
  });
  bind.singleton(
    GIT_PROVIDERS.RepositoryListCache,
    (r) => new InProcessRepositoryListCache(r.get(TOKENS.Knex), { maxAgeMs: r.get(TOKENS.ForgeOptions).listingMaxAgeMs }),
  );
  bind.singleton(
    GIT_PROVIDERS.RecordInstallation,
    (r) => new RecordInstallationHandler(r.get(TOKENS.UnitOfWork), r.get(GIT_PROVIDERS.Repository)),
  );

  bind.singleton(
    GIT_PROVIDERS.CreateProvider,
    (r) =>
      new CreateProviderHandler(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.UrlPolicy),
        r.get(GIT_PROVIDERS.GitHubAppLookup),
      ),
  );
  bind.singleton(
    GIT_PROVIDERS.UpdateProvider,
    (r) =>
      new UpdateProviderHandler(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.UrlPolicy),
        r.get(GIT_PROVIDERS.GitHubAppLookup),
      ),
  );
  bind.singleton(GIT_PROVIDERS.ChangeSharing, (r) => new ChangeSharingHandler(r.get(TOKENS.UnitOfWork), r.get(GIT_PROVIDERS.Repository)));
  bind.singleton(
    GIT_PROVIDERS.RemoveProvider,
    (r) =>
      new RemoveProviderHandler(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.ConnectedSources),
        r.get(GIT_PROVIDERS.RegisteredHooks),
      ),
  );
  bind.singleton(GIT_PROVIDERS.ProviderQueries, (r) => {
    const github = r.get(GIT_PROVIDERS.GitHubAppFlows);
    return new ProviderQueries(r.get(TOKENS.ReadDatabase), r.get(TOKENS.PublicUrls), {
      installUrl: (appHtmlUrl, providerId, userId, organizationId) => github.installUrl(appHtmlUrl, providerId, userId, organizationId),
    });
  });
  bind.singleton(
    GIT_PROVIDERS.ForgeQueries,
    (r) =>
      new ForgeQueries(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.ForgeConnector),
        r.get(GIT_PROVIDERS.RepositoryListCache),
      ),
  );

  bind.singleton(
    TOKENS.Routes,
    (r) =>
      new ProviderRoutes({
        create: r.get(GIT_PROVIDERS.CreateProvider),
        update: r.get(GIT_PROVIDERS.UpdateProvider),
        sharing: r.get(GIT_PROVIDERS.ChangeSharing),
        remove: r.get(GIT_PROVIDERS.RemoveProvider),
        queries: r.get(GIT_PROVIDERS.ProviderQueries),
        forge: r.get(GIT_PROVIDERS.ForgeQueries),
        oauth: r.get(GIT_PROVIDERS.OAuthFlows),
        github: r.get(GIT_PROVIDERS.GitHubAppFlows),
        urls: r.get(TOKENS.PublicUrls),
      }),
  );
  bind.singleton(
    TOKENS.Routes,
    (r) =>
      new CallbackRoutes(
        r.get(GIT_PROVIDERS.OAuthFlows),
        r.get(GIT_PROVIDERS.GitHubAppFlows),
        r.get(TOKENS.PublicUrls),
        r.get(TOKENS.Logger),
      ),
  );
});
