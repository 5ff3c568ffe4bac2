import { Migration20261125000000_initial } from './Migration20261125000000_initial.js';
import { Migration20261130160000_event_subscriptions } from './Migration20261130160000_event_subscriptions.js';

/** Listed explicitly so migrations run the same under node, tsx and vitest (no file discovery). */
export const migrationsList = [
  { name: 'Migration20261125000000_initial', class: Migration20261125000000_initial },
  { name: 'Migration20261130160000_event_subscriptions', class: Migration20261130160000_event_subscriptions },
];
