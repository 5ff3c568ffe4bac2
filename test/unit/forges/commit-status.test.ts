import { describe, expect, it } from 'vitest';
import { clip, fitName, statusRefusal } from '../../../src/forges/shared/commit-status.js';
import { ForgeError } from '../../../src/modules/git-providers/application/ports/forge.js';

describe('commit status names and refusals', () => {
  it('keeps a name within the limit unchanged, and shortens a longer one the same way every time', () => {
    expect(fitName('forgelink/application/web', 40)).toBe('forgelink/application/web');
    const long = `forgelink/application/${'x'.repeat(60)}`;
    const short = fitName(long, 40);
    expect(short).toHaveLength(40);
    expect(short).toBe(fitName(long, 40));
    expect(short.startsWith('forgelink/application/')).toBe(true);
    // Two names sharing the kept head still differ.
    expect(fitName(`${long}-a`, 40)).not.toBe(fitName(`${long}-b`, 40));
  });

  it('cuts a description to the limit with an ellipsis', () => {
    expect(clip('Deployed', 140)).toBe('Deployed');
    const cut = clip('d'.repeat(200), 140);
    expect(cut).toHaveLength(140);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('turns a provider-wide refusal into a refusal of commit statuses on that repository (the provider is not flagged)', () => {
    const wide = new ForgeError(
      { type: 'gitea', label: 'Gitea/Forgejo' },
      'forbidden',
      'Gitea/Forgejo refused (403: "token does not have required scope(s)")',
      403,
    );
    const refused = statusRefusal(wide, 'acme/site') as ForgeError;
    expect(refused.kind).toBe('resource_forbidden');
    expect(refused.resource).toBe('commit statuses of acme/site');
    expect(refused.message).toBe(wide.message);
    // A refusal read as one of the repository is re-worded as one of its commit statuses; the forge's words stay.
    const ofRepository = new ForgeError(
      { type: 'github', label: 'GitHub' },
      'resource_forbidden',
      'GitHub refused access to repository acme/site (403: "Resource not accessible by integration")',
      403,
      undefined,
      'repository acme/site',
    );
    const reworded = statusRefusal(ofRepository, 'acme/site') as ForgeError;
    expect(reworded.kind).toBe('resource_forbidden');
    expect(reworded.resource).toBe('commit statuses of acme/site');
    expect(reworded.message).toBe('GitHub refused access to commit statuses of acme/site (403: "Resource not accessible by integration")');
    expect(statusRefusal(reworded, 'acme/site')).toBe(reworded);
    const other = new ForgeError('gitea', 'unavailable', 'down', 503);
    expect(statusRefusal(other, 'acme/site')).toBe(other);
  });
});
