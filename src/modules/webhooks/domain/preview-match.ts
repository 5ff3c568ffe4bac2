import { type NormalizedPullRequest } from './pull-request.js';

/** Why a pull/merge request emits nothing for a source; stable strings recorded with the delivery. */
export const PreviewDecisionReason = {
  noMatchingSource: 'no_matching_source',
  previewsDisabled: 'previews_disabled',
  forkPreviewsDisabled: 'fork_previews_disabled',
  commitUnresolved: (why: string) => `commit_unresolved: ${why}`,
} as const;

export interface PreviewSource {
  readonly branch: string | null;
  readonly previews: { readonly enabled: boolean; readonly fromForks: boolean };
}

export type PreviewDecision = { readonly emit: true } | { readonly emit: false; readonly reason: string };

/**
 * Whether one source (already known to be on the request's target repository) gets this request's preview event.
 * The source's branch must be the request's target; previews must be on; a fork's request needs `fromForks` too.
 * `closed` follows the same rule, so a deployer only hears of closing previews it could have been asked to open.
 * Trigger type and auto deploy do not matter: previews are their own opt-in.
 */
export function decidePreview(request: NormalizedPullRequest, source: PreviewSource): PreviewDecision {
  if (source.branch !== request.targetBranch) return { emit: false, reason: PreviewDecisionReason.noMatchingSource };
  if (!source.previews.enabled) return { emit: false, reason: PreviewDecisionReason.previewsDisabled };
  if (request.fromFork && !source.previews.fromForks) return { emit: false, reason: PreviewDecisionReason.forkPreviewsDisabled };
  return { emit: true };
}
