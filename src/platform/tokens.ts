import { type Knex } from '@mikro-orm/postgresql';
import { type Config } from '../config.js';
import { type Metrics } from '../shared/metrics.js';
import { type PublicUrls } from '../shared/public-urls.js';
import { type ReadDatabase } from '../shared/read-database.js';
import { token } from './container.js';
import { type SecretCipher } from './crypto/secret-cipher.js';
import { type PreparedStatements } from './database/prepared-statements.js';
import { type MikroOrmUnitOfWork } from './database/unit-of-work.js';
import { type RouteContributor } from './http/app.js';
import { type Logger } from './logging/logger.js';

/** Forge HTTP tuning the composition root passes on (tests use tiny retry delays and listing ages). */
export interface ForgeOptions {
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly retryBaseMs?: number;
  readonly listingMaxAgeMs?: number;
}

/** Container identifiers of platform services shared by every module. */
export const TOKENS = {
  Config: token<Config>('Config'),
  Logger: token<Logger>('Logger'),
  Knex: token<Knex>('Knex'),
  /** The hot path's own small pool of plain SQL statements (ADR 0021). */
  PreparedStatements: token<PreparedStatements>('PreparedStatements'),
  UnitOfWork: token<MikroOrmUnitOfWork>('UnitOfWork'),
  ReadDatabase: token<ReadDatabase>('ReadDatabase'),
  Cipher: token<SecretCipher>('SecretCipher'),
  /** The master key, for HMACs derived from it (OAuth state tokens). */
  MasterKey: token<string>('MasterKey'),
  PublicUrls: token<PublicUrls>('PublicUrls'),
  /** A module's routes; bound once per contributor and read with getAll. */
  Routes: token<RouteContributor>('Routes'),
  ForgeOptions: token<ForgeOptions>('ForgeOptions'),
  /** The Metrics port (shared/metrics.ts), implemented by platform/metrics. */
  Metrics: token<Metrics>('Metrics'),
} as const;
