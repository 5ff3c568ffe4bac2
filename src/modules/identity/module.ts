import { ContainerModule } from 'inversify';
import { TOKENS } from '../../platform/tokens.js';
import { generateApiKey, hashApiKey } from '../../platform/crypto/api-keys.js';
import { type MikroOrmUnitOfWork } from '../../platform/database/unit-of-work.js';
import { IdentityService } from './application/identity-service.js';
import { IDENTITY_REPOSITORY, type IdentityRepository } from './application/identity-repository.js';
import { MikroOrmIdentityRepository } from './infrastructure/persistence/mikro-orm-identity.repository.js';
import { IdentityRoutes } from './http/identity-routes.js';

export const IDENTITY_SERVICE = Symbol.for('IdentityService');

export const identityModule = new ContainerModule(({ bind }) => {
  bind<IdentityRepository>(IDENTITY_REPOSITORY)
    .toDynamicValue((ctx) => new MikroOrmIdentityRepository(ctx.get<MikroOrmUnitOfWork>(TOKENS.UnitOfWork)))
    .inSingletonScope();
  bind(IDENTITY_SERVICE)
    .toDynamicValue((ctx) => new IdentityService(ctx.get(TOKENS.UnitOfWork), ctx.get(IDENTITY_REPOSITORY), { generate: generateApiKey, hash: hashApiKey }))
    .inSingletonScope();
  bind(TOKENS.Routes)
    .toDynamicValue((ctx) => new IdentityRoutes(ctx.get(IDENTITY_SERVICE)))
    .inSingletonScope();
});
