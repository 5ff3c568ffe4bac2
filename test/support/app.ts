import { Writable } from 'node:stream';
import { inject } from 'vitest';
import supertest from 'supertest';
import { type Config } from '../../src/config.js';
import { createApplication, type Application, type ApplicationOptions } from '../../src/app.js';
import { createLogger } from '../../src/platform/logging/logger.js';
import { type Role } from '../../src/modules/identity/domain/actor.js';

export interface TestMember {
  readonly userId: string;
  readonly role: Role;
  readonly apiKey: string;
  readonly auth: { Authorization: string };
}

export interface TestApp {
  readonly app: Application;
  readonly api: ReturnType<typeof supertest>;
  /** Every log line the app wrote, as text (for the no-secrets-in-logs checks). */
  readonly logs: () => string;
  readonly config: Config;
  close(): Promise<void>;
}

/** The real application (real PostgreSQL, real relay) on this run's test database, with forge calls allowed to 127.0.0.1. */
export async function startTestApp(overrides: Partial<Config> = {}, options: ApplicationOptions = {}): Promise<TestApp> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: inject('databaseUrl'),
    masterKey: inject('masterKey'),
    oldMasterKeys: [],
    dataDir: '.forgelink-test',
    publicUrl: 'http://forgelink.test',
    dashboardUrl: 'http://dashboard.test/integrations',
    forgeUrlAllowlist: ['127.0.0.1', 'localhost'],
    bitbucketApiUrl: 'http://127.0.0.1:9/2.0',
    logLevel: 'debug',
    retentionDays: 0,
    ...overrides,
  };
  const app = await createApplication(config, {
    logger: createLogger(config.logLevel, sink),
    // Every listing asks the forge (the forge tests count requests and stage failures per call); the picker cache
    // has its own tests (test/e2e/forges/picker-cache.test.ts), which set a maximum age.
    forge: { retryBaseMs: 1, timeoutMs: 5_000, listingMaxAgeMs: 0 },
    relay: { pollIntervalMs: 50, retryBaseMs: 20 },
    poolMax: 5,
    // Every e2e answer is checked against the route's documented schema: /openapi.json cannot drift from the code.
    checkResponses: true,
    ...options,
  });
  return { app, api: supertest(app.http), logs: () => lines.join(''), config, close: () => app.close() };
}

let counter = 0;

/** A new organisation with one member per role (keys from the real identity service). */
export async function seedOrganization(
  app: Application,
  name = 'Acme',
): Promise<{ organizationId: string; owner: TestMember; admin: TestMember; member: TestMember; other: TestMember }> {
  const { id } = await app.identity.createOrganization(`${name} ${++counter}`);
  const add = async (userId: string, role: Role): Promise<TestMember> => {
    const result = await app.identity.addMember({ organizationId: id, userId, role });
    if (!result.ok) throw new Error(result.error.detail);
    return { userId, role, apiKey: result.value.apiKey, auth: { Authorization: `Bearer ${result.value.apiKey}` } };
  };
  return {
    organizationId: id,
    owner: await add(`owner-${counter}`, 'owner'),
    admin: await add(`admin-${counter}`, 'admin'),
    member: await add(`member-${counter}`, 'member'),
    other: await add(`member2-${counter}`, 'member'),
  };
}
