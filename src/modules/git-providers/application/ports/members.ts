import { type Actor } from '../../../identity/domain/actor.js';

/**
 * The current role of a member named by a signed state (callbacks carry no API key): a callback acts with the
 * rights its user has now, not the ones they had when the state was issued.
 */
export interface MemberDirectory {
  /** null when the user is no longer a member of the organisation. */
  actorOf(organizationId: string, userId: string): Promise<Actor | null>;
}
