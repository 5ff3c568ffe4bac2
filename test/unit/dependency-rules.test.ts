import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { cruise, type IViolation } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The module rule of ADR 0017 lives in .dependency-cruiser.cjs and runs in `npm run lint`. These checks run the same
// rule set over a small tree written to break each rule once, so a rule that stops biting fails here.
const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as {
  forbidden: unknown[];
  options: Record<string, unknown>;
};

const tree: Record<string, string> = {
  // Allowed: webhooks comes after identity in the module order.
  'src/modules/webhooks/hooks.ts': "import { who } from '../identity/who.js';\nexport const hooks = who;\n",
  // module-order-identity: identity may import no module.
  'src/modules/identity/who.ts': "import { other } from '../event-subscriptions/other.js';\nexport const who = other;\n",
  'src/modules/event-subscriptions/other.ts': 'export const other = 1;\n',
  // platform-below-modules
  'src/platform/relay.ts': "import { other } from '../modules/event-subscriptions/other.js';\nexport const relay = other;\n",
  // shared-is-the-kernel
  'src/shared/kernel.ts': "import { relay } from '../platform/relay.js';\nexport const kernel = relay;\n",
  // modules-not-to-forges
  'src/modules/git-providers/providers.ts': "import { plugin } from '../../forges/plugin.js';\nexport const providers = plugin;\n",
  'src/forges/plugin.ts': 'export const plugin = 1;\n',
  // module-unknown: a module missing from MODULES
  'src/forges/uses-new.ts': "import { fresh } from '../modules/billing/fresh.js';\nexport const usesNew = fresh;\n",
  'src/modules/billing/fresh.ts': 'export const fresh = 1;\n',
  // no-circular (run-time imports both ways)
  'src/forges/a.ts': "import { b } from './b.js';\nexport const a = (): number => b();\n",
  'src/forges/b.ts': "import { a } from './a.js';\nexport const b = (): number => a();\n",
};

describe('the module rule (dependency-cruiser, ADR 0017)', () => {
  let dir: string;
  let violations: IViolation[];
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'forgelink-depcruise-'));
    for (const [file, code] of Object.entries(tree)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), code);
    }
    const { tsConfig: _tsConfig, ...options } = config.options;
    const result = await cruise(['src'], { ...options, baseDir: dir, validate: true, ruleSet: { forbidden: config.forbidden } } as never, {
      extensions: ['.ts', '.js'],
    });
    if (typeof result.output === 'string') throw new Error('expected a cruise result, got text');
    violations = result.output.summary.violations;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const broken = (rule: string) =>
    violations
      .filter((v) => v.rule.name === rule)
      .map((v) => `${v.from} -> ${v.to}`)
      .sort();

  it('refuses an import of a module listed later (no cycles between modules), and allows one listed earlier', () => {
    expect(broken('module-order-identity')).toEqual(['src/modules/identity/who.ts -> src/modules/event-subscriptions/other.ts']);
    expect(violations.filter((v) => v.from === 'src/modules/webhooks/hooks.ts')).toEqual([]);
  });

  it('keeps platform/ below the modules and forges, shared/ below everything, and modules away from forges', () => {
    expect(broken('platform-below-modules')).toEqual(['src/platform/relay.ts -> src/modules/event-subscriptions/other.ts']);
    expect(broken('shared-is-the-kernel')).toEqual(['src/shared/kernel.ts -> src/platform/relay.ts']);
    expect(broken('modules-not-to-forges')).toEqual(['src/modules/git-providers/providers.ts -> src/forges/plugin.ts']);
  });

  it('names a module missing from the list, and a run-time cycle between files', () => {
    expect(broken('module-unknown')).toEqual(['src/forges/uses-new.ts -> src/modules/billing/fresh.ts']);
    expect(broken('no-circular').length).toBeGreaterThanOrEqual(1);
    expect(broken('no-circular').every((v) => /src\/forges\/[ab]\.ts -> src\/forges\/[ab]\.ts/.test(v))).toBe(true);
  });
});
