import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLines, forgelink, startServer } from '../../support/cli.js';

// Two `npm start` in one folder share one embedded PostgreSQL; the first to stop would shut it down under
// the other. The second refuses, in one line; short commands keep working beside the server.
describe('two servers on one data folder (embedded PostgreSQL)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'forgelink-two-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('the second start refuses naming the first; a CLI command beside it leaves it running; after a stop, start works again', async () => {
    const env = { FORGELINK_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' };
    const first = await startServer(['start'], env);
    try {
      const second = await forgelink(['start'], env);
      expect(second.code).toBe(1);
      const lines = commandLines(second.stderr);
      expect(lines).toHaveLength(1);
      const pid = String(first.child.pid);
      expect(lines[0]).toMatch(
        new RegExp(
          `^forgelink: another forgelink server \\(pid ${pid}, started \\d{4}-[^)]+\\) is using the embedded database in ${escape(dataDir)}: ` +
            `stop it first \\(Ctrl-C in its terminal, or kill -TERM ${pid}\\), or give this one its own FORGELINK_DATA_DIR or a DATABASE_URL$`,
        ),
      );

      const org = await forgelink(['org', 'create', '--name', 'Beside'], { FORGELINK_DATA_DIR: dataDir });
      expect(org.code, org.stderr).toBe(0);
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).toBe(0);
    expect(existsSync(path.join(dataDir, 'server.lock'))).toBe(false);

    const again = await startServer(['start'], env);
    try {
      expect((await fetch(`${again.url}/readyz`)).status).toBe(200);
    } finally {
      again.child.kill('SIGTERM');
    }
    expect(await again.exited).toBe(0);
  }, 180_000);
});

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
