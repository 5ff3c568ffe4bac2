import { describe, expect, it } from 'vitest';
import { type ForgeConnector } from '../../../src/modules/git-providers/application/ports/forge-connector.js';
import { type ForgeApi } from '../../../src/modules/git-providers/application/ports/forge.js';
import { ForgeChangedFiles } from '../../../src/modules/webhooks/infrastructure/forge-changed-files.js';
import { ForgeCommitLookup } from '../../../src/modules/webhooks/infrastructure/forge-commit-lookup.js';
import { InMemoryProviders, InMemoryUnitOfWork } from '../../fakes/in-memory/persistence.js';
import { aBitbucketDatacenterProvider, GitProviderBuilder } from '../../builders/git-providers.js';
import { type BitbucketDatacenterSettings } from '../../../src/forges/bitbucket-datacenter/bitbucket-datacenter-plugin.js';

/** A connector that answers every call and records it: what the webhook path asks a forge. */
function recordingConnector(): { connector: ForgeConnector; calls: string[] } {
  const calls: string[] = [];
  const api = {
    changedFiles: async (fullName: string, base: string, head: string) => {
      calls.push(`compare ${fullName} ${base}..${head}`);
      return { files: ['docs/readme.md'], complete: true };
    },
    getCommit: async (fullName: string, sha: string) => {
      calls.push(`commit ${fullName} ${sha}`);
      return { sha: sha.padEnd(40, '0'), message: 'm', author: 'a' };
    },
  } as unknown as ForgeApi;
  const connector = {
    api: () => api,
    hooks: () => undefined,
    appManagedHooks: () => undefined,
    label: () => 'Bitbucket Data Center',
  } as unknown as ForgeConnector;
  return { connector, calls };
}

const logger = { warn: () => undefined, info: () => undefined, error: () => undefined, debug: () => undefined } as never;
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('the webhook path never asks the forge of a provider that is not ready', () => {
  const setUp = async (ready: boolean) => {
    const uow = new InMemoryUnitOfWork();
    const providers = new InMemoryProviders(uow);
    // An address change without the token again leaves the provider without credentials (pending_authorization).
    const provider = (
      ready
        ? aBitbucketDatacenterProvider()
        : new GitProviderBuilder<BitbucketDatacenterSettings>({ type: 'bitbucket-datacenter', serverUrl: 'https://moved.example.com' })
    ).build();
    providers.rows.set(provider.id, provider);
    const { connector, calls } = recordingConnector();
    return {
      provider,
      calls,
      files: new ForgeChangedFiles(uow, providers, connector, logger),
      commits: new ForgeCommitLookup(uow, providers, connector, logger),
    };
  };

  it('a ready provider is asked for the compare and the commit (the baseline the other cases differ from)', async () => {
    const { provider, calls, files, commits } = await setUp(true);
    expect(provider.status).toBe('ready');
    expect(await files.changedFiles(provider.id, 'PRJ/web', A, B)).toEqual(['docs/readme.md']);
    expect((await commits.resolve(provider.id, 'PRJ/web', 'abcdef1')).ok).toBe(true);
    expect(calls).toEqual([`compare PRJ/web ${A}..${B}`, 'commit PRJ/web abcdef1']);
  });

  it('without credentials: the compare is unknown (the push deploys unfiltered) and the commit unresolved, with no call', async () => {
    const { provider, calls, files, commits } = await setUp(false);
    expect(provider.status).not.toBe('ready');
    expect(await files.changedFiles(provider.id, 'PRJ/web', A, B)).toBe('unknown');
    const resolution = await commits.resolve(provider.id, 'PRJ/web', 'abcdef1');
    expect(resolution).toEqual({ ok: false, reason: expect.stringContaining('not ready') });
    expect(calls).toEqual([]);
  });

  it('payload values that are not commit ids never reach a forge URL', async () => {
    const { provider, calls, files, commits } = await setUp(true);
    expect(await files.changedFiles(provider.id, 'PRJ/web', 'zz', B)).toBe('unknown');
    expect(await files.changedFiles(provider.id, 'PRJ/web', A, '../../x?y=1')).toBe('unknown');
    expect((await commits.resolve(provider.id, 'PRJ/web', '--upload-pack=x')).ok).toBe(false);
    expect(calls).toEqual([]);
  });
});
