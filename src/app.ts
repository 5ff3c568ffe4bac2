import 'reflect-metadata';
import { type Express } from 'express';
import { type MikroORM } from '@mikro-orm/postgresql';
import { type Config } from './config.js';
import { TOKENS, type ForgeOptions } from './platform/tokens.js';
import { createContainer, type Resolver } from './platform/container.js';
import { SecretCipher } from './platform/crypto/secret-cipher.js';
import { openDatabase } from './database.js';
import { PreparedStatements } from './platform/database/prepared-statements.js';
import { checkReadiness } from './platform/database/readiness.js';
import { MikroOrmUnitOfWork } from './platform/database/unit-of-work.js';
import { KnexReadDatabase } from './platform/database/knex-read-database.js';
import { createLogger, type Logger } from './platform/logging/logger.js';
import { createHttpApp } from './platform/http/app.js';
import { consolePages } from './platform/http/console-pages.js';
import { InProcessEventBus } from './platform/events/event-bus.js';
import { type EventPublisher } from './platform/events/event-publisher.js';
import { EventFeed, EventFeedRoutes } from './platform/events/event-feed.js';
import { NatsJetStreamPublisher, natsConnectionSummary } from './platform/events/nats-publisher.js';
import { OutboxRelay, outboxBacklog, type RelayOptions } from './platform/outbox/outbox-relay.js';
import { PrometheusMetrics } from './platform/metrics/prometheus-metrics.js';
import { Housekeeping } from './platform/outbox/housekeeping.js';
import { PublicUrls } from './shared/public-urls.js';
import { UrlGuard } from './forges/shared/url-guard.js';
import { forgesModule } from './forges/module.js';
import { FORGES } from './forges/tokens.js';
import { identityModule } from './modules/identity/module.js';
import { IDENTITY } from './modules/identity/tokens.js';
import { type IdentityService } from './modules/identity/application/identity-service.js';
import { gitProvidersModule } from './modules/git-providers/module.js';
import { serviceSourcesModule } from './modules/service-sources/module.js';
import { SERVICE_SOURCES } from './modules/service-sources/tokens.js';
import { type CommitStatusWorker, type CommitStatusWorkerOptions } from './modules/service-sources/infrastructure/commit-status-worker.js';
import { webhooksModule } from './modules/webhooks/module.js';
import { eventSubscriptionsModule } from './modules/event-subscriptions/module.js';
import { SubscriptionDispatcher, type DispatcherOptions } from './modules/event-subscriptions/infrastructure/subscription-dispatcher.js';

export interface ApplicationOptions {
  readonly logger?: Logger;
  /** Forge HTTP tuning (tests use tiny retry delays). */
  readonly forge?: ForgeOptions;
  readonly relay?: RelayOptions;
  /** Commit-status worker tuning (tests use tiny backoff); maxAttempts defaults to FORGELINK_COMMIT_STATUS_MAX_ATTEMPTS. */
  readonly commitStatuses?: CommitStatusWorkerOptions;
  /** Event-subscription delivery tuning (tests use short leases and backoff). */
  readonly subscriptions?: DispatcherOptions;
  /** Start the outbox relay (default true). */
  readonly startRelay?: boolean;
  readonly poolMax?: number;
  /** Tests: every JSON answer of a `/v1` route must match the schema in `/openapi.json`. */
  readonly checkResponses?: boolean;
}

export interface Application {
  readonly http: Express;
  readonly orm: MikroORM;
  readonly bus: InProcessEventBus;
  readonly relay: OutboxRelay;
  readonly subscriptions: SubscriptionDispatcher;
  readonly commitStatuses: CommitStatusWorker;
  readonly urls: PublicUrls;
  readonly logger: Logger;
  readonly identity: IdentityService;
  /** The container, read through typed tokens (tests reach a module's services this way). */
  readonly container: Resolver;
  close(): Promise<void>;
}

/** The composition root: config → container → HTTP app + outbox relay. Migrations are applied separately. */
export async function createApplication(config: Config, options: ApplicationOptions = {}): Promise<Application> {
  if (!config.databaseUrl || !config.masterKey) throw new Error('createApplication needs a database URL and a master key');
  const masterKey = config.masterKey;
  const logger = options.logger ?? createLogger(config.logLevel);
  const cipher = new SecretCipher(config.masterKey, config.oldMasterKeys);
  const orm = await openDatabase({ databaseUrl: config.databaseUrl, cipher, poolMax: options.poolMax, log: logger });
  const knex = orm.em.getKnex();
  const statements = new PreparedStatements(config.databaseUrl, {
    onIdleError: (error) => logger.warn({ err: error }, 'a database connection of the webhook path failed while idle'),
  });
  const uow = new MikroOrmUnitOfWork(orm);
  const urls = new PublicUrls(config.publicUrl, config.dashboardUrl);
  const bus = new InProcessEventBus();
  const publishers: EventPublisher[] = [bus];
  if (config.eventBrokerUrl) {
    const nats = await NatsJetStreamPublisher.connect({ url: config.eventBrokerUrl, logger });
    publishers.push(nats);
    logger.info(natsConnectionSummary(config.eventBrokerUrl, nats), 'connected to NATS JetStream');
  }
  const metrics = new PrometheusMetrics(() => outboxBacklog(knex));
  const relay = new OutboxRelay(knex, publishers, logger, options.relay, metrics);
  const housekeeping = new Housekeeping(knex, config.retentionDays, logger);
  const urlGuard = new UrlGuard(config.forgeUrlAllowlist);
  // Independent of the relay: a failing subscription endpoint holds back neither the bus, NATS nor other subscriptions.
  const subscriptions = new SubscriptionDispatcher(knex, cipher, urlGuard, logger, options.subscriptions, metrics);
  uow.onCommit(() => {
    relay.kick();
    subscriptions.kick();
  });

  const readDatabase = new KnexReadDatabase(knex);
  const container = createContainer((bind) => {
    bind.constant(TOKENS.Config, config);
    bind.constant(TOKENS.Logger, logger);
    bind.constant(TOKENS.Knex, knex);
    bind.constant(TOKENS.PreparedStatements, statements);
    bind.constant(TOKENS.UnitOfWork, uow);
    bind.constant(TOKENS.ReadDatabase, readDatabase);
    bind.constant(TOKENS.Cipher, cipher);
    bind.constant(TOKENS.MasterKey, masterKey);
    bind.constant(TOKENS.PublicUrls, urls);
    bind.constant(FORGES.UrlGuard, urlGuard);
    bind.constant(TOKENS.ForgeOptions, options.forge ?? {});
    bind.constant(TOKENS.Metrics, metrics);
    bind.constant(TOKENS.Routes, new EventFeedRoutes(new EventFeed(readDatabase)));
    bind.constant(SERVICE_SOURCES.CommitStatusOptions, { maxAttempts: config.commitStatusMaxAttempts, ...options.commitStatuses });
  });
  // The forge plug-ins implement the modules' forge ports (src/forges/registry.ts lists them; ADR 0016).
  container.load(identityModule, forgesModule, gitProvidersModule, serviceSourcesModule, webhooksModule, eventSubscriptionsModule);

  const identity = container.get(IDENTITY.IdentityService);
  const statusWorker = container.get(SERVICE_SOURCES.CommitStatusWorker);
  const statusOutbox = container.get(SERVICE_SOURCES.CommitStatusOutbox);
  // Only a commit that recorded a commit status wakes the worker (webhook deliveries cost it nothing).
  uow.onCommit(() => {
    if (statusOutbox.takeRecorded()) statusWorker.kick();
  });
  let lastReadiness = 'ready';
  const http = createHttpApp({
    logger,
    routes: container.getAll(TOKENS.Routes),
    authenticate: (apiKey) => identity.authenticate(apiKey),
    sessions: container.get(IDENTITY.SessionService),
    pages: consolePages(),
    ready: async () => {
      const state = await checkReadiness(knex, cipher);
      // Probes poll every few seconds: log a change of state, not every answer.
      const now = state.ready ? 'ready' : state.check;
      if (now !== lastReadiness) {
        if (state.ready) logger.info({ readiness: 'ready' }, 'ready');
        else logger.warn({ readiness: state.check }, `not ready: ${state.operatorDetail}`);
        lastReadiness = now;
      }
      return state;
    },
    trustProxy: config.trustProxy,
    checkResponses: options.checkResponses,
    metrics,
    metricsToken: config.metricsToken,
  });
  if (options.startRelay !== false) {
    relay.start();
    subscriptions.start();
    statusWorker.start();
    housekeeping.start();
  }

  let closed = false;
  return {
    http,
    orm,
    bus,
    relay,
    subscriptions,
    commitStatuses: statusWorker,
    urls,
    logger,
    identity,
    container,
    async close() {
      if (closed) return;
      closed = true;
      housekeeping.stop();
      await Promise.all([relay.stop(), subscriptions.stop(), statusWorker.stop()]);
      for (const publisher of publishers) await publisher.close().catch(() => undefined);
      await statements.close();
      await orm.close(true);
    },
  };
}
