import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The dependency rule lives in eslint.config.js; these checks make sure it keeps biting.
describe('the dependency rule (eslint no-restricted-imports)', () => {
  const eslint = new ESLint();
  const problems = async (filePath: string, code: string): Promise<string[]> => {
    const [result] = await eslint.lintText(code, { filePath });
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  };

  it('refuses frameworks and infrastructure in domain/ and shared/', async () => {
    for (const [file, code] of [
      ['src/modules/git-providers/domain/x.ts', "import { EntitySchema } from '@mikro-orm/core';\nexport const x = EntitySchema;\n"],
      ['src/modules/service-sources/domain/x.ts', "import express from 'express';\nexport const x = express;\n"],
      ['src/shared/x.ts', "import { injectable } from 'inversify';\nexport const x = injectable;\n"],
      [
        'src/modules/webhooks/domain/x.ts',
        "import { OutboxRelay } from '../../../platform/outbox/outbox-relay.js';\nexport const x = OutboxRelay;\n",
      ],
      [
        'src/modules/webhooks/domain/y.ts',
        "import { ReceiveWebhookHandler } from '../application/commands/receive-webhook/receive-webhook.js';\nexport const x = ReceiveWebhookHandler;\n",
      ],
    ] as const) {
      expect(await problems(file, code), file).toHaveLength(1);
    }
  });

  it('keeps application/ away from infrastructure, http and platform', async () => {
    const file = 'src/modules/git-providers/application/commands/x.ts';
    expect(
      await problems(
        file,
        "import { RepositoryHooks } from '../../infrastructure/repository-hooks.js';\nexport const x = RepositoryHooks;\n",
      ),
    ).toHaveLength(1);
    expect(
      await problems(file, "import { sendProblem } from '../../../../platform/http/problem.js';\nexport const x = sendProblem;\n"),
    ).toHaveLength(1);
  });

  it('keeps modules, platform/ and shared/ away from the forge plug-ins (src/forges/ implements their ports)', async () => {
    for (const [file, code] of [
      [
        'src/modules/webhooks/infrastructure/x.ts',
        "import { forgePlugins } from '../../../forges/registry.js';\nexport const x = forgePlugins;\n",
      ],
      [
        'src/modules/git-providers/http/x.ts',
        "import { githubPlugin } from '../../../forges/github/github-plugin.js';\nexport const x = githubPlugin;\n",
      ],
      [
        'src/modules/git-providers/domain/x.ts',
        "import { githubKind } from '../../../forges/github/github-settings.js';\nexport const x = githubKind;\n",
      ],
      ['src/platform/http/x.ts', "import { forgesModule } from '../../forges/module.js';\nexport const x = forgesModule;\n"],
    ] as const) {
      expect(await problems(file, code), file).toHaveLength(1);
    }
    const root = "import { forgesModule } from './forges/module.js';\nexport const x = forgesModule;\n";
    expect(await problems('src/app.ts', root)).toEqual([]);
  });

  it('lets domain/ use domain/ and shared/', async () => {
    const code =
      "import { AggregateRoot } from '../../../shared/aggregate-root.js';\nimport { type Actor } from '../../identity/domain/actor.js';\nexport type A = Actor;\nexport const x = AggregateRoot;\n";
    expect(await problems('src/modules/git-providers/domain/x.ts', code)).toEqual([]);
  });
});
