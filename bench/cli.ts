import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchServer } from './support/database.js';
import { median, ms, printTable, timeRatio, type Row } from './support/report.js';
import { readBuildInfo, sourceHash } from '../scripts/source-hash.js';

/**
 * P6, the CLI's wall time: `forgelink --version` and `forgelink org create` through the compiled start path
 * (bin/forgelink.js → dist/), against the sources run through tsx (the start path before ADR 0011), and the same
 * through `npx` as the README shows. Each figure is the median of `runs` runs after one unmeasured warm-up.
 */
export interface CliOptions {
  readonly runs: number;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// CPU time (user + sys of the command and its children, from GNU time) next to wall time: on a shared machine
// the wall time swings with other load, the CPU time much less.
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

interface Sample {
  readonly wall: number;
  readonly cpu: number;
}

function run(command: string, args: string[], env: Record<string, string>): Sample {
  const [cmd, argv] = GNU_TIME ? [GNU_TIME, ['-f', 'cpu %U %S', command, ...args]] : [command, args];
  const started = process.hrtime.bigint();
  const result = spawnSync(cmd, argv, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr);
  return { wall: elapsed, cpu: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : Number.NaN };
}

function medianOf(runs: number, fn: () => Sample): Sample {
  fn();
  const samples = Array.from({ length: runs }, fn);
  return { wall: median(samples.map((s) => s.wall)), cpu: median(samples.map((s) => s.cpu)) };
}

const both = (s: Sample): string => (Number.isNaN(s.cpu) ? ms(s.wall) : `${ms(s.wall)} (cpu ${ms(s.cpu)})`);

export async function benchCli(server: BenchServer, options: CliOptions = { runs: 7 }): Promise<void> {
  const built = readBuildInfo(root);
  if (built?.sourceHash !== sourceHash(root)) {
    console.log('\nCLI: dist/ does not match src/; building it first (npm run build)');
    const build = spawnSync(process.execPath, [path.join(root, 'scripts/build.js'), '--force'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build failed');
  }
  const db = await server.createDatabase();
  const env = { DATABASE_URL: db.databaseUrl, FORGELINK_MASTER_KEY: db.masterKey };
  const node = process.execPath;
  const bin = path.join(root, 'bin/forgelink.js');
  const viaTsx = ['--import', 'tsx/esm', path.join(root, 'src/cli.ts')];
  let n = 0;
  const org = (): string[] => ['org', 'create', '--name', `Bench ${++n}`];

  const version = medianOf(options.runs, () => run(node, [bin, '--version'], {}));
  const versionTsx = medianOf(options.runs, () => run(node, [...viaTsx, '--version'], {}));
  const create = medianOf(options.runs, () => run(node, [bin, ...org()], env));
  const createTsx = medianOf(options.runs, () => run(node, [...viaTsx, ...org()], env));
  const npxVersion = medianOf(options.runs, () => run('npx', ['forgelink', '--version'], {}));
  const npxCreate = medianOf(options.runs, () => run('npx', ['forgelink', ...org()], env));

  const row = (name: string, measured: Sample, baseline: Sample): Row => ({
    case: name,
    measured: both(measured),
    baseline: both(baseline),
    ratio: timeRatio(measured.wall, baseline.wall),
  });
  const rows: Row[] = [
    row('forgelink --version', version, versionTsx),
    row('forgelink org create', create, createTsx),
    row('npx forgelink --version', npxVersion, versionTsx),
    row('npx forgelink org create', npxCreate, createTsx),
  ];
  printTable(
    `6. CLI wall time (median of ${options.runs}; measured: node bin/forgelink.js → dist/, baseline: src/ through tsx)`,
    rows,
    { case: 'command', measured: 'compiled', baseline: 'tsx', ratio: 'ratio' },
    [
      `goal: forgelink --version ≤ 300 ms → ${version.wall <= 300 ? 'met' : 'NOT met'} (${ms(version.wall)} wall)`,
      `goal: npx forgelink org create ≤ 1,000 ms → ${npxCreate.wall <= 1000 ? 'met' : 'NOT met'} (${ms(npxCreate.wall)} wall; npm's own share ≈ ${ms(Math.max(0, npxCreate.wall - create.wall))})`,
      'wall times swing with other load on the machine; the cpu figures (user + sys, with children) much less',
    ],
  );
}
