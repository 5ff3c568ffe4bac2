import { ContainerModule } from 'inversify';
import { TOKENS } from '../../platform/tokens.js';
import { generateApiKey, hashApiKey } from '../../platform/crypto/api-keys.js';
import { csrfTokenFor, generateSessionId, hashSessionId } from '../../platform/crypto/session-ids.js';
import { type MikroOrmUnitOfWork } from '../../platform/database/unit-of-work.js';
import { IdentityService } from './application/identity-service.js';
import { SessionService, SESSION_REPOSITORY, type SessionRepository } from './application/session-service.js';
import { IDENTITY_REPOSITORY, type IdentityRepository } from './application/identity-repository.js';
import { MikroOrmIdentityRepository } from './infrastructure/persistence/mikro-orm-identity.repository.js';
import { MikroOrmSessionRepository } from './infrastructure/persistence/mikro-orm-session.repository.js';
import { IdentityRoutes } from './http/identity-routes.js';
import { OAUTH_REDIRECT_URIS, SessionRoutes } from './http/session-routes.js';

export const IDENTITY_SERVICE = Symbol.for('IdentityService');
export const SESSION_SERVICE = Symbol.for('SessionService');

const apiKeys = { generate: generateApiKey, hash: hashApiKey };

export const identityModule = new ContainerModule(({ bind }) => {
  bind<IdentityRepository>(IDENTITY_REPOSITORY)
    .toDynamicValue((ctx) => new MikroOrmIdentityRepository(ctx.get<MikroOrmUnitOfWork>(TOKENS.UnitOfWork)))
    .inSingletonScope();
  bind<SessionRepository>(SESSION_REPOSITORY)
    .toDynamicValue((ctx) => new MikroOrmSessionRepository(ctx.get<MikroOrmUnitOfWork>(TOKENS.UnitOfWork)))
    .inSingletonScope();
  bind(IDENTITY_SERVICE)
    .toDynamicValue((ctx) => new IdentityService(ctx.get(TOKENS.UnitOfWork), ctx.get(IDENTITY_REPOSITORY), apiKeys))
    .inSingletonScope();
  bind(SESSION_SERVICE)
    .toDynamicValue(
      (ctx) =>
        new SessionService(ctx.get(TOKENS.UnitOfWork), ctx.get(IDENTITY_REPOSITORY), ctx.get(SESSION_REPOSITORY), apiKeys, {
          generate: generateSessionId,
          hash: hashSessionId,
          csrfToken: csrfTokenFor,
        }),
    )
    .inSingletonScope();
  bind(TOKENS.Routes)
    .toDynamicValue((ctx) => new IdentityRoutes(ctx.get(IDENTITY_SERVICE)))
    .inSingletonScope();
  bind(TOKENS.Routes)
    .toDynamicValue((ctx) => new SessionRoutes(ctx.get(SESSION_SERVICE), ctx.get(TOKENS.PublicUrls), ctx.get(OAUTH_REDIRECT_URIS)))
    .inSingletonScope();
});
