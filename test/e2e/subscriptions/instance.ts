/**
 * One forgelink instance as a child process, with the test's short subscription lease (FAST), so a test can
 * SIGKILL it mid-stream — a real crash: no shutdown hook runs, the lease is left behind to expire.
 * Run: node --import tsx test/e2e/subscriptions/instance.ts (DATABASE_URL, FORGELINK_MASTER_KEY, FORGE_URL_ALLOWLIST).
 */
import 'reflect-metadata';
import { loadConfig } from '../../../src/config.js';
import { createApplication } from '../../../src/app.js';
import { createLogger } from '../../../src/platform/logging/logger.js';
import { FAST } from './options.js';

const config = loadConfig();
await createApplication(config, { logger: createLogger('warn'), subscriptions: FAST, relay: { pollIntervalMs: 50 }, poolMax: 3 });
process.stdout.write('ready\n');
