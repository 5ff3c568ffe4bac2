import { type WebhookForge } from '../modules/webhooks/application/ports/webhook-forge.js';
import { forgePlugins } from './registry.js';

/** Verification and parsing per provider type (the webhook hot path looks its forge up here once per delivery). */
export const webhookForges: Readonly<Record<string, WebhookForge>> = Object.fromEntries(
  forgePlugins.map((plugin) => [plugin.name.type, plugin.webhooks]),
);

/** Provider types whose deliveries are signed with the provider's own webhook secret (an app-level hook, GitHub Apps). */
export const providerSignedTypes: ReadonlySet<string> = new Set(
  forgePlugins.filter((plugin) => plugin.hooks !== 'repository').map((plugin) => plugin.name.type),
);
