import { ContainerModule } from 'inversify';
import { TOKENS } from '../../platform/tokens.js';
import { type MikroOrmUnitOfWork } from '../../platform/database/unit-of-work.js';
import { PROVIDER_KINDS, type ProviderKinds } from './domain/git-provider.js';
import { GIT_PROVIDER_REPOSITORY, type GitProviderRepository } from './domain/git-provider-repository.js';
import { FORGE_CONNECTOR } from './application/ports/forge-connector.js';
import { FORGE_CATALOG, type ForgeCatalog } from './application/ports/forge-catalog.js';
import { FORGE_URL_POLICY, type ForgeUrlPolicy } from './application/ports/forge-url-policy.js';
import { PROVIDER_AUTHORIZATION } from './application/ports/provider-authorization.js';
import { STATE_TOKENS, type StateTokens } from './application/ports/state-tokens.js';
import { CreateProviderHandler } from './application/commands/create-provider/create-provider.js';
import { UpdateProviderHandler } from './application/commands/update-provider/update-provider.js';
import { ChangeSharingHandler } from './application/commands/change-sharing/change-sharing.js';
import { RemoveProviderHandler } from './application/commands/remove-provider/remove-provider.js';
import { ProviderQueries } from './application/queries/provider-summary.js';
import { ForgeQueries } from './application/queries/forge-queries.js';
import { MikroOrmGitProviderRepository } from './infrastructure/persistence/mikro-orm-git-provider.repository.js';
import { HmacStateTokens } from './infrastructure/hmac-state-tokens.js';
import { ProviderRoutes } from './http/provider-routes.js';
import { CallbackRoutes, FORGE_CALLBACKS } from './http/callback-routes.js';
import { PROVIDER_FORMS } from './http/provider-forms.js';
import { SERVICE_SOURCE_REPOSITORY } from '../service-sources/domain/service-source-repository.js';
import { REGISTERED_HOOKS } from '../webhooks/module.js';
import { REPOSITORY_LISTINGS } from '../webhooks/application/ports/repository-listings.js';
import { REPOSITORY_LIST_CACHE, type RepositoryListCache } from './application/ports/repository-list-cache.js';
import { InProcessRepositoryListCache } from './infrastructure/repository-list-cache.js';
import { MEMBER_DIRECTORY, type MemberDirectory } from './application/ports/members.js';
import { IDENTITY_SERVICE } from '../identity/module.js';
import { type IdentityService } from '../identity/application/identity-service.js';

export const PROVIDER_QUERIES = Symbol.for('ProviderQueries');

/**
 * The git-providers module. Its forge ports (ProviderKinds, ForgeConnector, ForgeCatalog, ProviderForms,
 * ProviderAuthorization, the forges' callbacks) are bound by the forge plug-ins' module (src/forges/module.ts).
 */
export const gitProvidersModule = new ContainerModule(({ bind }) => {
  bind<MemberDirectory>(MEMBER_DIRECTORY)
    .toDynamicValue((ctx) => {
      const identity = ctx.get<IdentityService>(IDENTITY_SERVICE);
      return { actorOf: (organizationId, userId) => identity.actorOf(organizationId, userId) };
    })
    .inSingletonScope();
  bind<GitProviderRepository>(GIT_PROVIDER_REPOSITORY)
    .toDynamicValue(
      (ctx) => new MikroOrmGitProviderRepository(ctx.get<MikroOrmUnitOfWork>(TOKENS.UnitOfWork), ctx.get<ProviderKinds>(PROVIDER_KINDS)),
    )
    .inSingletonScope();
  bind(FORGE_URL_POLICY)
    .toDynamicValue((ctx) => ctx.get(TOKENS.UrlGuard))
    .inSingletonScope();
  bind<StateTokens>(STATE_TOKENS)
    .toDynamicValue((ctx) => new HmacStateTokens(ctx.get<string>(TOKENS.MasterKey), ctx.get(TOKENS.ReadDatabase)))
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
  bind(PROVIDER_QUERIES)
    .toDynamicValue((ctx) => new ProviderQueries(ctx.get(TOKENS.ReadDatabase), ctx.get<ForgeCatalog>(FORGE_CATALOG)))
    .inSingletonScope();
  bind(TOKENS.Routes)
    .toDynamicValue((ctx) => {
      const uow = ctx.get(TOKENS.UnitOfWork) as MikroOrmUnitOfWork;
      const providers = ctx.get<GitProviderRepository>(GIT_PROVIDER_REPOSITORY);
      const policy = ctx.get<ForgeUrlPolicy>(FORGE_URL_POLICY);
      const forges = ctx.get<ForgeCatalog>(FORGE_CATALOG);
      return new ProviderRoutes({
        create: new CreateProviderHandler(uow, providers, policy, ctx.get(PROVIDER_KINDS), forges),
        update: new UpdateProviderHandler(uow, providers, policy, forges),
        sharing: new ChangeSharingHandler(uow, providers),
        remove: new RemoveProviderHandler(uow, providers, ctx.get(SERVICE_SOURCE_REPOSITORY), ctx.get(REGISTERED_HOOKS)),
        queries: ctx.get(PROVIDER_QUERIES),
        forge: new ForgeQueries(uow, providers, ctx.get(FORGE_CONNECTOR), ctx.get(REPOSITORY_LIST_CACHE), forges),
        authorization: ctx.get(PROVIDER_AUTHORIZATION),
        urls: ctx.get(TOKENS.PublicUrls),
        forms: ctx.get(PROVIDER_FORMS),
      });
    })
    .inSingletonScope();
  bind(TOKENS.Routes)
    .toDynamicValue((ctx) => new CallbackRoutes(ctx.get(FORGE_CALLBACKS), ctx.get(TOKENS.PublicUrls), ctx.get(TOKENS.Logger)))
    .inSingletonScope();
});
