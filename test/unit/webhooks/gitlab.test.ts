import { describe, it, expect } from 'vitest';
import { gitlabWebhooks } from '../../../src/forges/gitlab/gitlab-webhooks.js';
import { clone, fixtureJson, ZERO, onlyPush } from './fixtures.js';

describe('GitLab push parsing', () => {
  it('turns the Push Hook fixture into a branch push deploying checkout_sha, files incomplete (4 pushed, 2 listed)', () => {
    const push = onlyPush(gitlabWebhooks.parse('Push Hook', fixtureJson('gitlab', 'push-event.json')));
    expect(push).toEqual({
      repository: 'mike/diaspora',
      repositoryId: '15',
      ref: { type: 'branch', name: 'master' },
      commitSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      beforeSha: '95790bf891e76fee5e1747ab589903a6a1f80f22',
      headCommit: { message: 'fixed readme', author: 'GitLab dev user' },
      changedFiles: ['CHANGELOG', 'app/controller/application.rb'],
      filesComplete: false,
      created: false,
      deleted: false,
      forced: false,
    });
  });

  it("parses go-gitlab's push fixture the same way (head commit = the commit at checkout_sha)", () => {
    const push = onlyPush(gitlabWebhooks.parse('Push Hook', fixtureJson('gitlab-go-gitlab', 'push.json')));
    expect(push.commitSha).toBe('da1560886d4f094c3e6c9ef40349f7d38b5d27d7');
    expect(push.headCommit).toEqual({ message: 'fixed readme\n', author: 'GitLab dev user' });
  });

  it('has complete files when every pushed commit is listed', () => {
    const payload = clone(fixtureJson('gitlab', 'push-event.json'));
    payload['total_commits_count'] = 2;
    expect(onlyPush(gitlabWebhooks.parse('Push Hook', payload)).filesComplete).toBe(true);
  });

  it('parses the Tag Push Hook fixture: a created tag with no listed commits', () => {
    const push = onlyPush(gitlabWebhooks.parse('Tag Push Hook', fixtureJson('gitlab', 'tag-event.json')));
    expect(push).toMatchObject({
      repository: 'jsmith/example',
      ref: { type: 'tag', name: 'v1.0.0' },
      commitSha: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
      beforeSha: ZERO,
      created: true,
      deleted: false,
    });
    expect(push.headCommit).toBeUndefined();
  });

  it("parses go-gitlab's tag_push fixture with its head commit", () => {
    const push = onlyPush(gitlabWebhooks.parse('Tag Push Hook', fixtureJson('gitlab-go-gitlab', 'tag_push.json')));
    expect(push.ref).toEqual({ type: 'tag', name: 'v1.0.0' });
    expect(push.commitSha).toBe('82b3d5ae55f7080f1e6022629cdb57bfae7cccc7');
    expect(push.headCommit?.author).toBe('John Smith');
    expect(push.headCommit?.message).toMatch(/^Merge branch 'some-feature' into 'master'/);
  });

  it('deploys checkout_sha, not the annotated tag object in `after` (system hook tag fixture)', () => {
    const push = onlyPush(gitlabWebhooks.parse('System Hook', fixtureJson('gitlab', 'system-tag-event.json')));
    expect(push.ref).toEqual({ type: 'tag', name: 'v1.0.0' });
    expect(push.commitSha).toBe('5937ac0a7beb003549fc5fd26fc247adbce4a52e');
  });

  it('reads a System Hook push, whose commits carry no file lists, as files incomplete', () => {
    const push = onlyPush(gitlabWebhooks.parse('System Hook', fixtureJson('gitlab', 'system-push-event.json')));
    expect(push.repository).toBe('mike/diaspora');
    expect(push.commitSha).toBe('da1560886d4f094c3e6c9ef40349f7d38b5d27d7');
    expect(push.changedFiles).toEqual([]);
    expect(push.filesComplete).toBe(false);
    expect(push.headCommit?.message).toBe('Add simple search to projects in public area');
  });

  it('marks a branch deletion (after all zeros, checkout_sha null) as deleted', () => {
    const payload = clone(fixtureJson('gitlab', 'push-event.json'));
    payload['after'] = ZERO;
    payload['checkout_sha'] = null;
    payload['commits'] = [];
    payload['total_commits_count'] = 0;
    const push = onlyPush(gitlabWebhooks.parse('Push Hook', payload));
    expect(push).toMatchObject({ deleted: true, commitSha: ZERO, beforeSha: '95790bf891e76fee5e1747ab589903a6a1f80f22' });
  });

  it('keeps subgroups in the repository path', () => {
    const payload = clone(fixtureJson('gitlab', 'push-event.json'));
    (payload['project'] as Record<string, unknown>)['path_with_namespace'] = 'group/sub/app';
    expect(onlyPush(gitlabWebhooks.parse('Push Hook', payload)).repository).toBe('group/sub/app');
  });
});

describe('GitLab events that are not pushes', () => {
  it.each([
    ['Merge Request Hook', 'gitlab', 'merge-request-event.json', 'unsupported_event: Merge Request Hook'],
    ['Pipeline Hook', 'gitlab', 'pipeline-event.json', 'unsupported_event: Pipeline Hook'],
    ['System Hook', 'gitlab', 'system-project-created.json', 'unsupported_event: System Hook: project_create'],
    ['Push Hook', 'gitlab-go-gitlab', 'merge_request.json', 'unsupported_event: Push Hook: merge_request'],
  ])('%s (%s/%s) is ignored', (event, forge, file, reason) => {
    expect(gitlabWebhooks.parse(event, fixtureJson(forge, file))).toEqual({ kind: 'ignored', reason });
  });

  it('ignores a push without a project, and a missing event header', () => {
    const payload = clone(fixtureJson('gitlab', 'push-event.json'));
    delete payload['project'];
    expect(gitlabWebhooks.parse('Push Hook', payload)).toEqual({ kind: 'ignored', reason: 'malformed_payload: Push Hook' });
    expect(gitlabWebhooks.parse(undefined, fixtureJson('gitlab', 'push-event.json'))).toEqual({
      kind: 'ignored',
      reason: 'missing_event_header',
    });
  });

  it('throws for JSON that is not an object', () => {
    expect(() => gitlabWebhooks.parse('Push Hook', 42)).toThrow(TypeError);
  });
});
