import { containerModule } from '../../platform/container.js';
import { TOKENS } from '../../platform/tokens.js';
import { GIT_PROVIDERS } from '../git-providers/tokens.js';
import { EventSubscriptions } from './application/event-subscriptions.js';
import { SqlSubscriptionStore } from './infrastructure/sql-subscription-store.js';
import { standardWebhookSecrets } from './infrastructure/standard-webhooks.js';
import { SubscriptionRoutes } from './http/subscription-routes.js';
import { EVENT_SUBSCRIPTIONS } from './tokens.js';

export const eventSubscriptionsModule = containerModule((bind) => {
  bind.singleton(
    EVENT_SUBSCRIPTIONS.Subscriptions,
    (r) =>
      new EventSubscriptions(
        new SqlSubscriptionStore(r.get(TOKENS.Knex), r.get(TOKENS.Cipher)),
        r.get(GIT_PROVIDERS.UrlPolicy),
        standardWebhookSecrets,
      ),
  );
  bind.singleton(TOKENS.Routes, (r) => new SubscriptionRoutes(r.get(EVENT_SUBSCRIPTIONS.Subscriptions)));
});
