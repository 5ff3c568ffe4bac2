import { token } from '../../platform/container.js';
import { type AppInstallations } from './application/ports/app-installations.js';
import { type ChangedFilesLookup } from './application/ports/changed-files.js';
import { type DeliveryStore } from './application/ports/deliveries.js';
import { type RepositoryListings } from './application/ports/repository-listings.js';
import { type ReceiveWebhookHandler } from './application/commands/receive-webhook/receive-webhook.js';
import { type DeliveryQueries } from './application/queries/delivery-list.js';
import { type RepositoryHooks } from './infrastructure/repository-hooks.js';

/** The webhooks module's container identifiers (ADR 0010). */
export const WEBHOOKS = {
  RepositoryHooks: token<RepositoryHooks>('RepositoryHooks'),
  /** The git-providers module's RecordInstallationHandler (GitHub App installations). */
  AppInstallations: token<AppInstallations>('AppInstallations'),
  /** The git-providers module's repository list cache. */
  RepositoryListings: token<RepositoryListings>('RepositoryListings'),
  DeliveryStore: token<DeliveryStore>('DeliveryStore'),
  ChangedFiles: token<ChangedFilesLookup>('ChangedFilesLookup'),
  ReceiveWebhook: token<ReceiveWebhookHandler>('ReceiveWebhookHandler'),
  DeliveryQueries: token<DeliveryQueries>('DeliveryQueries'),
} as const;
