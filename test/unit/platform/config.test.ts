import { describe, it, expect } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { generateMasterKey } from '../../../src/platform/crypto/secret-cipher.js';

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('has defaults for an empty environment (embedded database, generated key)', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      masterKey: undefined,
      oldMasterKeys: [],
      dataDir: './.forgelink',
      publicUrl: undefined,
      dashboardUrl: undefined,
      forgeUrlAllowlist: [],
      bitbucketApiUrl: 'https://api.bitbucket.org/2.0',
      eventBrokerUrl: undefined,
      retentionDays: 90,
      commitStatusMaxAttempts: 8,
      logLevel: 'info',
      trustProxy: false,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '', LOG_LEVEL: '' })).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      logLevel: 'info',
    });
  });

  it('reads every variable, trimming trailing slashes and splitting lists', () => {
    const key = generateMasterKey();
    const old = [generateMasterKey(), generateMasterKey()];
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u:p@db:5432/forgelink',
      FORGELINK_MASTER_KEY: key,
      FORGELINK_MASTER_KEYS_OLD: ` ${old[0]} ,${old[1]},`,
      FORGELINK_DATA_DIR: '/var/lib/forgelink',
      PUBLIC_URL: 'https://forgelink.example.com/',
      DASHBOARD_URL: 'https://dash.example.com/integrations//',
      FORGE_URL_ALLOWLIST: 'gitea.internal, gitlab.corp:8443 ,,',
      BITBUCKET_API_URL: 'http://127.0.0.1:9999/2.0/',
      EVENT_BROKER_URL: 'nats://127.0.0.1:4222',
      FORGELINK_RETENTION_DAYS: '30',
      FORGELINK_COMMIT_STATUS_MAX_ATTEMPTS: '12',
      LOG_LEVEL: 'debug',
      TRUST_PROXY: 'loopback, 10.0.0.0/8',
    });
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u:p@db:5432/forgelink',
      masterKey: key,
      oldMasterKeys: old,
      dataDir: '/var/lib/forgelink',
      publicUrl: 'https://forgelink.example.com',
      dashboardUrl: 'https://dash.example.com/integrations',
      forgeUrlAllowlist: ['gitea.internal', 'gitlab.corp:8443'],
      bitbucketApiUrl: 'http://127.0.0.1:9999/2.0',
      eventBrokerUrl: 'nats://127.0.0.1:4222',
      retentionDays: 30,
      commitStatusMaxAttempts: 12,
      logLevel: 'debug',
      trustProxy: ['loopback', '10.0.0.0/8'],
    });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://db/forgelink'],
    ['FORGELINK_MASTER_KEY', 'too-short'],
    ['FORGELINK_MASTER_KEYS_OLD', 'c2hvcnQ='],
    ['PUBLIC_URL', 'ftp://forgelink.example.com'],
    ['DASHBOARD_URL', 'not a url'],
    ['BITBUCKET_API_URL', 'file:///etc/passwd'],
    ['EVENT_BROKER_URL', 'http://127.0.0.1:4222'],
    ['LOG_LEVEL', 'loud'],
    ['FORGELINK_RETENTION_DAYS', '-1'],
    ['FORGELINK_RETENTION_DAYS', 'forever'],
    ['FORGELINK_COMMIT_STATUS_MAX_ATTEMPTS', '0'],
    ['FORGE_URL_ALLOWLIST', 'http://127.0.0.1'],
    ['FORGE_URL_ALLOWLIST', 'gitea.internal, https://gitlab.corp:8443/'],
    ['FORGE_URL_ALLOWLIST', 'gitea.internal/path'],
    ['FORGE_URL_ALLOWLIST', 'user@gitea.internal'],
    ['FORGE_URL_ALLOWLIST', 'gitea.internal:0'],
    ['FORGE_URL_ALLOWLIST', 'gitea.internal:99999'],
    ['FORGE_URL_ALLOWLIST', '[gitea.internal]:80'],
    ['FORGE_URL_ALLOWLIST', '*.corp'],
    ['TRUST_PROXY', 'yes'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', 'loopback, proxy.internal'],
    ['TRUST_PROXY', '-1'],
    ['TRUST_PROXY', ','],
  ])('a wrong %s names the variable', (name, value) => {
    const env: NodeJS.ProcessEnv = { [name]: value };
    if (name === 'DATABASE_URL') env.FORGELINK_MASTER_KEY = generateMasterKey();
    const problems = problemsOf(env);
    expect(problems.some((p) => p.startsWith(`${name}`))).toBe(true);
    expect(() => loadConfig(env)).toThrow(new RegExp(name));
  });

  it('an allowlist entry with a scheme is refused, naming the variable and the host to write instead', () => {
    expect(problemsOf({ FORGE_URL_ALLOWLIST: 'http://127.0.0.1' })).toEqual([
      'FORGE_URL_ALLOWLIST: "http://127.0.0.1" is not a host or host:port (write the host without the scheme: 127.0.0.1)',
    ]);
    expect(problemsOf({ FORGE_URL_ALLOWLIST: 'ok.example, https://gitlab.corp:8443/x' })).toEqual([
      'FORGE_URL_ALLOWLIST: "https://gitlab.corp:8443/x" is not a host or host:port (write the host without the scheme: gitlab.corp:8443)',
    ]);
  });

  it('accepts every allowlist form the URL guard matches: host, host:port, IPv4, bare and bracketed IPv6', () => {
    const entries = [
      'gitea.internal',
      'gitlab.corp:8443',
      '127.0.0.1',
      '127.0.0.1:3000',
      'fd00::1',
      '[fd00::1]',
      '[fd00::1]:3000',
      'localhost',
      'my_host.lan.',
    ];
    expect(loadConfig({ FORGE_URL_ALLOWLIST: entries.join(',') }).forgeUrlAllowlist).toEqual(entries);
  });

  it.each([
    ['1', 1],
    ['0', 0],
    ['true', true],
    ['false', false],
    ['loopback', ['loopback']],
    ['loopback,linklocal,uniquelocal', ['loopback', 'linklocal', 'uniquelocal']],
    ['10.0.0.1, 172.16.0.0/12, fd00::/8, ::1', ['10.0.0.1', '172.16.0.0/12', 'fd00::/8', '::1']],
  ])('TRUST_PROXY=%s is express trust proxy %j', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('lists every wrong variable at once', () => {
    const problems = problemsOf({ PORT: 'x', LOG_LEVEL: 'loud' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['PORT', 'LOG_LEVEL']));
  });

  it('DATABASE_URL without FORGELINK_MASTER_KEY fails, naming the missing key', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgres://db/forgelink' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^FORGELINK_MASTER_KEY: required when DATABASE_URL is set/);
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/forgelink', FORGELINK_MASTER_KEY: generateMasterKey() }).databaseUrl).toBe(
      'postgresql://db/forgelink',
    );
  });

  it('never echoes a refused master key in the message', () => {
    const badKey = 'not-a-valid-key-but-secret-looking';
    expect(() => loadConfig({ FORGELINK_MASTER_KEY: badKey })).toThrow(ConfigError);
    expect(problemsOf({ FORGELINK_MASTER_KEY: badKey }).join('\n')).not.toContain(badKey);
  });
});
