import { z } from 'zod';
import { type ParsedWebhook } from '../../modules/webhooks/domain/push.js';
import { FULL_SHA } from '../../modules/webhooks/domain/pull-request.js';
import { IgnoredReason, ignored, repositoryIdField } from '../shared/webhook-payloads.js';

const side = z.object({
  branch: z.object({ name: z.string() }),
  commit: z.object({ hash: z.string().min(1) }),
  // Absent when the fork was deleted: the head is then treated as a fork's.
  repository: z.object({ uuid: z.string().min(1).nullish() }).nullish(),
});

/** Bitbucket Cloud `pullrequest:*` (support.atlassian.com "Event payloads": pull request events). */
const pullRequestPayload = z.object({
  repository: z.object({ full_name: z.string(), uuid: z.string().min(1) }),
  pullrequest: z.object({
    id: z.number().int().positive(),
    title: z.string().nullish(),
    links: z.object({ html: z.object({ href: z.string() }).nullish() }).nullish(),
    author: z.object({ nickname: z.string().nullish(), display_name: z.string().nullish() }).nullish(),
    source: side,
    destination: side,
  }),
});

const ACTIONS: Readonly<Record<string, { action: 'requested' | 'closed'; merged: boolean }>> = {
  'pullrequest:created': { action: 'requested', merged: false },
  // Also sent for title/description edits: the deployer then gets the commit it already has.
  'pullrequest:updated': { action: 'requested', merged: false },
  'pullrequest:fulfilled': { action: 'closed', merged: true },
  'pullrequest:rejected': { action: 'closed', merged: false },
};

/** Whether this event key is a pull request event forgelink acts on. */
export const isBitbucketPullRequestEvent = (eventName: string): boolean => Object.hasOwn(ACTIONS, eventName);

/**
 * created/updated → requested, fulfilled → closed and merged, rejected (declined) → closed. The head commit is a
 * 12-character abbreviation (`complete: false`): the webhook pipeline resolves it with the commit API before any
 * preview is emitted.
 */
export function parseBitbucketPullRequest(eventName: string, payload: unknown): ParsedWebhook {
  const meaning = ACTIONS[eventName];
  if (!meaning) return ignored(IgnoredReason.unsupportedEvent(eventName));
  const parsed = pullRequestPayload.safeParse(payload);
  if (!parsed.success) return ignored(IgnoredReason.malformedPayload(eventName));
  const { repository, pullrequest: pr } = parsed.data;
  const target = repositoryIdField(pr.destination.repository?.uuid ?? repository.uuid).repositoryId;
  const head = repositoryIdField(pr.source.repository?.uuid).repositoryId;
  return {
    kind: 'pull-request',
    pullRequest: {
      action: meaning.action,
      repository: repository.full_name,
      ...repositoryIdField(repository.uuid),
      number: pr.id,
      title: pr.title ?? '',
      url: pr.links?.html?.href ?? '',
      sourceBranch: pr.source.branch.name,
      targetBranch: pr.destination.branch.name,
      fromFork: head === undefined || head !== target,
      author: pr.author?.nickname ?? pr.author?.display_name ?? '',
      head: { sha: pr.source.commit.hash, complete: FULL_SHA.test(pr.source.commit.hash), message: '', author: '' },
      merged: meaning.merged,
    },
  };
}
