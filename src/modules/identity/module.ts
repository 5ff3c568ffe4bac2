import { containerModule } from '../../platform/container.js';
import { TOKENS } from '../../platform/tokens.js';
import { generateApiKey, hashApiKey } from '../../platform/crypto/api-keys.js';
import { csrfTokenFor, generateSessionId, hashSessionId } from '../../platform/crypto/session-ids.js';
import { IdentityService } from './application/identity-service.js';
import { SessionService } from './application/session-service.js';
import { MikroOrmIdentityRepository } from './infrastructure/persistence/mikro-orm-identity.repository.js';
import { MikroOrmSessionRepository } from './infrastructure/persistence/mikro-orm-session.repository.js';
import { IdentityRoutes } from './http/identity-routes.js';
import { SessionRoutes } from './http/session-routes.js';
import { IDENTITY } from './tokens.js';

const apiKeys = { generate: generateApiKey, hash: hashApiKey };

export const identityModule = containerModule((bind) => {
  bind.singleton(IDENTITY.IdentityRepository, (r) => new MikroOrmIdentityRepository(r.get(TOKENS.UnitOfWork)));
  bind.singleton(IDENTITY.SessionRepository, (r) => new MikroOrmSessionRepository(r.get(TOKENS.UnitOfWork)));
  bind.singleton(
    IDENTITY.IdentityService,
    (r) => new IdentityService(r.get(TOKENS.UnitOfWork), r.get(IDENTITY.IdentityRepository), apiKeys),
  );
  bind.singleton(
    IDENTITY.SessionService,
    (r) =>
      new SessionService(r.get(TOKENS.UnitOfWork), r.get(IDENTITY.IdentityRepository), r.get(IDENTITY.SessionRepository), apiKeys, {
        generate: generateSessionId,
        hash: hashSessionId,
        csrfToken: csrfTokenFor,
      }),
  );
  bind.singleton(TOKENS.Routes, (r) => new IdentityRoutes(r.get(IDENTITY.IdentityService)));
  bind.singleton(
    TOKENS.Routes,
    (r) => new SessionRoutes(r.get(IDENTITY.SessionService), r.get(TOKENS.PublicUrls), r.get(IDENTITY.OAuthRedirectUris)),
  );
});
