import { containerModule } from '../../platform/container.js';
import { TOKENS } from '../../platform/tokens.js';
import { CreateProviderHandler } from './application/commands/create-provider/create-provider.js';
import { UpdateProviderHandler } from './application/commands/update-provider/update-provider.js';
import { ChangeSharingHandler } from './application/commands/change-sharing/change-sharing.js';
import { RemoveProviderHandler } from './application/commands/remove-provider/remove-provider.js';
import { ProviderQueries } from './application/queries/provider-summary.js';
import { ForgeQueries } from './application/queries/forge-queries.js';
import { MikroOrmGitProviderRepository } from './infrastructure/persistence/mikro-orm-git-provider.repository.js';
import { HmacStateTokens } from './infrastructure/hmac-state-tokens.js';
import { InProcessRepositoryListCache } from './infrastructure/repository-list-cache.js';
import { ProviderRoutes } from './http/provider-routes.js';
import { CallbackRoutes } from './http/callback-routes.js';
import { IDENTITY } from '../identity/tokens.js';
import { GIT_PROVIDERS } from './tokens.js';

/**
 * The git-providers module. Its forge ports (Kinds, ForgeConnector, ForgeCatalog, ProviderForms, Authorization,
 * ForgeCallbacks) are bound by the forge plug-ins' module (src/forges/module.ts); it never names a forge.
 */
export const gitProvidersModule = containerModule((bind) => {
  bind.singleton(GIT_PROVIDERS.Members, (r) => {
    const identity = r.get(IDENTITY.IdentityService);
    return { actorOf: (organizationId, userId) => identity.actorOf(organizationId, userId) };
  });
  bind.singleton(GIT_PROVIDERS.Repository, (r) => new MikroOrmGitProviderRepository(r.get(TOKENS.UnitOfWork), r.get(GIT_PROVIDERS.Kinds)));
  bind.singleton(GIT_PROVIDERS.StateTokens, (r) => new HmacStateTokens(r.get(TOKENS.MasterKey), r.get(TOKENS.ReadDatabase)));
  bind.singleton(
    GIT_PROVIDERS.RepositoryListCache,
    (r) => new InProcessRepositoryListCache(r.get(TOKENS.Knex), { maxAgeMs: r.get(TOKENS.ForgeOptions).listingMaxAgeMs }),
  );

  bind.singleton(
    GIT_PROVIDERS.CreateProvider,
    (r) =>
      new CreateProviderHandler(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.UrlPolicy),
        r.get(GIT_PROVIDERS.Kinds),
        r.get(GIT_PROVIDERS.ForgeCatalog),
      ),
  );
  bind.singleton(
    GIT_PROVIDERS.UpdateProvider,
    (r) =>
      new UpdateProviderHandler(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.UrlPolicy),
        r.get(GIT_PROVIDERS.ForgeCatalog),
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
  bind.singleton(GIT_PROVIDERS.ProviderQueries, (r) => new ProviderQueries(r.get(TOKENS.ReadDatabase), r.get(GIT_PROVIDERS.ForgeCatalog)));
  bind.singleton(
    GIT_PROVIDERS.ForgeQueries,
    (r) =>
      new ForgeQueries(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.ForgeConnector),
        r.get(GIT_PROVIDERS.RepositoryListCache),
        r.get(GIT_PROVIDERS.ForgeCatalog),
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
        authorization: r.get(GIT_PROVIDERS.Authorization),
        urls: r.get(TOKENS.PublicUrls),
        forms: r.get(GIT_PROVIDERS.ProviderForms),
      }),
  );
  bind.singleton(
    TOKENS.Routes,
    (r) => new CallbackRoutes(r.get(GIT_PROVIDERS.ForgeCallbacks), r.get(TOKENS.PublicUrls), r.get(TOKENS.Logger)),
  );
});
