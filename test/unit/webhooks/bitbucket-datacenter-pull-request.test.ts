import { describe, expect, it } from 'vitest';
import { type NormalizedPullRequest } from '../../../src/modules/webhooks/domain/pull-request.js';
import { type ParsedWebhook } from '../../../src/modules/webhooks/domain/push.js';
import { bitbucketDatacenterWebhooks as dc } from '../../../src/forges/bitbucket-datacenter/index.js';
import { clone, fixtureJson } from './fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FORGE = 'bitbucket-datacenter';

function requestOf(parsed: ParsedWebhook): NormalizedPullRequest {
  expect(parsed.kind).toBe('pull-request');
  if (parsed.kind !== 'pull-request') throw new Error('not a pull request');
  return parsed.pullRequest;
}

/** The real `pr:*` payloads (test/fixtures/webhooks/bitbucket-datacenter, from Woodpecker's fixtures). */
describe('Bitbucket Data Center pull request payloads → NormalizedPullRequest', () => {
  it('pr:opened: the target repository, its id, the request and fromRef.latestCommit as the full head', () => {
    expect(requestOf(dc.parse('pr:opened', fixtureJson(FORGE, 'pr-opened.json')))).toEqual({
      action: 'requested',
      repository: 'DEV/network-monitor',
      repositoryId: '1079',
      number: 125,
      title: 'feat: gather statistics about Woodpecker migration',
      url: 'https://bitbucket.example.com/projects/DEV/repos/network-monitor/pull-requests/125',
      sourceBranch: 'PROJ-4596',
      targetBranch: 'main',
      fromFork: false,
      author: 'mike.johnson_vendor.com',
      head: { sha: '1c7589876bc8b5e83122b1656925d679915193d4', complete: true, message: '', author: '' },
      merged: false,
    });
  });

  it('pr:from_ref_updated (new commits) is a request for the new head', () => {
    const payload = clone(fixtureJson(FORGE, 'pr-opened.json')) as Json;
    payload['pullRequest']['fromRef']['latestCommit'] = 'cd'.repeat(20);
    const request = requestOf(dc.parse('pr:from_ref_updated', payload));
    expect(request).toMatchObject({ action: 'requested', head: { sha: 'cd'.repeat(20), complete: true } });
  });

  it('pr:merged closes and says merged; pr:declined and pr:deleted close without merging', () => {
    const merged = requestOf(dc.parse('pr:merged', fixtureJson(FORGE, 'pr-merged.json')));
    expect(merged).toMatchObject({
      action: 'closed',
      merged: true,
      repository: 'DEV/deployment-automation',
      repositoryId: '1684',
      number: 111,
      targetBranch: 'master',
      sourceBranch: 'PROJ-4584',
      fromFork: false,
    });
    for (const event of ['pr:declined', 'pr:deleted'])
      expect(requestOf(dc.parse(event, fixtureJson(FORGE, 'pr-merged.json')))).toMatchObject({
        action: 'closed',
        merged: false,
        number: 111,
      });
  });

  it('a request from a personal fork (fromRef.repository.id differs from toRef’s) is fromFork, named after the target', () => {
    const request = requestOf(dc.parse('pr:opened', fixtureJson(FORGE, 'pr-opened-from-fork.json')));
    expect(request).toMatchObject({
      repository: 'DEV/deployment-automation',
      repositoryId: '1684',
      number: 114,
      fromFork: true,
      sourceBranch: 'master',
      targetBranch: 'master',
      head: { sha: '716e510cecbe203618609cf103c54e040b949739', complete: true },
    });
  });

  it('a fork that was deleted (no fromRef.repository) counts as a fork', () => {
    const payload = clone(fixtureJson(FORGE, 'pr-opened.json')) as Json;
    delete payload['pullRequest']['fromRef']['repository'];
    expect(requestOf(dc.parse('pr:opened', payload)).fromFork).toBe(true);
  });

  it('other pr:* events are unsupported; a payload without pullRequest is malformed', () => {
    expect(dc.parse('pr:modified', fixtureJson(FORGE, 'pr-opened.json'))).toMatchObject({
      kind: 'ignored',
      reason: 'unsupported_event: pr:modified',
    });
    expect(dc.parse('pr:reviewer:approved', fixtureJson(FORGE, 'pr-opened.json'))).toMatchObject({ kind: 'ignored' });
    expect(dc.parse('pr:opened', { eventKey: 'pr:opened' })).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining('malformed'),
    });
  });

  it('an abbreviated latestCommit is marked incomplete (never emitted as a preview sha)', () => {
    const payload = clone(fixtureJson(FORGE, 'pr-opened.json')) as Json;
    payload['pullRequest']['fromRef']['latestCommit'] = '1c7589876bc8';
    expect(requestOf(dc.parse('pr:opened', payload)).head).toMatchObject({ sha: '1c7589876bc8', complete: false });
  });
});
