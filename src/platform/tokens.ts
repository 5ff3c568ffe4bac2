/** Container identifiers of platform services shared by every module. */
export const TOKENS = {
  Config: Symbol.for('Config'),
  Logger: Symbol.for('Logger'),
  Orm: Symbol.for('MikroORM'),
  Knex: Symbol.for('Knex'),
  UnitOfWork: Symbol.for('MikroOrmUnitOfWork'),
  ReadDatabase: Symbol.for('ReadDatabase'),
  Cipher: Symbol.for('SecretCipher'),
  MasterKey: Symbol.for('MasterKey'),
  PublicUrls: Symbol.for('PublicUrls'),
  UrlGuard: Symbol.for('UrlGuard'),
  EventBus: Symbol.for('InProcessEventBus'),
  Routes: Symbol.for('RouteContributor'),
  ForgeOptions: Symbol.for('ForgeOptions'),
  /** The Metrics port (shared/metrics.ts), implemented by platform/metrics. */
  Metrics: Symbol.for('Metrics'),
} as const;
