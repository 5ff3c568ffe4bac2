import { describe, it, expect } from 'vitest';
import { githubWebhooks } from '../../../src/forges/github/github-webhooks.js';
import { clone, fixtureJson, octokitExamples, ZERO, onlyPush } from './fixtures.js';

describe('GitHub push parsing', () => {
  it('turns the go-playground push fixture into a branch push with its files', () => {
    const push = onlyPush(githubWebhooks.parse('push', fixtureJson('github', 'push.json')));
    expect(push).toEqual({
      repository: 'binkkatal/sample_app',
      repositoryId: '63933911',
      ref: { type: 'branch', name: 'master' },
      commitSha: 'fd489864e7642b48eaad6e3f155c10e46810ec72',
      beforeSha: '737d38c599c1b2991664dfc6155d6bf516fcce36',
      headCommit: { message: 'test a push event', author: 'binkkatal' },
      changedFiles: ['.razorops.yaml', 'app/controllers/application_controller.rb'],
      filesComplete: true,
      created: false,
      deleted: false,
      forced: false,
    });
  });

  const examples = octokitExamples('push');

  it('has the octokit push examples to test against', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  it("parses octokit's branch creation (before all zeros, one commit adding README.md)", () => {
    const created = examples.find((e) => e['ref'] === 'refs/heads/master' && e['created'] === true)!;
    const push = onlyPush(githubWebhooks.parse('push', created));
    expect(push.ref).toEqual({ type: 'branch', name: 'master' });
    expect(push.repository).toBe('Codertocat/Hello-World');
    expect(push.commitSha).toBe('6113728f27ae82c7b1a177c8d03f9e96e0adf246');
    expect(push.created).toBe(true);
    expect(push.changedFiles).toEqual(['README.md']);
    expect(push.headCommit?.message).toBe('Initial commit');
  });

  it("parses octokit's lightweight tag push: a tag ref deploying head_commit", () => {
    const tag = examples.find((e) => e['ref'] === 'refs/tags/simple-tag' && e['created'] === true)!;
    const push = onlyPush(githubWebhooks.parse('push', tag));
    expect(push.ref).toEqual({ type: 'tag', name: 'simple-tag' });
    expect(push.commitSha).toBe('6113728f27ae82c7b1a177c8d03f9e96e0adf246');
    expect(push.deleted).toBe(false);
  });

  it('deploys the tagged commit, not the tag object, for an annotated tag (go-scm#8)', () => {
    const annotated = clone(examples.find((e) => e['ref'] === 'refs/tags/simple-tag' && e['created'] === true)!);
    annotated['after'] = '9f3c7a0c4b7e5d2f1a8b6c4d2e0f9a8b7c6d5e4f'; // the tag object
    const push = onlyPush(githubWebhooks.parse('push', annotated));
    expect(push.commitSha).toBe('6113728f27ae82c7b1a177c8d03f9e96e0adf246');
  });

  it("marks octokit's tag deletion as deleted, with no head commit", () => {
    const deletion = examples.find((e) => e['ref'] === 'refs/tags/simple-tag' && e['deleted'] === true)!;
    const push = onlyPush(githubWebhooks.parse('push', deletion));
    expect(push).toMatchObject({ ref: { type: 'tag', name: 'simple-tag' }, deleted: true, commitSha: ZERO });
    expect(push.beforeSha).toBe('6113728f27ae82c7b1a177c8d03f9e96e0adf246');
    expect(push.headCommit).toBeUndefined();
  });

  it('treats after all zeros as a deletion even without deleted: true', () => {
    const payload = clone(fixtureJson('github', 'push.json'));
    payload['after'] = ZERO;
    delete payload['deleted'];
    expect(onlyPush(githubWebhooks.parse('push', payload)).deleted).toBe(true);
  });

  it('keeps forced from the payload', () => {
    const payload = clone(fixtureJson('github', 'push.json'));
    payload['forced'] = true;
    expect(onlyPush(githubWebhooks.parse('push', payload)).forced).toBe(true);
  });

  it("marks files incomplete at GitHub's caps: 2048 commits, 3000 paths per list", () => {
    const base = fixtureJson('github', 'push.json');
    const commit = (base['commits'] as Record<string, unknown>[])[0]!;
    const many = clone(base);
    many['commits'] = Array.from({ length: 2048 }, (_, i) => ({ ...commit, id: i.toString(16).padStart(40, '0') }));
    expect(onlyPush(githubWebhooks.parse('push', many)).filesComplete).toBe(false);

    const wide = clone(base);
    wide['commits'] = [{ ...commit, added: Array.from({ length: 3000 }, (_, i) => `f${i}`) }];
    expect(onlyPush(githubWebhooks.parse('push', wide)).filesComplete).toBe(false);

    const under = clone(base);
    under['commits'] = Array.from({ length: 30 }, (_, i) => ({ ...commit, id: i.toString(16).padStart(40, '0') }));
    expect(onlyPush(githubWebhooks.parse('push', under)).filesComplete).toBe(true);
  });

  it('unions the files of every commit without duplicates', () => {
    const payload = clone(fixtureJson('github', 'push.json'));
    const commit = (payload['commits'] as Record<string, unknown>[])[0]!;
    payload['commits'] = [commit, { ...commit, id: 'b'.repeat(40), added: [], modified: ['README.md'], removed: ['.razorops.yaml'] }];
    expect(onlyPush(githubWebhooks.parse('push', payload)).changedFiles).toEqual([
      '.razorops.yaml',
      'app/controllers/application_controller.rb',
      'README.md',
    ]);
  });
});

describe('GitHub events that are not pushes', () => {
  it.each([
    ['ping', 'ping.json', 'ping'],
    ['pull_request', 'pull-request.json', 'unsupported_event: pull_request'],
    ['create', 'create.json', 'unsupported_event: create'],
    ['delete', 'delete.json', 'unsupported_event: delete'],
  ])('%s is ignored with a reason', (event, file, reason) => {
    expect(githubWebhooks.parse(event, fixtureJson('github', file))).toEqual({ kind: 'ignored', reason });
  });

  it('repository created/deleted/renamed/transferred and installation_repositories added/removed change the repositories list', () => {
    expect(githubWebhooks.parse('repository', fixtureJson('github', 'repository.json'))).toEqual({
      kind: 'repositories-changed',
      reason: 'repository_list_changed: repository created',
    });
    expect(githubWebhooks.parse('installation_repositories', fixtureJson('github', 'installation-repositories.json'))).toEqual({
      kind: 'repositories-changed',
      reason: 'repository_list_changed: installation_repositories removed',
    });
    for (const action of ['deleted', 'renamed', 'transferred'])
      expect(githubWebhooks.parse('repository', { ...fixtureJson('github', 'repository.json'), action }).kind).toBe('repositories-changed');
    // Edits that keep the list as it is are ignored; so are payloads without an action, and inherited property names.
    for (const action of ['edited', 'archived', 'publicized']) {
      expect(githubWebhooks.parse('repository', { ...fixtureJson('github', 'repository.json'), action })).toEqual({
        kind: 'ignored',
        reason: `unsupported_event: repository ${action}`,
      });
    }
    expect(githubWebhooks.parse('repository', { repository: {} }).kind).toBe('ignored');
    expect(githubWebhooks.parse('constructor', { action: 'created' })).toEqual({
      kind: 'ignored',
      reason: 'unsupported_event: constructor',
    });
  });

  it('installation created/deleted becomes an installation change; other installation actions are ignored', () => {
    expect(githubWebhooks.parse('installation', fixtureJson('github', 'installation.json'))).toEqual({
      kind: 'installation',
      installation: { action: 'deleted', installationId: 2, appId: 5725 },
    });
    const created = octokitExamples('installation').find((e) => e['action'] === 'created');
    expect(githubWebhooks.parse('installation', created)).toEqual({
      kind: 'installation',
      installation: { action: 'created', installationId: 957387, appId: 29310 },
    });
    const suspended = octokitExamples('installation').find((e) => e['action'] === 'suspend');
    expect(githubWebhooks.parse('installation', suspended)).toEqual({ kind: 'ignored', reason: 'unsupported_event: installation suspend' });
    expect(githubWebhooks.parse('installation', { action: 'created' })).toEqual({
      kind: 'ignored',
      reason: 'malformed_payload: installation',
    });
  });

  it('ignores a delivery without an event header', () => {
    expect(githubWebhooks.parse(undefined, fixtureJson('github', 'push.json'))).toEqual({
      kind: 'ignored',
      reason: 'missing_event_header',
    });
  });

  it('ignores a push payload that is not shaped like one, and refs that are neither branch nor tag', () => {
    expect(githubWebhooks.parse('push', { zen: 'hi' })).toEqual({ kind: 'ignored', reason: 'malformed_payload: push' });
    const notes = clone(fixtureJson('github', 'push.json'));
    notes['ref'] = 'refs/notes/commits';
    expect(githubWebhooks.parse('push', notes)).toEqual({ kind: 'ignored', reason: 'unsupported_event: push to refs/notes/commits' });
  });

  it('throws only for JSON that is not an object', () => {
    expect(() => githubWebhooks.parse('push', [1, 2])).toThrow(TypeError);
    expect(() => githubWebhooks.parse('push', 'text')).toThrow(TypeError);
    expect(() => githubWebhooks.parse('push', null)).toThrow(TypeError);
  });
});
