import { mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { forgelink, repositoryRoot, startServer } from '../support/cli.js';

const root = repositoryRoot;

const json = (text: string): Record<string, unknown> => JSON.parse(text.trim()) as Record<string, unknown>;

describe('CLI on the configured database', () => {
  const env = (): Record<string, string> => ({ DATABASE_URL: inject('databaseUrl'), FORGELINK_MASTER_KEY: inject('masterKey') });
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('org create, member add and key rotate each print one JSON object; the rotated key replaces the old one', async () => {
    const org = await forgelink(['org', 'create', '--name', 'CLI Corp'], env());
    expect(org.code).toBe(0);
    const orgId = json(org.stdout).id as string;
    expect(orgId).toMatch(/^[0-9a-f-]{36}$/);

    const member = await forgelink(['member', 'add', '--org', orgId, '--user', 'carol', '--role', 'admin'], env());
    expect(member.code).toBe(0);
    const added = json(member.stdout);
    expect(added).toMatchObject({ userId: 'carol', role: 'admin' });
    const firstKey = added.apiKey as string;
    expect((await t.api.get('/v1/me').set('Authorization', `Bearer ${firstKey}`)).body).toEqual({
      userId: 'carol',
      organizationId: orgId,
      role: 'admin',
    });

    const rotated = await forgelink(['key', 'rotate', '--org', orgId, '--user', 'carol'], env());
    expect(rotated.code).toBe(0);
    const newKey = json(rotated.stdout).apiKey as string;
    expect(newKey).not.toBe(firstKey);
    expect((await t.api.get('/v1/me').set('Authorization', `Bearer ${firstKey}`)).status).toBe(401);
    expect((await t.api.get('/v1/me').set('Authorization', `Bearer ${newKey}`)).status).toBe(200);
  });

  it('refuses bad arguments with a usage message and a non-zero exit, printing nothing on stdout', async () => {
    const bad = await forgelink(['member', 'add', '--org', 'not-a-uuid', '--user', 'x', '--role', 'boss'], env());
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/usage: member add/);
    const unknownOrg = await forgelink(
      ['member', 'add', '--org', '01a20000-0000-7000-8000-000000000000', '--user', 'x', '--role', 'member'],
      env(),
    );
    expect(unknownOrg.code).toBe(1);
    expect(unknownOrg.stderr).toMatch(/Organisation not found/);
  });

  it('a wrong configuration value stops start-up naming the variable', async () => {
    const run = await forgelink(['serve'], { ...env(), PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/PORT/);
    const noKey = await forgelink(['serve'], { DATABASE_URL: inject('databaseUrl') });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/FORGELINK_MASTER_KEY/);
  });

  it('serve answers /healthz and /readyz, and exits 0 on SIGTERM', async () => {
    const server = await startServer(['serve'], { ...env(), PORT: '0', LOG_LEVEL: 'warn' });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    // GET /version and `forgelink --version` tell the same version: package.json's.
    const answer = (await (await fetch(`${server.url}/version`)).json()) as { version: string; commit?: string };
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(answer.version).toBe(pkg.version);
    if (answer.commit !== undefined) expect(answer.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(await forgelink(['--version'], {})).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/SIGTERM: shutting down/);
  });
});

describe('the zero-setup default: no DATABASE_URL', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'forgelink-cli-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('start runs migrations on an embedded PostgreSQL, generates the master key, answers /healthz, and stops cleanly', async () => {
    const server = await startServer(['start'], { FORGELINK_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' });
    try {
      expect(server.stderr()).toMatch(/starting the embedded PostgreSQL/);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const key = await readFile(path.join(dataDir, 'master.key'), 'utf8');
      expect(Buffer.from(key.trim(), 'base64')).toHaveLength(32);
      expect((await stat(path.join(dataDir, 'master.key'))).mode & 0o077).toBe(0);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
    // The CLI reuses the same embedded database and key on the next run.
    const org = await forgelink(['org', 'create', '--name', 'Embedded'], { FORGELINK_DATA_DIR: dataDir });
    expect(org.code, org.stderr).toBe(0);
    expect(json(org.stdout).id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
