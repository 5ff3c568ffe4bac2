import { token } from '../../platform/container.js';
import { type IdentityRepository } from './application/identity-repository.js';
import { type IdentityService } from './application/identity-service.js';
import { type SessionRepository, type SessionService } from './application/session-service.js';
import { type OAuthRedirectUris } from './http/session-routes.js';

/** The identity module's container identifiers (ADR 0010). */
export const IDENTITY = {
  IdentityRepository: token<IdentityRepository>('IdentityRepository'),
  SessionRepository: token<SessionRepository>('SessionRepository'),
  IdentityService: token<IdentityService>('IdentityService'),
  SessionService: token<SessionService>('SessionService'),
  /** The OAuth forges' redirect URIs, from the forge plug-ins. */
  OAuthRedirectUris: token<OAuthRedirectUris>('OAuthRedirectUris'),
} as const;
