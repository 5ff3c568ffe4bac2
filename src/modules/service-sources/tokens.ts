import { token } from '../../platform/container.js';
import { type ServiceSourceRepository } from './domain/service-source-repository.js';
import { type SourceForge, type WebhookRegistrar } from './application/ports/source-forge.js';
import { type ConnectSourceHandler } from './application/commands/connect-source/connect-source.js';
import { type DisconnectSourceHandler } from './application/commands/disconnect-source/disconnect-source.js';
import { type ReportStatusHandler } from './application/commands/report-status/report-status.js';
import { type SourceQueries } from './application/queries/source-view.js';
import { type HookHealth } from './application/ports/hook-health.js';
import { type CommitStatusOutbox } from './application/ports/commit-statuses.js';
import { type CommitStatusWorker, type CommitStatusWorkerOptions } from './infrastructure/commit-status-worker.js';
import { type RefHeads } from './application/ports/ref-heads.js';
import { type RequestDeploymentHandler } from './application/commands/request-deployment/request-deployment.js';

/** The service-sources module's container identifiers (ADR 0010). */
export const SERVICE_SOURCES = {
  Repository: token<ServiceSourceRepository>('ServiceSourceRepository'),
  SourceForge: token<SourceForge>('SourceForge'),
  /** Implemented by the webhooks module (it owns the hooks forgelink registers). */
  WebhookRegistrar: token<WebhookRegistrar>('WebhookRegistrar'),
  ConnectSource: token<ConnectSourceHandler>('ConnectSourceHandler'),
  DisconnectSource: token<DisconnectSourceHandler>('DisconnectSourceHandler'),
  ReportStatus: token<ReportStatusHandler>('ReportStatusHandler'),
  SourceQueries: token<SourceQueries>('SourceQueries'),
  HookHealth: token<HookHealth>('HookHealth'),
  CommitStatusOutbox: token<CommitStatusOutbox & { takeRecorded(): boolean }>('CommitStatusOutbox'),
  /** Started and stopped by the composition root (src/app.ts), like the outbox relay. */
  CommitStatusWorker: token<CommitStatusWorker>('CommitStatusWorker'),
  /** Bound by the composition root: FORGELINK_COMMIT_STATUS_MAX_ATTEMPTS, and test tuning. */
  CommitStatusOptions: token<CommitStatusWorkerOptions>('CommitStatusWorkerOptions'),
  RefHeads: token<RefHeads>('RefHeads'),
  RequestDeployment: token<RequestDeploymentHandler>('RequestDeploymentHandler'),
} as const;
