// Drives a production install (see production-install.sh): node .ci/production-install.mjs <install dir>
// Uses only node and the install's own production dependencies (pg), as the container would.
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const app = path.resolve(process.argv[2] ?? '');
const fail = (message) => {
  process.stderr.write(`production install: FAILED: ${message}\n`);
  process.exit(1);
};
const step = (message) => process.stderr.write(`production install: ${message}\n`);

// --- what was installed ------------------------------------------------------------------------------------
const manifest = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8'));
if (!existsSync(path.join(app, 'dist', 'cli.js'))) fail('dist/cli.js is missing from the artifact');
for (const absent of ['src', 'test', 'bench', '.ci', 'console/test'])
  if (existsSync(path.join(app, absent))) fail(`${absent}/ is in the artifact`);
// A dev dependency may only be present when the production tree itself needs it (npm marks such lockfile
// entries devOptional, e.g. @types/node, an optional peer of @rushstack/node-core-library); those are named.
const lock = JSON.parse(readFileSync(path.join(app, 'package-lock.json'), 'utf8')).packages;
const devNames = Object.keys(manifest.devDependencies ?? {});
const present = devNames.filter((name) => existsSync(path.join(app, 'node_modules', name)));
const devOnly = present.filter((name) => lock[`node_modules/${name}`]?.devOptional !== true);
if (devOnly.length) fail(`dev dependencies installed: ${devOnly.join(', ')}`);
const neededBy = (name) =>
  Object.entries(lock)
    .filter(
      ([key, entry]) =>
        key &&
        !entry.dev &&
        !entry.devOptional &&
        (entry.dependencies?.[name] || entry.peerDependencies?.[name] || entry.optionalDependencies?.[name]),
    )
    .map(([key]) => key.replace(/^.*node_modules\//, ''));
for (const name of present) {
  const by = neededBy(name);
  if (by.length === 0) fail(`${name} (a dev dependency) is installed though no production package needs it`);
  step(`${name}: also needed by production package(s) ${by.join(', ')}`);
}
step(
  `artifact has dist/, no src/, and ${devNames.length - present.length} of ${devNames.length} dev dependencies absent (the rest needed in production)`,
);

// --- a scratch database ------------------------------------------------------------------------------------
const pg = createRequire(path.join(app, 'package.json'))('pg');
const server = new URL(process.env.DATABASE_URL);
const name = `forgelink_prod_${Date.now()}_${randomBytes(3).toString('hex')}`;
const admin = async (sql) => {
  const client = new pg.Client({ connectionString: server.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};
await admin(`create database ${name}`);
const database = new URL(server);
database.pathname = `/${name}`;

const env = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  NODE_ENV: 'production',
  DATABASE_URL: database.toString(),
  FORGELINK_MASTER_KEY: randomBytes(32).toString('base64'),
  HOST: '127.0.0.1',
  PORT: '0',
  PUBLIC_URL: 'https://forgelink.example.com',
  FORGE_URL_ALLOWLIST: '127.0.0.1',
  TRUST_PROXY: 'loopback',
  LOG_LEVEL: 'warn',
};
const cli = (...args) => {
  const result = spawnSync(process.execPath, [path.join(app, 'bin', 'forgelink.js'), ...args], {
    cwd: app,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.status !== 0) fail(`forgelink ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  if (/tsx/.test(result.stderr)) fail(`forgelink ${args.join(' ')} did not run dist/: ${result.stderr}`);
  return JSON.parse(result.stdout);
};

let serve;
try {
  // --- migrate, seed, serve --------------------------------------------------------------------------------
  const { applied } = cli('migrate');
  if (!Array.isArray(applied) || applied.length === 0) fail(`migrate applied nothing: ${JSON.stringify(applied)}`);
  step(`migrate applied ${applied.length} migrations`);
  const { id: org } = cli('org', 'create', '--name', 'Production check');
  const { apiKey } = cli('member', 'add', '--org', org, '--user', 'ops', '--role', 'owner');

  serve = spawn(process.execPath, [path.join(app, 'bin', 'forgelink.js'), 'serve'], { cwd: app, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 30 s: ${stderr}`)), 30_000);
    serve.stderr.on('data', (chunk) => {
      stderr += chunk;
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    serve.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  }).catch((error) => fail(error.message));
  if (/tsx/.test(stderr)) fail(`serve did not run dist/: ${stderr}`);

  const ready = await fetch(`${base}/readyz`);
  if (ready.status !== 200) fail(`/readyz answered ${ready.status}: ${await ready.text()}`);
  const consolePage = await fetch(`${base}/`);
  if (consolePage.status !== 200 || !/text\/html/.test(consolePage.headers.get('content-type') ?? ''))
    fail(`the console page answered ${consolePage.status}`);
  const consoleScript = await fetch(`${base}/console/main.js`);
  if (consoleScript.status !== 200) fail(`the console's script answered ${consoleScript.status}`);
  step(`serve on ${base}: /readyz 200, console served`);

  // --- a signed webhook becomes an event ---------------------------------------------------------------------
  const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const webhookSecret = randomBytes(20).toString('hex');
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  // A GitHub App still waiting for its installation; 127.0.0.1:9 answers nothing (no forge is needed here).
  const created = await fetch(`${base}/v1/git-providers/github`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ name: 'GitHub', githubUrl: 'http://127.0.0.1:9', appId: 4242, privateKey, webhookSecret }),
  });
  const provider = await created.json();
  if (created.status !== 201) fail(`creating a provider answered ${created.status}: ${JSON.stringify(provider)}`);

  const body = JSON.stringify({
    action: 'created',
    installation: { id: 777001, app_id: 4242, account: { login: 'acme' } },
    sender: { login: 'acme-admin' },
  });
  const signed = (secret) => ({
    'content-type': 'application/json',
    'x-github-event': 'installation',
    'x-github-delivery': randomUUID(),
    'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
  });
  const forged = await fetch(`${base}/v1/webhooks/${provider.id}`, { method: 'POST', headers: signed('not-the-secret'), body });
  if (forged.status !== 401) fail(`a wrongly signed webhook answered ${forged.status}`);
  const hook = await fetch(`${base}/v1/webhooks/${provider.id}`, { method: 'POST', headers: signed(webhookSecret), body });
  if (hook.status >= 300) fail(`the signed webhook answered ${hook.status}: ${await hook.text()}`);

  const deadline = Date.now() + 15_000;
  let types = [];
  for (;;) {
    const res = await fetch(`${base}/v1/events?limit=100`, { headers: auth });
    const page = await res.json();
    types = (page.items ?? []).filter((e) => e.aggregateId === provider.id).map((e) => e.type);
    if (types.includes('git-provider.updated')) break;
    if (Date.now() > deadline)
      fail(`no git-provider.updated event after the signed installation webhook; events: ${JSON.stringify(types)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const after = await (await fetch(`${base}/v1/git-providers/${provider.id}`, { headers: auth })).json();
  if (after.github?.installationId !== 777001) fail(`the installation was not recorded: ${JSON.stringify(after)}`);
  step(`signed webhook → events ${types.join(', ')}; a forged signature → 401`);

  // --- a clean stop -------------------------------------------------------------------------------------------
  const exited = new Promise((resolve) => serve.once('exit', (code) => resolve(code)));
  serve.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) fail(`serve exited ${code} after SIGTERM: ${stderr}`);
  if (/"level":(50|60)/.test(stderr)) fail(`serve logged errors: ${stderr}`);
  step('SIGTERM: clean exit');
} finally {
  if (serve && serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
  await admin(`drop database if exists ${name} with (force)`).catch(() => undefined);
}
