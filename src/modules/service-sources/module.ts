import { containerModule } from '../../platform/container.js';
import { TOKENS } from '../../platform/tokens.js';
import { GIT_PROVIDERS } from '../git-providers/tokens.js';
import { ConnectSourceHandler } from './application/commands/connect-source/connect-source.js';
import { DisconnectSourceHandler } from './application/commands/disconnect-source/disconnect-source.js';
import { ReportStatusHandler } from './application/commands/report-status/report-status.js';
import { DisconnectProviderSources } from './application/commands/provider-removed/disconnect-provider-sources.js';
import { SourceQueries } from './application/queries/source-view.js';
import { MikroOrmServiceSourceRepository } from './infrastructure/persistence/mikro-orm-service-source.repository.js';
import { ForgeSourceChecks } from './infrastructure/forge-source-checks.js';
import { ForgeHookHealth } from './infrastructure/forge-hook-health.js';
import { SourceRoutes } from './http/source-routes.js';
import { SqlCommitStatusOutbox } from './infrastructure/sql-commit-status-outbox.js';
import { CommitStatusWorker } from './infrastructure/commit-status-worker.js';
import { SERVICE_SOURCES } from './tokens.js';
import { RequestDeploymentHandler } from './application/commands/request-deployment/request-deployment.js';
import { ForgeRefHeads } from './infrastructure/forge-ref-heads.js';
import { DeploymentRoutes } from './http/deployment-routes.js';

export const serviceSourcesModule = containerModule((bind) => {
  bind.singleton(SERVICE_SOURCES.Repository, (r) => new MikroOrmServiceSourceRepository(r.get(TOKENS.UnitOfWork)));
  bind.singleton(GIT_PROVIDERS.ConnectedSources, (r) => new DisconnectProviderSources(r.get(SERVICE_SOURCES.Repository)));
  bind.singleton(SERVICE_SOURCES.SourceForge, (r) => new ForgeSourceChecks(r.get(GIT_PROVIDERS.ForgeConnector)));
  bind.singleton(
    SERVICE_SOURCES.ConnectSource,
    (r) =>
      new ConnectSourceHandler(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(SERVICE_SOURCES.Repository),
        r.get(SERVICE_SOURCES.SourceForge),
        r.get(SERVICE_SOURCES.WebhookRegistrar),
      ),
  );
  bind.singleton(
    SERVICE_SOURCES.DisconnectSource,
    (r) =>
      new DisconnectSourceHandler(
        r.get(TOKENS.UnitOfWork),
        r.get(SERVICE_SOURCES.Repository),
        r.get(GIT_PROVIDERS.Repository),
        r.get(SERVICE_SOURCES.WebhookRegistrar),
      ),
  );
  bind.singleton(
    SERVICE_SOURCES.ReportStatus,
    (r) =>
      new ReportStatusHandler(
        r.get(TOKENS.UnitOfWork),
        r.get(SERVICE_SOURCES.Repository),
        r.get(GIT_PROVIDERS.Repository),
        r.get(SERVICE_SOURCES.CommitStatusOutbox),
      ),
  );
  bind.singleton(SERVICE_SOURCES.CommitStatusOutbox, (r) => new SqlCommitStatusOutbox(r.get(TOKENS.UnitOfWork)));
  bind.singleton(
    SERVICE_SOURCES.CommitStatusWorker,
    (r) =>
      new CommitStatusWorker(
        r.get(TOKENS.Knex),
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.ForgeConnector),
        r.get(TOKENS.PublicUrls),
        r.get(TOKENS.Logger),
        r.get(SERVICE_SOURCES.CommitStatusOptions),
        r.get(TOKENS.Metrics),
      ),
  );
  bind.singleton(SERVICE_SOURCES.SourceQueries, (r) => new SourceQueries(r.get(TOKENS.ReadDatabase)));
  bind.singleton(
    SERVICE_SOURCES.HookHealth,
    (r) =>
      new ForgeHookHealth(
        r.get(TOKENS.UnitOfWork),
        r.get(GIT_PROVIDERS.Repository),
        r.get(GIT_PROVIDERS.ForgeConnector),
        r.get(TOKENS.Logger),
      ),
  );
  bind.singleton(
    TOKENS.Routes,
    (r) =>
      new SourceRoutes({
        connect: r.get(SERVICE_SOURCES.ConnectSource),
        disconnect: r.get(SERVICE_SOURCES.DisconnectSource),
        status: r.get(SERVICE_SOURCES.ReportStatus),
        queries: r.get(SERVICE_SOURCES.SourceQueries),
        hookHealth: r.get(SERVICE_SOURCES.HookHealth),
      }),
  );
  // Manual deploys (POST …/deployments): their own handler and routes.
  bind.singleton(SERVICE_SOURCES.RefHeads, (r) => new ForgeRefHeads(r.get(GIT_PROVIDERS.ForgeConnector)));
  bind.singleton(
    SERVICE_SOURCES.RequestDeployment,
    (r) =>
      new RequestDeploymentHandler(
        r.get(TOKENS.UnitOfWork),
        r.get(SERVICE_SOURCES.Repository),
        r.get(GIT_PROVIDERS.Repository),
        r.get(SERVICE_SOURCES.RefHeads),
      ),
  );
  bind.singleton(TOKENS.Routes, (r) => new DeploymentRoutes(r.get(SERVICE_SOURCES.RequestDeployment)));
});
