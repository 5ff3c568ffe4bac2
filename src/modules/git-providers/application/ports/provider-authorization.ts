import { type Failure } from '../../../../shared/failure.js';
import { type Result } from '../../../../shared/result.js';
import { type Actor } from '../../../identity/domain/actor.js';

/** Where to send the browser to (re-)authorise a provider on its forge: the OAuth forges' consent page with a signed state. */
export interface ProviderAuthorization {
  /** NOT_FOUND when the caller cannot see it, CONFLICT when its forge has no such authorisation, UNAUTHORIZED for a member who may only see it. */
  authorizeUrlFor(actor: Actor, providerId: string): Promise<Result<string, Failure>>;
}
