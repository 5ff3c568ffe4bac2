import { describe, it, expect } from 'vitest';
import { giteaWebhooks } from '../../../src/forges/gitea/gitea-webhooks.js';
import { clone, fixtureJson, ZERO, onlyPush } from './fixtures.js';

const COMMIT = '67b56589a45103f891bdee7c0546e5d40bc02001';

describe('Gitea / Forgejo push parsing', () => {
  it('turns the push fixture into a created branch; files are unknown-complete without total_commits (Gitea < 1.18)', () => {
    const push = onlyPush(giteaWebhooks.parse('push', fixtureJson('gitea', 'push-event.json')));
    expect(push).toEqual({
      repository: 'example/example',
      repositoryId: '1',
      ref: { type: 'branch', name: 'master' },
      commitSha: COMMIT,
      beforeSha: ZERO,
      headCommit: { message: 'example\n', author: 'example' },
      changedFiles: ['example'],
      filesComplete: false,
      created: true,
      deleted: false,
      forced: false,
    });
  });

  it('trusts the file list when total_commits says every commit is listed', () => {
    const payload = clone(fixtureJson('gitea', 'push-event.json'));
    payload['total_commits'] = 1;
    expect(onlyPush(giteaWebhooks.parse('push', payload)).filesComplete).toBe(true);
    payload['total_commits'] = 16; // Forgejo lists at most 15
    expect(onlyPush(giteaWebhooks.parse('push', payload)).filesComplete).toBe(false);
  });

  it('marks files incomplete when commits carry no added/modified/removed lists', () => {
    const payload = clone(fixtureJson('gitea', 'push-event.json'));
    payload['total_commits'] = 1;
    const commit = (payload['commits'] as Record<string, unknown>[])[0]!;
    delete commit['added'];
    delete commit['modified'];
    delete commit['removed'];
    expect(onlyPush(giteaWebhooks.parse('push', payload)).filesComplete).toBe(false);
  });

  it('parses a tag push (refs/tags/...) and deploys the tagged commit, not the annotated tag object', () => {
    const payload = clone(fixtureJson('gitea', 'push-event.json'));
    payload['ref'] = 'refs/tags/v1.2.0';
    payload['after'] = 'c0ffee0000000000000000000000000000000001';
    const push = onlyPush(giteaWebhooks.parse('push', payload));
    expect(push.ref).toEqual({ type: 'tag', name: 'v1.2.0' });
    expect(push.commitSha).toBe(COMMIT);
  });

  it('reads a push with after all zeros as a deletion', () => {
    const payload = clone(fixtureJson('gitea', 'push-event.json'));
    payload['before'] = COMMIT;
    payload['after'] = ZERO;
    payload['commits'] = [];
    payload['head_commit'] = null;
    const push = onlyPush(giteaWebhooks.parse('push', payload));
    expect(push).toMatchObject({ deleted: true, created: false, commitSha: ZERO, beforeSha: COMMIT });
    expect(push.headCommit).toBeUndefined();
  });

  it('accepts commits: null (Gitea sends it for pushes without new commits)', () => {
    const payload = clone(fixtureJson('gitea', 'push-event.json'));
    payload['commits'] = null;
    expect(onlyPush(giteaWebhooks.parse('push', payload)).changedFiles).toEqual([]);
  });
});

describe('Gitea / Forgejo events that are not pushes', () => {
  it.each([
    ['create', 'create-event.json'],
    ['delete', 'delete-event.json'],
    ['pull_request', 'pull-request-event.json'],
    ['release', 'release-event.json'],
  ])('%s is ignored (the push event already carries ref changes)', (event, file) => {
    expect(giteaWebhooks.parse(event, fixtureJson('gitea', file))).toEqual({ kind: 'ignored', reason: `unsupported_event: ${event}` });
  });

  it('ignores a malformed push and a missing event header; throws for non-objects', () => {
    expect(giteaWebhooks.parse('push', { ref: 'refs/heads/x' })).toEqual({ kind: 'ignored', reason: 'malformed_payload: push' });
    expect(giteaWebhooks.parse(undefined, {})).toEqual({ kind: 'ignored', reason: 'missing_event_header' });
    expect(() => giteaWebhooks.parse('push', true)).toThrow(TypeError);
  });
});
