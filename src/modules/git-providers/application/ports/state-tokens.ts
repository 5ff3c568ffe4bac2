import { type Failure } from '../../../../shared/failure.js';
import { type Result } from '../../../../shared/result.js';

/** What a state was issued for: an OAuth forge's type, or a forge's own flow (`github-install`). */
export type StatePurpose = string;

export interface StateClaims {
  readonly purpose: StatePurpose;
  readonly providerId: string;
  readonly userId: string;
  readonly organizationId: string;
}

/** OAuth/GitHub `state`: signed, single-use, 10-minute expiry, bound to provider and user. */
export interface StateTokens {
  issue(claims: StateClaims): string;
  /** Verifies signature, expiry and purpose, then burns it. Any failure is INVALID_STATE. */
  consume(token: string, purpose: StatePurpose): Promise<Result<StateClaims, Failure>>;
}
