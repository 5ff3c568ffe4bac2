import { ContainerModule } from 'inversify';
import { TOKENS } from '../../platform/tokens.js';
import { PreparedStatements } from '../../platform/database/prepared-statements.js';
import { GIT_PROVIDER_REPOSITORY } from '../git-providers/domain/git-provider-repository.js';
import { FORGE_CONNECTOR } from '../git-providers/application/ports/forge-connector.js';
import { WEBHOOK_REGISTRAR } from '../service-sources/application/ports/source-forge.js';
import { ReceiveWebhookHandler } from './application/commands/receive-webhook/receive-webhook.js';
import { APP_INSTALLATIONS } from './application/ports/app-installations.js';
import { WEBHOOK_FORGES, type WebhookForges } from './application/ports/webhook-forge.js';
import { REPOSITORY_LISTINGS } from './application/ports/repository-listings.js';
import { DeliveryQueries } from './application/queries/delivery-list.js';
import { RepositoryHooks } from './infrastructure/repository-hooks.js';
import { SqlDeliveryStore } from './infrastructure/sql-delivery-store.js';
import { ForgeChangedFiles } from './infrastructure/forge-changed-files.js';
import { DeliveryRoutes, WebhookRoutes } from './http/webhook-routes.js';

export const REGISTERED_HOOKS = Symbol.for('RegisteredHooks');
const REPOSITORY_HOOKS = Symbol.for('RepositoryHooks');

export const webhooksModule = new ContainerModule(({ bind }) => {
  bind(REPOSITORY_HOOKS)
    .toDynamicValue(
      (ctx) =>
        new RepositoryHooks(
          ctx.get(TOKENS.Knex),
          ctx.get(TOKENS.UnitOfWork),
          ctx.get(GIT_PROVIDER_REPOSITORY),
          ctx.get(FORGE_CONNECTOR),
          ctx.get(TOKENS.Cipher),
          ctx.get(TOKENS.PublicUrls),
          ctx.get(TOKENS.Logger),
        ),
    )
    .inSingletonScope();
  bind(REGISTERED_HOOKS)
    .toDynamicValue((ctx) => ctx.get(REPOSITORY_HOOKS))
    .inSingletonScope();
  bind(WEBHOOK_REGISTRAR)
    .toDynamicValue((ctx) => ctx.get(REPOSITORY_HOOKS))
    .inSingletonScope();
  bind(TOKENS.Routes)
    .toDynamicValue((ctx) => {
      const forges = ctx.get<WebhookForges>(WEBHOOK_FORGES);
      const store = new SqlDeliveryStore(
        new PreparedStatements(ctx.get(TOKENS.Knex)),
        ctx.get(TOKENS.UnitOfWork),
        ctx.get(GIT_PROVIDER_REPOSITORY),
        ctx.get(REPOSITORY_HOOKS),
        (type) => forges.signedByProvider(type),
      );
      const files = new ForgeChangedFiles(
        ctx.get(TOKENS.UnitOfWork),
        ctx.get(GIT_PROVIDER_REPOSITORY),
        ctx.get(FORGE_CONNECTOR),
        ctx.get(TOKENS.Logger),
      );
      return new WebhookRoutes(
        new ReceiveWebhookHandler(
          store,
          forges.forges,
          files,
          ctx.get(APP_INSTALLATIONS),
          ctx.get(REPOSITORY_LISTINGS),
          ctx.get(TOKENS.Metrics),
        ),
        ctx.get(TOKENS.Logger),
      );
    })
    .inSingletonScope();
  bind(TOKENS.Routes)
    .toDynamicValue((ctx) => new DeliveryRoutes(new DeliveryQueries(ctx.get(TOKENS.ReadDatabase)), ctx.get(Symbol.for('ProviderQueries'))))
    .inSingletonScope();
});
