import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repositoryRoot, 'bin/forgelink.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const baseEnv = (): Record<string, string> => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' });

/** Runs `forgelink …` as a user would, with only the given environment (no inherited DATABASE_URL). */
export function forgelink(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repositoryRoot, env: { ...baseEnv(), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface CliServer {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `forgelink <command>` and resolves with the URL it says it listens on. */
export function startServer(args: string[], env: Record<string, string>): Promise<CliServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repositoryRoot, env: { ...baseEnv(), ...env } });
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${stderr}`));
    }, 90_000);
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: match[1], stderr: () => stderr, exited });
      }
    });
    child.stdout?.resume();
    void exited.then(() => reject(new Error(`server exited early:\n${stderr}`)));
  });
}

/**
 * stderr without the start path's own notice (bin/forgelink.js says when it runs src/ through tsx because
 * dist/ is not current, which depends on the checkout, not on the command under test).
 */
export const commandLines = (stderr: string): string[] =>
  stderr
    .split('\n')
    .filter(
      (line) =>
        line !== '' && !/^forgelink: (src\/ has changed since dist\/ was built|dist\/ is not built): running src\/ through tsx/.test(line),
    );
