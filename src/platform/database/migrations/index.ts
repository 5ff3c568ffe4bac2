import { Migration20261125000000_initial } from './Migration20261125000000_initial.js';

/** Listed explicitly so migrations run the same under node, tsx and vitest (no file discovery). */
export const migrationsList = [{ name: 'Migration20261125000000_initial', class: Migration20261125000000_initial }];
