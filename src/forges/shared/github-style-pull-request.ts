import { z } from 'zod';
import { type ParsedWebhook } from '../../modules/webhooks/domain/push.js';
import { FULL_SHA } from '../../modules/webhooks/domain/pull-request.js';
import { IgnoredReason, ignored, repositoryIdField } from './webhook-payloads.js';

const id = z.union([z.number().int(), z.string().min(1)]);
const repository = z.object({ id, full_name: z.string() });

/** GitHub `pull_request` (docs.github.com "Webhook events and payloads": pull_request); Gitea/Forgejo copy the shape. */
export const githubStylePullRequest = z.object({
  action: z.string(),
  number: z.number().int().positive().optional(),
  pull_request: z.object({
    number: z.number().int().positive(),
    title: z.string().nullish(),
    html_url: z.string().nullish(),
    merged: z.boolean().nullish(),
    user: z.object({ login: z.string().nullish(), username: z.string().nullish() }).nullish(),
    // A deleted fork leaves `head.repo` null: the head is then treated as a fork's.
    head: z.object({ ref: z.string(), sha: z.string(), repo: z.object({ id }).nullish(), repo_id: id.nullish() }),
    base: z.object({ ref: z.string(), repo: z.object({ id }).nullish(), repo_id: id.nullish() }),
  }),
  repository,
});
export type GitHubStylePullRequest = z.infer<typeof githubStylePullRequest>;

const same = (a: string | number | null | undefined, b: string | number | null | undefined): boolean =>
  a !== null && a !== undefined && b !== null && b !== undefined && String(a) === String(b);

/**
 * `opened`/`reopened`/new commits → requested; `closed` → closed (`merged` from the payload); any other action
 * (labeled, assigned, review_requested, edited, …) is ignored. `newCommits` is the forge's name for new commits
 * (GitHub `synchronize`, Gitea `synchronized`).
 */
export function parseGitHubStylePullRequest(eventName: string, payload: unknown, newCommits: string): ParsedWebhook {
  const parsed = githubStylePullRequest.safeParse(payload);
  if (!parsed.success) return ignored(IgnoredReason.malformedPayload(eventName));
  const { action, pull_request: pr, repository: repo } = parsed.data;
  const requested = action === 'opened' || action === 'reopened' || action === newCommits;
  if (!requested && action !== 'closed')
    return { ...ignored(IgnoredReason.unsupportedEvent(`${eventName} ${action}`)), ...repositoryIdField(repo.id) };
  const headRepo = pr.head.repo?.id ?? pr.head.repo_id;
  const baseRepo = pr.base.repo?.id ?? pr.base.repo_id ?? repo.id;
  return {
    kind: 'pull-request',
    pullRequest: {
      action: requested ? 'requested' : 'closed',
      repository: repo.full_name,
      ...repositoryIdField(repo.id),
      number: pr.number,
      title: pr.title ?? '',
      url: pr.html_url ?? '',
      sourceBranch: pr.head.ref,
      targetBranch: pr.base.ref,
      fromFork: !same(headRepo, baseRepo),
      author: pr.user?.login ?? pr.user?.username ?? '',
      // The payload names the head commit only by its sha: its message and author are not in it.
      head: { sha: pr.head.sha, complete: FULL_SHA.test(pr.head.sha), message: '', author: '' },
      merged: pr.merged === true,
    },
  };
}
