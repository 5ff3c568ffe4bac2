import { z } from 'zod';
import { type ParsedWebhook } from '../../modules/webhooks/domain/push.js';
import { FULL_SHA } from '../../modules/webhooks/domain/pull-request.js';
import { IgnoredReason, ignored, repositoryIdField } from '../shared/webhook-payloads.js';

/** GitLab `Merge Request Hook` (docs.gitlab.com "Webhook events": merge request events). */
const mergeRequestPayload = z.object({
  object_kind: z.literal('merge_request'),
  user: z.object({ username: z.string().nullish(), name: z.string().nullish() }).nullish(),
  project: z.object({ id: z.number().int(), path_with_namespace: z.string() }),
  object_attributes: z.object({
    iid: z.number().int().positive(),
    title: z.string().nullish(),
    url: z.string().nullish(),
    action: z.string().nullish(),
    oldrev: z.string().nullish(),
    source_branch: z.string(),
    target_branch: z.string(),
    source_project_id: z.number().int(),
    target_project_id: z.number().int(),
    last_commit: z.object({
      id: z.string(),
      message: z.string().nullish(),
      author: z.object({ name: z.string().nullish() }).nullish(),
    }),
  }),
});

const REQUESTED = new Set(['open', 'reopen']);
const CLOSED = new Set(['close', 'merge']);

/**
 * `open`/`reopen`, and `update` with `oldrev` (new commits) → requested; `close` → closed, `merge` → closed and
 * merged. Other actions (`update` of title or labels, `approved`, `unapproved`, …) are ignored.
 * The request's author is not in the payload (only `author_id`): `author` is the user who triggered the event
 * (GitLab's `user`), which for `open` is the author.
 */
export function parseGitLabMergeRequest(eventName: string, payload: unknown): ParsedWebhook {
  const parsed = mergeRequestPayload.safeParse(payload);
  if (!parsed.success) return ignored(IgnoredReason.malformedPayload(eventName));
  const { project, object_attributes: mr, user } = parsed.data;
  const action = mr.action ?? '';
  const newCommits = action === 'update' && typeof mr.oldrev === 'string' && mr.oldrev.length > 0;
  const requested = REQUESTED.has(action) || newCommits;
  if (!requested && !CLOSED.has(action))
    return { ...ignored(IgnoredReason.unsupportedEvent(`${eventName} ${action || 'without action'}`)), ...repositoryIdField(project.id) };
  const head = mr.last_commit;
  return {
    kind: 'pull-request',
    pullRequest: {
      action: requested ? 'requested' : 'closed',
      repository: project.path_with_namespace,
      ...repositoryIdField(project.id),
      number: mr.iid,
      title: mr.title ?? '',
      url: mr.url ?? '',
      sourceBranch: mr.source_branch,
      targetBranch: mr.target_branch,
      fromFork: mr.source_project_id !== mr.target_project_id,
      author: user?.username ?? user?.name ?? '',
      head: { sha: head.id, complete: FULL_SHA.test(head.id), message: head.message ?? '', author: head.author?.name ?? '' },
      merged: action === 'merge',
    },
  };
}
