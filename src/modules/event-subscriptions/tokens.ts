import { token } from '../../platform/container.js';
import { type EventSubscriptions } from './application/event-subscriptions.js';

/** The event-subscriptions module's container identifiers (ADR 0010). */
export const EVENT_SUBSCRIPTIONS = {
  Subscriptions: token<EventSubscriptions>('EventSubscriptions'),
} as const;
