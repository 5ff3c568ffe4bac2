import { ContainerModule } from 'inversify';
import { TOKENS } from '../../platform/tokens.js';
import { EventSubscriptions } from './application/event-subscriptions.js';
import { SqlSubscriptionStore } from './infrastructure/sql-subscription-store.js';
import { standardWebhookSecrets } from './infrastructure/standard-webhooks.js';
import { SubscriptionRoutes } from './http/subscription-routes.js';

export const EVENT_SUBSCRIPTIONS = Symbol.for('EventSubscriptions');

export const eventSubscriptionsModule = new ContainerModule(({ bind }) => {
  bind(EVENT_SUBSCRIPTIONS)
    .toDynamicValue(
      (ctx) =>
        new EventSubscriptions(
          new SqlSubscriptionStore(ctx.get(TOKENS.Knex), ctx.get(TOKENS.Cipher)),
          ctx.get(TOKENS.UrlGuard),
          standardWebhookSecrets,
        ),
    )
    .inSingletonScope();
  bind(TOKENS.Routes)
    .toDynamicValue((ctx) => new SubscriptionRoutes(ctx.get(EVENT_SUBSCRIPTIONS)))
    .inSingletonScope();
});
