import { ContainerModule } from 'inversify';
import { TOKENS } from '../../platform/tokens.js';
import { type Metrics } from '../../shared/metrics.js';
import { type Config } from '../../config.js';
import { type MikroOrmUnitOfWork } from '../../platform/database/unit-of-work.js';
import { GIT_PROVIDER_REPOSITORY, type GitProviderRepository } from './domain/git-provider-repository.js';
import { FORGE_CONNECTOR, type ForgeConnector } from './application/ports/forge-connector.js';
import { FORGE_URL_POLICY, type ForgeUrlPolicy } from './application/ports/forge-url-policy.js';
import { STATE_TOKENS, type StateTokens } from './application/ports/state-tokens.js';
import { CreateProviderHandler } from './application/commands/create-provider/create-provider.js';
import { UpdateProviderHandler } from './application/commands/update-provider/update-provider.js';
import { ChangeSharingHandler } from './application/commands/change-sharing/change-sharing.js';
import { RemoveProviderHandler } from './application/commands/remove-provider/remove-provider.js';
import { OAuthFlows } from './application/commands/oauth/oauth-flows.js';
import { GitHubAppFlows } from './application/commands/github-app/github-app-flows.js';
import { ProviderQueries } from './application/queries/provider-summary.js';
import { ForgeQueries } from './application/queries/forge-queries.js';
import { OAuthTokens } from './application/services/oauth-tokens.js';
import { CredentialRefusals } from './application/services/credential-refusals.js';
import { MikroOrmGitProviderRepository } from './infrastructure/persistence/mikro-orm-git-provider.repository.js';
import { DefaultForgeConnector, GitHubAppDirectory, type ConnectorOptions } from '../../forges/default-forge-connector.js';
import { type Logger } from '../../platform/logging/logger.js';
import { HmacStateTokens } from './infrastructure/hmac-state-tokens.js';
import { ProviderRoutes } from './http/provider-routes.js';
import { CallbackRoutes } from './http/callback-routes.js';
import { SERVICE_SOURCE_REPOSITORY } from '../service-sources/domain/service-source-repository.js';
import { REGISTERED_HOOKS } from '../webhooks/module.js';
import { APP_INSTALLATIONS } from '../webhooks/application/ports/app-installations.js';
import { REPOSITORY_LISTINGS } from '../webhooks/application/ports/repository-listings.js';
import { REPOSITORY_LIST_CACHE, type RepositoryListCache } from './application/ports/repository-list-cache.js';
import { InProcessRepositoryListCache } from './infrastructure/repository-list-cache.js';
import { MEMBER_DIRECTORY, type MemberDirectory } from './application/ports/members.js';
import { IDENTITY_SERVICE } from '../identity/module.js';
import { type IdentityService } from '../identity/application/identity-service.js';
import { RecordInstallationHandler } from './application/commands/github-app/record-installation.js';

export const PROVIDER_QUERIES = Symbol.for('ProviderQueries');
export const OAUTH_TOKENS = Symbol.for('OAuthTokens');
const OAUTH_FLOWS = Symbol.for('OAuthFlows');
const GITHUB_APP_LOOKUP = Symbol.for('GitHubAppLookup');
const GITHUB_FLOWS = Symbol.for('GitHubAppFlows');

export const gitProvidersModule = new ContainerModule(({ bind }) => {
  bind<MemberDirectory>(MEMBER_DIRECTORY)
    .toDynamicValue((ctx) => {
      const identity = ctx.get<IdentityService>(IDENTITY_SERVICE);
      return { actorOf: (organizationId, userId) => identity.actorOf(organizationId, userId) };
    })
    .inSingletonScope();
  bind<GitProviderRepository>(GIT_PROVIDER_REPOSITORY)
    .toDynamicValue((ctx) => new MikroOrmGitProviderRepository(ctx.get<MikroOrmUnitOfWork>(TOKENS.UnitOfWork)))
    .inSingletonScope();
  bind(FORGE_URL_POLICY)
    .toDynamicValue((ctx) => ctx.get(TOKENS.UrlGuard))
    .inSingletonScope();
  bind<StateTokens>(STATE_TOKENS)
    .toDynamicValue((ctx) => new HmacStateTokens(ctx.get<string>(TOKENS.MasterKey), ctx.get(TOKENS.ReadDatabase)))
    .inSingletonScope();
  bind<ForgeConnector>(FORGE_CONNECTOR)
    .toDynamicValue((ctx) => {
      const config = ctx.get<Config>(TOKENS.Config);
      const metrics = ctx.get<Metrics>(TOKENS.Metrics);
      const connector = new DefaultForgeConnector({
        guard: ctx.get(TOKENS.UrlGuard),
        bitbucketApiUrl: config.bitbucketApiUrl,
        metrics,
        ...ctx.get<Partial<ConnectorOptions>>(TOKENS.ForgeOptions),
      });
      connector.useTokens(
        new OAuthTokens(
          ctx.get(TOKENS.UnitOfWork),
          ctx.get(GIT_PROVIDER_REPOSITORY),
          (provider) => connector.oauth(provider),
          undefined,
          metrics,
        ),
      );
      connector.useRefusals(new CredentialRefusals(ctx.get(TOKENS.UnitOfWork), ctx.get(GIT_PROVIDER_REPOSITORY)));
      return connector;
    })
    .inSingletonScope();
  bind(OAUTH_FLOWS)
    .toDynamicValue(
      (ctx) =>
        new OAuthFlows(
          ctx.get(TOKENS.UnitOfWork),
          ctx.get(GIT_PROVIDER_REPOSITORY),
          ctx.get(FORGE_CONNECTOR),
          ctx.get(STATE_TOKENS),
          ctx.get(MEMBER_DIRECTORY),
        ),
    )
    .inSingletonScope();
  bind(GITHUB_FLOWS)
    .toDynamicValue(
      (ctx) =>
        new GitHubAppFlows(
          ctx.get(TOKENS.UnitOfWork),
          ctx.get(GIT_PROVIDER_REPOSITORY),
          ctx.get(FORGE_CONNECTOR),
          ctx.get(STATE_TOKENS),
          ctx.get(TOKENS.PublicUrls),
          ctx.get(FORGE_URL_POLICY),
          ctx.get(MEMBER_DIRECTORY),
        ),
    )
    .inSingletonScope();
  bind(GITHUB_APP_LOOKUP)
    .toDynamicValue((ctx) => {
      const logger = ctx.get<Logger>(TOKENS.Logger);
      return new GitHubAppDirectory(
        ctx.get(TOKENS.UrlGuard),
        (detail) => logger.info({ detail }, 'could not read the GitHub App (no installUrl yet)'),
        ctx.get<Partial<ConnectorOptions>>(TOKENS.ForgeOptions).timeoutMs ?? 3_000,
      );
    })
    .inSingletonScope();
  bind<RepositoryListCache>(REPOSITORY_LIST_CACHE)
    .toDynamicValue(
      (ctx) =>
        new InProcessRepositoryListCache(ctx.get(TOKENS.Knex), {
          maxAgeMs: ctx.get<{ listingMaxAgeMs?: number }>(TOKENS.ForgeOptions).listingMaxAgeMs,
        }),
    )
    .inSingletonScope();
  bind(REPOSITORY_LISTINGS)
    .toDynamicValue((ctx) => ctx.get(REPOSITORY_LIST_CACHE))
    .inSingletonScope();
  bind(APP_INSTALLATIONS)
    .toDynamicValue((ctx) => new RecordInstallationHandler(ctx.get(TOKENS.UnitOfWork), ctx.get(GIT_PROVIDER_REPOSITORY)))
    .inSingletonScope();
  bind(PROVIDER_QUERIES)
    .toDynamicValue((ctx) => {
      const github = ctx.get<GitHubAppFlows>(GITHUB_FLOWS);
      return new ProviderQueries(ctx.get(TOKENS.ReadDatabase), ctx.get(TOKENS.PublicUrls), {
        installUrl: (appHtmlUrl, providerId, userId, organizationId) => github.installUrl(appHtmlUrl, providerId, userId, organizationId),
      });
    })
    .inSingletonScope();
  bind(TOKENS.Routes)
    .toDynamicValue((ctx) => {
      const uow = ctx.get(TOKENS.UnitOfWork) as MikroOrmUnitOfWork;
      const providers = ctx.get<GitProviderRepository>(GIT_PROVIDER_REPOSITORY);
      const policy = ctx.get<ForgeUrlPolicy>(FORGE_URL_POLICY);
      return new ProviderRoutes({
        create: new CreateProviderHandler(uow, providers, policy, ctx.get(GITHUB_APP_LOOKUP)),
        update: new UpdateProviderHandler(uow, providers, policy, ctx.get(GITHUB_APP_LOOKUP)),
        sharing: new ChangeSharingHandler(uow, providers),
        remove: new RemoveProviderHandler(uow, providers, ctx.get(SERVICE_SOURCE_REPOSITORY), ctx.get(REGISTERED_HOOKS)),
        queries: ctx.get(PROVIDER_QUERIES),
        forge: new ForgeQueries(uow, providers, ctx.get(FORGE_CONNECTOR), ctx.get(REPOSITORY_LIST_CACHE)),
        oauth: ctx.get(OAUTH_FLOWS),
        github: ctx.get(GITHUB_FLOWS),
        urls: ctx.get(TOKENS.PublicUrls),
      });
    })
    .inSingletonScope();
  bind(TOKENS.Routes)
    .toDynamicValue(
      (ctx) => new CallbackRoutes(ctx.get(OAUTH_FLOWS), ctx.get(GITHUB_FLOWS), ctx.get(TOKENS.PublicUrls), ctx.get(TOKENS.Logger)),
    )
    .inSingletonScope();
});
