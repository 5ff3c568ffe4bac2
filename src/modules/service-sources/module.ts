import { ContainerModule } from 'inversify';
import { TOKENS } from '../../platform/tokens.js';
import { type MikroOrmUnitOfWork } from '../../platform/database/unit-of-work.js';
import { GIT_PROVIDER_REPOSITORY } from '../git-providers/domain/git-provider-repository.js';
import { FORGE_CONNECTOR } from '../git-providers/application/ports/forge-connector.js';
import { SERVICE_SOURCE_REPOSITORY, type ServiceSourceRepository } from './domain/service-source-repository.js';
import { SOURCE_FORGE, WEBHOOK_REGISTRAR } from './application/ports/source-forge.js';
import { ConnectSourceHandler } from './application/commands/connect-source/connect-source.js';
import { DisconnectSourceHandler } from './application/commands/disconnect-source/disconnect-source.js';
import { ReportStatusHandler } from './application/commands/report-status/report-status.js';
import { SourceQueries } from './application/queries/source-view.js';
import { MikroOrmServiceSourceRepository } from './infrastructure/persistence/mikro-orm-service-source.repository.js';
import { ForgeSourceChecks } from './infrastructure/forge-source-checks.js';
import { ForgeHookHealth } from './infrastructure/forge-hook-health.js';
import { SourceRoutes } from './http/source-routes.js';

export const serviceSourcesModule = new ContainerModule(({ bind }) => {
  bind<ServiceSourceRepository>(SERVICE_SOURCE_REPOSITORY)
    .toDynamicValue((ctx) => new MikroOrmServiceSourceRepository(ctx.get<MikroOrmUnitOfWork>(TOKENS.UnitOfWork)))
    .inSingletonScope();
  bind(SOURCE_FORGE)
    .toDynamicValue((ctx) => new ForgeSourceChecks(ctx.get(FORGE_CONNECTOR)))
    .inSingletonScope();
  bind(TOKENS.Routes)
    .toDynamicValue((ctx) => {
      const uow = ctx.get<MikroOrmUnitOfWork>(TOKENS.UnitOfWork);
      const sources = ctx.get<ServiceSourceRepository>(SERVICE_SOURCE_REPOSITORY);
      return new SourceRoutes({
        connect: new ConnectSourceHandler(
          uow,
          ctx.get(GIT_PROVIDER_REPOSITORY),
          sources,
          ctx.get(SOURCE_FORGE),
          ctx.get(WEBHOOK_REGISTRAR),
        ),
        disconnect: new DisconnectSourceHandler(uow, sources, ctx.get(GIT_PROVIDER_REPOSITORY), ctx.get(WEBHOOK_REGISTRAR)),
        status: new ReportStatusHandler(uow, sources, ctx.get(GIT_PROVIDER_REPOSITORY)),
        queries: new SourceQueries(ctx.get(TOKENS.ReadDatabase)),
        hookHealth: new ForgeHookHealth(uow, ctx.get(GIT_PROVIDER_REPOSITORY), ctx.get(FORGE_CONNECTOR), ctx.get(TOKENS.Logger)),
      });
    })
    .inSingletonScope();
});
