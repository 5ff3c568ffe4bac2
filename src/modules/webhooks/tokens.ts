import { token } from '../../platform/container.js';
import { type AppInstallations } from './application/ports/app-installations.js';
import { type ChangedFilesLookup } from './application/ports/changed-files.js';
import { type CommitLookup } from './application/ports/commit-lookup.js';
import { type WebhookForges } from './application/ports/webhook-forge.js';
import { type DeliveryStore } from './application/ports/deliveries.js';
import { type RepositoryListings } from './application/ports/repository-listings.js';
import { type ReceiveWebhookHandler } from './application/commands/receive-webhook/receive-webhook.js';
import { type DeliveryQueries } from './application/queries/delivery-list.js';
import { type RepositoryHooks } from './infrastructure/repository-hooks.js';

/** The webhooks module's container identifiers (ADR 0010). */
export const WEBHOOKS = {
  RepositoryHooks: token<RepositoryHooks>('RepositoryHooks'),
  /** Implemented by the forge plug-ins (a GitHub App's installations). */
  AppInstallations: token<AppInstallations>('AppInstallations'),
  /** Each provider type's verifier and parser, from the forge plug-ins. */
  WebhookForges: token<WebhookForges>('WebhookForges'),
  /** The git-providers module's repository list cache. */
  RepositoryListings: token<RepositoryListings>('RepositoryListings'),
  DeliveryStore: token<DeliveryStore>('DeliveryStore'),
  ChangedFiles: token<ChangedFilesLookup>('ChangedFilesLookup'),
  CommitLookup: token<CommitLookup>('CommitLookup'),
  ReceiveWebhook: token<ReceiveWebhookHandler>('ReceiveWebhookHandler'),
  DeliveryQueries: token<DeliveryQueries>('DeliveryQueries'),
} as const;
