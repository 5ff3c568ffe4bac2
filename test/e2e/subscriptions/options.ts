import { type DispatcherOptions } from '../../../src/modules/event-subscriptions/infrastructure/subscription-dispatcher.js';

/** Short enough that a test sees several retries and a lease expiry within seconds. */
export const FAST: DispatcherOptions = { pollIntervalMs: 50, retryBaseMs: 50, retryMaxMs: 400, timeoutMs: 1_000, leaseMs: 2_500 };
