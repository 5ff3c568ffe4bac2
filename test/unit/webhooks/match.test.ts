import { describe, it, expect } from 'vitest';
import {
  PushDecisionReason,
  type PushSource,
  decidePush,
  needsCompare,
  pushIgnoreReason,
} from '../../../src/modules/webhooks/domain/match.js';
import { type NormalizedPush } from '../../../src/modules/webhooks/domain/push.js';
import { forgePlugin } from '../../../src/forges/registry.js';
import { fixtureJson, ZERO } from './fixtures.js';

/** Each forge's verifier and parser, as the registry hands them to the webhook pipeline. */
const webhookForges = {
  github: forgePlugin('github').webhooks,
  gitlab: forgePlugin('gitlab').webhooks,
  gitea: forgePlugin('gitea').webhooks,
  bitbucket: forgePlugin('bitbucket').webhooks,
};

const branchPush = (overrides: Partial<NormalizedPush> = {}): NormalizedPush => ({
  repository: 'acme/shop',
  ref: { type: 'branch', name: 'main' },
  commitSha: 'a'.repeat(40),
  beforeSha: 'b'.repeat(40),
  headCommit: { message: 'Change the checkout', author: 'Ann' },
  changedFiles: ['src/checkout.ts'],
  filesComplete: true,
  created: false,
  deleted: false,
  forced: false,
  ...overrides,
});
const tagPush = (overrides: Partial<NormalizedPush> = {}): NormalizedPush =>
  branchPush({ ref: { type: 'tag', name: 'v1.0.0' }, changedFiles: [], ...overrides });

const pushSource = (overrides: Partial<PushSource> = {}): PushSource => ({
  triggerType: 'push',
  branch: 'main',
  watchPaths: null,
  autoDeploy: true,
  ...overrides,
});
const tagSource = (overrides: Partial<PushSource> = {}): PushSource => pushSource({ triggerType: 'tag', branch: 'main', ...overrides });

describe('pushIgnoreReason', () => {
  it('ignores branch and tag deletions', () => {
    expect(pushIgnoreReason(branchPush({ deleted: true }))).toBe('branch_deleted');
    expect(pushIgnoreReason(tagPush({ deleted: true }))).toBe('tag_deleted');
  });

  it('ignores a head commit carrying a skip marker, naming the marker', () => {
    expect(pushIgnoreReason(branchPush({ headCommit: { message: 'Bump [CI SKIP]', author: 'Ann' } }))).toBe('skip_marker: [ci skip]');
  });

  it('ignores a commit id that is not a full sha (forge payloads are hostile input), whatever else the push says', () => {
    for (const commitSha of ['zz', 'a'.repeat(39), '--upload-pack=x', 'A'.repeat(40) + ' ', `${'a'.repeat(40)}\n`, ''])
      expect(pushIgnoreReason(branchPush({ commitSha })), JSON.stringify(commitSha)).toBe('invalid_commit');
    expect(decidePush(tagPush({ commitSha: 'v1.0.0' }), tagSource(), 'unknown')).toEqual({ deploy: false, reason: 'invalid_commit' });
    expect(pushIgnoreReason(branchPush({ commitSha: 'f'.repeat(64) }))).toBeUndefined();
  });

  it('lets ordinary pushes through, including ones without a head commit', () => {
    expect(pushIgnoreReason(branchPush())).toBeUndefined();
    expect(pushIgnoreReason(branchPush({ headCommit: undefined }))).toBeUndefined();
  });

  it('ignores a parsed GitHub branch deletion', () => {
    const parsed = webhookForges.github.parse('push', { ...fixtureJson('github', 'push.json'), after: ZERO, deleted: true });
    expect(parsed.kind === 'push' && pushIgnoreReason(parsed.pushes[0]!)).toBe(PushDecisionReason.branchDeleted);
  });
});

describe('decidePush', () => {
  it('deploys a branch push to a push source of that branch', () => {
    expect(decidePush(branchPush(), pushSource(), ['src/checkout.ts'])).toEqual({ deploy: true });
  });

  it('does not deploy another branch, or a tag source, for a branch push', () => {
    expect(decidePush(branchPush(), pushSource({ branch: 'develop' }), [])).toEqual({ deploy: false, reason: 'no_matching_source' });
    expect(decidePush(branchPush(), tagSource(), [])).toEqual({ deploy: false, reason: 'no_matching_source' });
    expect(decidePush(branchPush(), pushSource({ branch: null }), [])).toEqual({ deploy: false, reason: 'no_matching_source' });
  });

  it('deploys a tag push to tag sources whatever their branch, never to push sources', () => {
    expect(decidePush(tagPush(), tagSource({ branch: 'release' }), [])).toEqual({ deploy: true });
    expect(decidePush(tagPush(), tagSource({ branch: null }), [])).toEqual({ deploy: true });
    expect(decidePush(tagPush(), pushSource(), [])).toEqual({ deploy: false, reason: 'no_matching_source' });
  });

  it('does not deploy when autoDeploy is off', () => {
    expect(decidePush(branchPush(), pushSource({ autoDeploy: false }), ['src/checkout.ts'])).toEqual({
      deploy: false,
      reason: PushDecisionReason.autoDeployDisabled,
    });
    expect(decidePush(tagPush(), tagSource({ autoDeploy: false }), [])).toEqual({ deploy: false, reason: 'auto_deploy_disabled' });
  });

  it('applies watch paths to known changed files', () => {
    const source = pushSource({ watchPaths: ['src/**', '!src/**/*.md'] });
    expect(decidePush(branchPush(), source, ['src/checkout.ts'])).toEqual({ deploy: true });
    expect(decidePush(branchPush(), source, ['docs/a.md', 'src/readme.md'])).toEqual({ deploy: false, reason: 'watch_paths_not_matched' });
    expect(decidePush(branchPush(), pushSource({ watchPaths: [] }), ['docs/a.md'])).toEqual({ deploy: true });
  });

  it('deploys when the changed files are unknown rather than missing a change', () => {
    expect(decidePush(branchPush({ filesComplete: false }), pushSource({ watchPaths: ['src/**'] }), 'unknown')).toEqual({ deploy: true });
  });

  it('deploys new branches and forced pushes whatever the watch paths (no meaningful diff)', () => {
    const source = pushSource({ watchPaths: ['src/**'] });
    expect(decidePush(branchPush({ created: true, beforeSha: ZERO }), source, ['README.md'])).toEqual({ deploy: true });
    expect(decidePush(branchPush({ forced: true }), source, ['README.md'])).toEqual({ deploy: true });
  });

  it('does not filter tag pushes by watch paths', () => {
    expect(decidePush(tagPush(), tagSource({ watchPaths: ['src/**'] }), ['README.md'])).toEqual({ deploy: true });
  });

  it('never deploys deletions or skip-marked pushes, before looking at the source', () => {
    expect(decidePush(branchPush({ deleted: true }), pushSource(), [])).toEqual({ deploy: false, reason: 'branch_deleted' });
    expect(decidePush(tagPush({ deleted: true }), tagSource(), [])).toEqual({ deploy: false, reason: 'tag_deleted' });
    const skipped = branchPush({ headCommit: { message: 'Docs [skip deploy]', author: 'Ann' } });
    expect(decidePush(skipped, pushSource(), ['src/a.ts'])).toEqual({ deploy: false, reason: 'skip_marker: [skip deploy]' });
  });

  it('decides real parsed deliveries: GitLab push with watch paths on its listed files', () => {
    const parsed = webhookForges.gitlab.parse('Push Hook', fixtureJson('gitlab', 'push-event.json'));
    if (parsed.kind !== 'push') throw new Error('expected a push');
    const push = parsed.pushes[0]!;
    const source = pushSource({ branch: 'master', watchPaths: ['app/**'] });
    expect(decidePush(push, source, push.changedFiles)).toEqual({ deploy: true });
    expect(decidePush(push, pushSource({ branch: 'master', watchPaths: ['lib/**'] }), push.changedFiles)).toEqual({
      deploy: false,
      reason: 'watch_paths_not_matched',
    });
  });
});

describe('needsCompare', () => {
  it('asks for a compare when an update of an existing branch has an incomplete file list', () => {
    expect(needsCompare(branchPush({ filesComplete: false }))).toBe(true);
    const gitlab = webhookForges.gitlab.parse('Push Hook', fixtureJson('gitlab', 'push-event.json'));
    expect(gitlab.kind === 'push' && needsCompare(gitlab.pushes[0]!)).toBe(true);
  });

  it('does not for complete lists, new or forced branches, deletions and tags', () => {
    expect(needsCompare(branchPush())).toBe(false);
    expect(needsCompare(branchPush({ filesComplete: false, created: true, beforeSha: ZERO }))).toBe(false);
    expect(needsCompare(branchPush({ filesComplete: false, beforeSha: ZERO }))).toBe(false);
    expect(needsCompare(branchPush({ filesComplete: false, forced: true }))).toBe(false);
    expect(needsCompare(branchPush({ filesComplete: false, deleted: true }))).toBe(false);
    expect(needsCompare(tagPush({ filesComplete: false }))).toBe(false);
  });
});
