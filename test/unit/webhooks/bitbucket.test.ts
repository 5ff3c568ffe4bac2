import { describe, it, expect } from 'vitest';
import { type NormalizedPush, type ParsedWebhook } from '../../../src/modules/webhooks/domain/push.js';
import { bitbucketWebhooks } from '../../../src/forges/bitbucket/bitbucket-webhooks.js';
import { clone, fixtureJson, ZERO } from './fixtures.js';

const NEW = '709d658dc5b6d6afcd46049c2f332ee3f515a67d';
const OLD = '1e65c05c1d5171631d92438a13901ca7dae9618c';

function pushesOf(parsed: ParsedWebhook): readonly NormalizedPush[] {
  expect(parsed.kind).toBe('push');
  if (parsed.kind !== 'push') throw new Error('not a push');
  return parsed.pushes;
}

type Change = Record<string, unknown> & { new: Record<string, unknown> | null; old: Record<string, unknown> | null };

/** The fixture with its single change plus a created annotated tag and a deleted branch. */
function threeChangePush(): Record<string, unknown> {
  const payload = clone(fixtureJson('bitbucket', 'repo-push.json'));
  const push = payload['push'] as { changes: Change[] };
  const [update] = push.changes;
  const tagCreated: Change = {
    ...clone(update!),
    old: null,
    created: true,
    new: {
      type: 'tag',
      name: 'v2.0.0',
      message: 'Release 2.0.0\n',
      target: {
        type: 'commit',
        hash: NEW,
        message: 'new commit message\n',
        author: { type: 'author', raw: 'Ann Example <ann@example.com>' },
      },
    },
  };
  const branchDeleted: Change = { ...clone(update!), new: null, closed: true, forced: false };
  branchDeleted.old = { ...branchDeleted.old, name: 'feature/old' };
  push.changes = [update!, tagCreated, branchDeleted];
  return payload;
}

describe('Bitbucket repo:push parsing', () => {
  it("turns the fixture's change into a branch push without file lists", () => {
    const pushes = pushesOf(bitbucketWebhooks.parse('repo:push', fixtureJson('bitbucket', 'repo-push.json')));
    expect(pushes).toEqual([
      {
        repository: 'team_name/repo_name',
        repositoryId: '{673a6070-3421-46c9-9d48-90745f7bfe8e}',
        ref: { type: 'branch', name: 'name-of-branch' },
        commitSha: NEW,
        beforeSha: OLD,
        headCommit: { message: 'new commit message\n', author: 'Emma' },
        changedFiles: [],
        filesComplete: false,
        created: false,
        deleted: false,
        forced: false,
      },
    ]);
  });

  it('reads every change of a multi-ref push, not only changes[0]', () => {
    const pushes = pushesOf(bitbucketWebhooks.parse('repo:push', threeChangePush()));
    expect(pushes).toHaveLength(3);
    expect(pushes[0]).toMatchObject({ ref: { type: 'branch', name: 'name-of-branch' }, commitSha: NEW, deleted: false });
    expect(pushes[1]).toMatchObject({
      ref: { type: 'tag', name: 'v2.0.0' },
      commitSha: NEW,
      created: true,
      deleted: false,
      headCommit: { message: 'new commit message\n', author: 'Ann Example' },
    });
    expect(pushes[1]!.beforeSha).toBeUndefined();
    expect(pushes[2]).toMatchObject({ ref: { type: 'branch', name: 'feature/old' }, deleted: true, commitSha: ZERO, beforeSha: OLD });
    expect(pushes[2]!.headCommit).toBeUndefined();
    expect(pushes.every((p) => p.repository === 'team_name/repo_name' && !p.filesComplete)).toBe(true);
  });

  it('keeps forced and maps annotated_tag to a tag', () => {
    const payload = clone(fixtureJson('bitbucket', 'repo-push.json'));
    const change = (payload['push'] as { changes: Change[] }).changes[0]!;
    change['forced'] = true;
    change.new!['type'] = 'annotated_tag';
    change.new!['name'] = 'v3';
    const [push] = pushesOf(bitbucketWebhooks.parse('repo:push', payload));
    expect(push).toMatchObject({ forced: true, ref: { type: 'tag', name: 'v3' }, commitSha: NEW });
  });

  it('skips Mercurial bookmarks; a push of nothing deployable is ignored', () => {
    const payload = clone(fixtureJson('bitbucket', 'repo-push.json'));
    const change = (payload['push'] as { changes: Change[] }).changes[0]!;
    change.new!['type'] = 'bookmark';
    change.old!['type'] = 'bookmark';
    expect(bitbucketWebhooks.parse('repo:push', payload)).toEqual({ kind: 'ignored', reason: 'no_ref_changes' });
  });
});

describe('Bitbucket events that are not pushes', () => {
  it.each([
    ['pullrequest:created', 'pull-request-created.json'],
    ['pullrequest:fulfilled', 'pull-request-merged.json'],
    ['repo:fork', 'repo-fork.json'],
    ['repo:commit_status_created', 'repo-commit-status-created.json'],
  ])('%s is ignored', (event, file) => {
    expect(bitbucketWebhooks.parse(event, fixtureJson('bitbucket', file))).toEqual({
      kind: 'ignored',
      reason: `unsupported_event: ${event}`,
    });
  });

  it('ignores a repo:push without push.changes; throws for non-objects', () => {
    expect(bitbucketWebhooks.parse('repo:push', fixtureJson('bitbucket', 'repo-fork.json'))).toEqual({
      kind: 'ignored',
      reason: 'malformed_payload: repo:push',
    });
    expect(() => bitbucketWebhooks.parse('repo:push', 'x')).toThrow(TypeError);
  });
});
