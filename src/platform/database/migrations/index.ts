import { Migration20261125000000_initial } from './Migration20261125000000_initial.js';
import { Migration20261130100000_service_source_per_organisation } from './Migration20261130100000_service_source_per_organisation.js';
import { Migration20261130100100_delivery_body_hash } from './Migration20261130100100_delivery_body_hash.js';
import { Migration20261130110000_repository_identity } from './Migration20261130110000_repository_identity.js';
import { Migration20261130120000_key_check } from './Migration20261130120000_key_check.js';
import { Migration20261130130000_repository_listing } from './Migration20261130130000_repository_listing.js';
import { Migration20261130140000_console_sessions } from './Migration20261130140000_console_sessions.js';
import { Migration20261130160000_event_subscriptions } from './Migration20261130160000_event_subscriptions.js';
import { Migration20261201100000_bitbucket_datacenter } from './Migration20261201100000_bitbucket_datacenter.js';
import { Migration20261201300000_previews_and_hook_health } from './Migration20261201300000_previews_and_hook_health.js';
import { Migration20261202100000_commit_statuses } from './Migration20261202100000_commit_statuses.js';
import { Migration20261203100000_body_hash_index_order } from './Migration20261203100000_body_hash_index_order.js';

/** Listed explicitly so migrations run the same under node, tsx and vitest (no file discovery). */
export const migrationsList = [
  { name: 'Migration20261125000000_initial', class: Migration20261125000000_initial },
  { name: 'Migration20261130100000_service_source_per_organisation', class: Migration20261130100000_service_source_per_organisation },
  { name: 'Migration20261130100100_delivery_body_hash', class: Migration20261130100100_delivery_body_hash },
  { name: 'Migration20261130110000_repository_identity', class: Migration20261130110000_repository_identity },
  { name: 'Migration20261130120000_key_check', class: Migration20261130120000_key_check },
  { name: 'Migration20261130130000_repository_listing', class: Migration20261130130000_repository_listing },
  { name: 'Migration20261130140000_console_sessions', class: Migration20261130140000_console_sessions },
  { name: 'Migration20261130160000_event_subscriptions', class: Migration20261130160000_event_subscriptions },
  { name: 'Migration20261201100000_bitbucket_datacenter', class: Migration20261201100000_bitbucket_datacenter },
  { name: 'Migration20261201300000_previews_and_hook_health', class: Migration20261201300000_previews_and_hook_health },
  { name: 'Migration20261202100000_commit_statuses', class: Migration20261202100000_commit_statuses },
  { name: 'Migration20261203100000_body_hash_index_order', class: Migration20261203100000_body_hash_index_order },
];
