import { FULL_SHA } from '../../../shared/commit-sha.js';
import { type NormalizedPush, ZERO_SHA } from './push.js';
import { skipReason } from './skip-markers.js';
import { matchesWatchPaths } from '../../service-sources/domain/watch-paths.js';

/** Why a push deploys nothing; stable strings recorded with the delivery and returned by the webhook route. */
export const PushDecisionReason = {
  branchDeleted: 'branch_deleted',
  tagDeleted: 'tag_deleted',
  skipMarker: (marker: string) => `skip_marker: ${marker}`,
  noMatchingSource: 'no_matching_source',
  autoDeployDisabled: 'auto_deploy_disabled',
  watchPathsNotMatched: 'watch_paths_not_matched',
  invalidCommit: 'invalid_commit',
} as const;

export interface PushSource {
  readonly triggerType: 'push' | 'tag';
  readonly branch: string | null;
  readonly watchPaths: readonly string[] | null;
  readonly autoDeploy: boolean;
}

export type PushDecision = { readonly deploy: true } | { readonly deploy: false; readonly reason: string };

/** Reasons that hold for every source: deletions and skip markers on the head commit. */
export function pushIgnoreReason(push: NormalizedPush): string | undefined {
  if (push.deleted) return push.ref.type === 'tag' ? PushDecisionReason.tagDeleted : PushDecisionReason.branchDeleted;
  // The payload is signed, but a commit id that is not a full sha is not deployed (forge answers are hostile input).
  if (!FULL_SHA.test(push.commitSha)) return PushDecisionReason.invalidCommit;
  const marker = push.headCommit ? skipReason(push.headCommit.message) : undefined;
  return marker ? PushDecisionReason.skipMarker(marker) : undefined;
}

/**
 * Whether the changed files must come from the forge's compare API (before...after) before watch paths can be
 * applied: the payload's list is incomplete, and the push is an update of an existing branch.
 */
export function needsCompare(push: NormalizedPush): boolean {
  return (
    push.ref.type === 'branch' &&
    !push.deleted &&
    !push.filesComplete &&
    !push.created &&
    !push.forced &&
    push.beforeSha !== undefined &&
    !ZERO_SHA.test(push.beforeSha)
  );
}

/**
 * Whether one source (already known to be on the push's repository) deploys this push.
 * `files` is the changed-file list to apply watch paths to, or 'unknown' when neither the payload nor a compare
 * could give it: then the source deploys rather than silently missing a change.
 */
export function decidePush(push: NormalizedPush, source: PushSource, files: readonly string[] | 'unknown'): PushDecision {
  const ignoreReason = pushIgnoreReason(push);
  if (ignoreReason) return { deploy: false, reason: ignoreReason };
  if (push.ref.type === 'tag') {
    if (source.triggerType !== 'tag') return { deploy: false, reason: PushDecisionReason.noMatchingSource };
  } else if (source.triggerType !== 'push' || source.branch !== push.ref.name) {
    return { deploy: false, reason: PushDecisionReason.noMatchingSource };
  }
  if (!source.autoDeploy) return { deploy: false, reason: PushDecisionReason.autoDeployDisabled };
  // Tags are release decisions: watch paths filter branch pushes only. New branches and forced pushes have no
  // meaningful diff against the previous tip, so they deploy (FORGES.md).
  const filterByPaths =
    push.ref.type === 'branch' &&
    source.watchPaths !== null &&
    source.watchPaths.length > 0 &&
    files !== 'unknown' &&
    !push.created &&
    !push.forced;
  if (filterByPaths && !matchesWatchPaths(source.watchPaths ?? [], files)) {
    return { deploy: false, reason: PushDecisionReason.watchPathsNotMatched };
  }
  return { deploy: true };
}
