import { type Actor, isOwnerOrAdmin } from '../../identity/domain/actor.js';

/** Every event type forgelink emits (API-CONTRACT.md, "Events"); a subscription filters on these. */
export const EVENT_TYPES = [
  'deployment.requested',
  'preview.requested',
  'preview.closed',
  'service-source.connected',
  'service-source.disconnected',
  'git-provider.created',
  'git-provider.updated',
  'git-provider.shared',
  'git-provider.unshared',
  'git-provider.removed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Subscriptions send the organisation's events to an address outside forgelink: owners and admins only. */
export const mayManageSubscriptions = (actor: Actor): boolean => isOwnerOrAdmin(actor);

/**
 * The types a subscription receives: `null` means every type, including types added in later versions.
 * Duplicates collapse; the order follows EVENT_TYPES so equal filters read the same.
 */
export function normaliseTypes(types: readonly EventType[] | undefined): EventType[] | null {
  if (types === undefined) return null;
  const wanted = new Set(types);
  return EVENT_TYPES.filter((t) => wanted.has(t));
}
