import { describe, it, expect } from 'vitest';
import { githubWebhooks } from '../../../src/forges/github/github-webhooks.js';
import { gitlabWebhooks } from '../../../src/forges/gitlab/gitlab-webhooks.js';
import { giteaWebhooks } from '../../../src/forges/gitea/gitea-webhooks.js';
import { bitbucketWebhooks } from '../../../src/forges/bitbucket/bitbucket-webhooks.js';
import { type ParsedWebhook } from '../../../src/modules/webhooks/domain/push.js';
import { type NormalizedPullRequest } from '../../../src/modules/webhooks/domain/pull-request.js';
import { clone, fixtureJson, octokitExamples } from './fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function onlyRequest(parsed: ParsedWebhook): NormalizedPullRequest {
  expect(parsed.kind).toBe('pull-request');
  if (parsed.kind !== 'pull-request') throw new Error(`not a pull request: ${JSON.stringify(parsed)}`);
  return parsed.pullRequest;
}

const github = (action: string): Json => {
  const example = octokitExamples('pull_request').find((e) => e['action'] === action);
  if (!example) throw new Error(`no pull_request ${action} in @octokit/webhooks-examples`);
  return clone(example) as Json;
};

describe('GitHub pull_request (@octokit/webhooks-examples)', () => {
  it('opened → requested with the head commit, target and source branches', () => {
    expect(onlyRequest(githubWebhooks.parse('pull_request', github('opened')))).toEqual({
      action: 'requested',
      repository: 'Codertocat/Hello-World',
      repositoryId: '186853002',
      number: 2,
      title: 'Update the README with new information.',
      url: 'https://github.com/Codertocat/Hello-World/pull/2',
      sourceBranch: 'changes',
      targetBranch: 'master',
      fromFork: false,
      author: 'Codertocat',
      head: { sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', complete: true, message: '', author: '' },
      merged: false,
    });
  });

  it('reopened and synchronize are requests too; closed carries merged', () => {
    expect(onlyRequest(githubWebhooks.parse('pull_request', github('reopened'))).action).toBe('requested');
    expect(onlyRequest(githubWebhooks.parse('pull_request', github('synchronize'))).action).toBe('requested');
    const closed = onlyRequest(githubWebhooks.parse('pull_request', github('closed')));
    expect(closed).toMatchObject({ action: 'closed', merged: false, number: 2 });
    const merged = github('closed');
    merged['pull_request']['merged'] = true;
    expect(onlyRequest(githubWebhooks.parse('pull_request', merged))).toMatchObject({ action: 'closed', merged: true });
  });

  it('a head in another repository (or a deleted fork) is a fork', () => {
    const fork = github('opened');
    fork['pull_request']['head']['repo']['id'] = 999;
    expect(onlyRequest(githubWebhooks.parse('pull_request', fork)).fromFork).toBe(true);
    const gone = github('opened');
    gone['pull_request']['head']['repo'] = null;
    expect(onlyRequest(githubWebhooks.parse('pull_request', gone)).fromFork).toBe(true);
  });

  it('ignores unrelated actions, keeping the repository for hook health', () => {
    for (const action of ['labeled', 'assigned', 'review_requested', 'ready_for_review', 'converted_to_draft', 'locked']) {
      expect(githubWebhooks.parse('pull_request', github(action))).toEqual({
        kind: 'ignored',
        reason: `unsupported_event: pull_request ${action}`,
        repositoryId: '186853002',
      });
    }
  });
});

describe('GitLab Merge Request Hook (gitlab/merge-request-event.json, GitLab docs example)', () => {
  const mr = (): Json => clone(fixtureJson('gitlab', 'merge-request-event.json')) as Json;

  it('open → requested, with the last commit, and the project as the repository', () => {
    expect(onlyRequest(gitlabWebhooks.parse('Merge Request Hook', mr()))).toEqual({
      action: 'requested',
      repository: 'gitlabhq/gitlab-test',
      repositoryId: '1',
      number: 1,
      title: 'MS-Viewport',
      url: 'http://example.com/diaspora/merge_requests/1',
      sourceBranch: 'ms-viewport',
      targetBranch: 'master',
      fromFork: false,
      author: 'root',
      head: { sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', complete: true, message: 'fixed readme', author: 'GitLab dev user' },
      merged: false,
    });
  });

  it('update with oldrev is new commits; update without it is an edit and ignored', () => {
    const pushed = mr();
    pushed['object_attributes']['action'] = 'update';
    pushed['object_attributes']['oldrev'] = 'b'.repeat(40);
    expect(onlyRequest(gitlabWebhooks.parse('Merge Request Hook', pushed)).action).toBe('requested');
    const edited = mr();
    edited['object_attributes']['action'] = 'update';
    expect(gitlabWebhooks.parse('Merge Request Hook', edited)).toMatchObject({
      kind: 'ignored',
      reason: 'unsupported_event: Merge Request Hook update',
    });
  });

  it('close → closed, merge → closed and merged; reopen → requested; approved is ignored', () => {
    const at = (action: string) => {
      const payload = mr();
      payload['object_attributes']['action'] = action;
      return gitlabWebhooks.parse('Merge Request Hook', payload);
    };
    expect(onlyRequest(at('close'))).toMatchObject({ action: 'closed', merged: false });
    expect(onlyRequest(at('merge'))).toMatchObject({ action: 'closed', merged: true });
    expect(onlyRequest(at('reopen'))).toMatchObject({ action: 'requested' });
    expect(at('approved')).toMatchObject({ kind: 'ignored', repositoryId: '1' });
  });

  it('a source project other than the target is a fork', () => {
    const fork = mr();
    fork['object_attributes']['source_project_id'] = 99;
    expect(onlyRequest(gitlabWebhooks.parse('Merge Request Hook', fork)).fromFork).toBe(true);
  });

  it('go-gitlab’s merge request example parses the same way', () => {
    expect(onlyRequest(gitlabWebhooks.parse('Merge Request Hook', fixtureJson('gitlab-go-gitlab', 'merge_request.json')))).toMatchObject({
      action: 'requested',
      number: 1,
      author: 'user1',
    });
  });
});

describe('Gitea/Forgejo pull_request (gitea/pull-request-event.json)', () => {
  const pr = (): Json => clone(fixtureJson('gitea', 'pull-request-event.json')) as Json;

  it('the fixture is a request from a fork (example2/example → example/example)', () => {
    expect(onlyRequest(giteaWebhooks.parse('pull_request', pr()))).toEqual({
      action: 'requested',
      repository: 'example/example',
      repositoryId: '1',
      number: 2,
      title: 'update',
      url: 'http://localhost:3000/example/example/pulls/2',
      sourceBranch: 'master',
      targetBranch: 'master',
      fromFork: true,
      author: 'example2',
      head: { sha: '48e773f892a831faa47c0a160d1b7f0cd369ae2a', complete: true, message: '', author: '' },
      merged: false,
    });
  });

  it('synchronized is new commits, closed carries merged; a head in the same repository is not a fork', () => {
    const same = pr();
    same['pull_request']['head']['repo_id'] = 1;
    same['pull_request']['head']['repo']['id'] = 1;
    same['action'] = 'synchronized';
    expect(onlyRequest(giteaWebhooks.parse('pull_request', same))).toMatchObject({ action: 'requested', fromFork: false });
    same['action'] = 'closed';
    same['pull_request']['merged'] = true;
    expect(onlyRequest(giteaWebhooks.parse('pull_request', same))).toMatchObject({ action: 'closed', merged: true });
  });

  it('ignores label, assignment and review events', () => {
    expect(giteaWebhooks.parse('pull_request', fixtureJson('gitea', 'pull-request-label-event.json'))).toMatchObject({
      kind: 'ignored',
      reason: 'unsupported_event: pull_request label_updated',
    });
    expect(giteaWebhooks.parse('pull_request_review_approved', fixtureJson('gitea', 'pull-request-review-event.json'))).toMatchObject({
      kind: 'ignored',
    });
  });
});

describe('Bitbucket Cloud pullrequest:* (bitbucket/pull-request-*.json, Atlassian docs examples)', () => {
  it('created → requested with the abbreviated head still to resolve', () => {
    expect(onlyRequest(bitbucketWebhooks.parse('pullrequest:created', fixtureJson('bitbucket', 'pull-request-created.json')))).toEqual({
      action: 'requested',
      repository: 'team_name/repo_name',
      repositoryId: '{673a6070-3421-46c9-9d48-90745f7bfe8e}',
      number: 1,
      title: 'Title of pull request',
      url: 'https://api.bitbucket.org/pullrequest_id',
      sourceBranch: 'branch2',
      targetBranch: 'master',
      fromFork: false,
      author: 'emmap1',
      head: { sha: 'd3022fc0ca3d', complete: false, message: '', author: '' },
      merged: false,
    });
  });

  it('updated → requested, fulfilled → closed and merged, rejected → closed', () => {
    expect(onlyRequest(bitbucketWebhooks.parse('pullrequest:updated', fixtureJson('bitbucket', 'pull-request-updated.json'))).action).toBe(
      'requested',
    );
    expect(
      onlyRequest(bitbucketWebhooks.parse('pullrequest:fulfilled', fixtureJson('bitbucket', 'pull-request-merged.json'))),
    ).toMatchObject({
      action: 'closed',
      merged: true,
    });
    expect(
      onlyRequest(bitbucketWebhooks.parse('pullrequest:rejected', fixtureJson('bitbucket', 'pull-request-declined.json'))),
    ).toMatchObject({
      action: 'closed',
      merged: false,
    });
  });

  it('a source repository other than the destination is a fork; approvals and comments are ignored', () => {
    const fork = clone(fixtureJson('bitbucket', 'pull-request-created.json')) as Json;
    fork['pullrequest']['source']['repository']['uuid'] = '{00000000-0000-4000-8000-000000000001}';
    expect(onlyRequest(bitbucketWebhooks.parse('pullrequest:created', fork)).fromFork).toBe(true);
    expect(bitbucketWebhooks.parse('pullrequest:approved', fixtureJson('bitbucket', 'pull-request-approved.json'))).toMatchObject({
      kind: 'ignored',
      reason: 'unsupported_event: pullrequest:approved',
    });
  });
});
