import { containerModule } from '../../platform/container.js';
import { TOKENS } from '../../platform/tokens.js';
import { GIT_PROVIDERS } from '../git-providers/tokens.js';
import { SERVICE_SOURCES } from '../service-sources/tokens.js';
import { ReceiveWebhookHandler } from './application/commands/receive-webhook/receive-webhook.js';
import { DeliveryQueries } from './application/queries/delivery-list.js';
import { RepositoryHooks } from './infrastructure/repository-hooks.js';
import { SqlDeliveryStore } from './infrastructure/sql-delivery-store.js';
import { ForgeChangedFiles } from './infrastructure/forge-changed-files.js';
import { ForgeCommitLookup } from './infrastructure/forge-commit-lookup.js';
import { DeliveryRoutes, WebhookRoutes } from './http/webhook-routes.js';
import { WEBHOOKS } from './tokens.js';

export const webhooksModule = containerModule((bind) => {
  bind.singleton(
    WEBHOOKS.RepositoryHooks,
    (r) =>
      new RepositoryHooks(
        r.get(TOKENS.Knex),
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.ForgeConnector),
        r.get(TOKENS.Cipher),
        r.get(TOKENS.PublicUrls),
        r.get(TOKENS.Logger),
      ),
  );
  bind.singleton(GIT_PROVIDERS.RegisteredHooks, (r) => r.get(WEBHOOKS.RepositoryHooks));
  bind.singleton(WEBHOOKS.RepositoryListings, (r) => r.get(GIT_PROVIDERS.RepositoryListCache));
  bind.singleton(SERVICE_SOURCES.WebhookRegistrar, (r) => r.get(WEBHOOKS.RepositoryHooks));
  bind.singleton(
    WEBHOOKS.DeliveryStore,
    (r) =>
      new SqlDeliveryStore(
        r.get(TOKENS.PreparedStatements),
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(WEBHOOKS.RepositoryHooks),
        (type) => r.get(WEBHOOKS.WebhookForges).signedByProvider(type),
      ),
  );
  bind.singleton(
    WEBHOOKS.ChangedFiles,
    (r) =>
      new ForgeChangedFiles(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.ForgeConnector),
        r.get(TOKENS.Logger),
      ),
  );
  bind.singleton(
    WEBHOOKS.CommitLookup,
    (r) =>
      new ForgeCommitLookup(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.ForgeConnector),
        r.get(TOKENS.Logger),
      ),
  );
  bind.singleton(
    WEBHOOKS.ReceiveWebhook,
    (r) =>
      new ReceiveWebhookHandler(
        r.get(WEBHOOKS.DeliveryStore),
        r.get(WEBHOOKS.WebhookForges).forges,
        r.get(WEBHOOKS.ChangedFiles),
        r.get(WEBHOOKS.AppInstallations),
        r.get(WEBHOOKS.RepositoryListings),
        r.get(TOKENS.Metrics),
        r.get(WEBHOOKS.CommitLookup),
      ),
  );
  bind.singleton(WEBHOOKS.DeliveryQueries, (r) => new DeliveryQueries(r.get(TOKENS.ReadDatabase)));
  bind.singleton(TOKENS.Routes, (r) => new WebhookRoutes(r.get(WEBHOOKS.ReceiveWebhook), r.get(TOKENS.Logger)));
  bind.singleton(TOKENS.Routes, (r) => new DeliveryRoutes(r.get(WEBHOOKS.DeliveryQueries), r.get(GIT_PROVIDERS.ProviderQueries)));
});
