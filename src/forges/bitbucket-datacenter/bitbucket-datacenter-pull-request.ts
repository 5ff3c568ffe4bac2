import { z } from 'zod';
import { type ParsedWebhook } from '../../modules/webhooks/domain/push.js';
import { FULL_SHA } from '../../modules/webhooks/domain/pull-request.js';
import { IgnoredReason, ignored, repositoryIdField } from '../shared/webhook-payloads.js';

const repository = z.object({
  id: z.union([z.number().int(), z.string().min(1)]),
  slug: z.string().min(1),
  project: z.object({ key: z.string().min(1) }),
});

const ref = z.object({
  id: z.string().nullish(),
  displayId: z.string().min(1),
  latestCommit: z.string().min(1),
  // Absent when the fork was deleted: the head is then treated as a fork's.
  repository: repository.nullish(),
});

/** Bitbucket Data Center `pr:*` (Bitbucket Data Center docs, "Event payload": pull request events). */
const pullRequestPayload = z.object({
  pullRequest: z.object({
    id: z.number().int().positive(),
    title: z.string().nullish(),
    links: z.object({ self: z.array(z.object({ href: z.string() })).nullish() }).nullish(),
    author: z
      .object({ user: z.object({ slug: z.string().nullish(), name: z.string().nullish(), displayName: z.string().nullish() }) })
      .nullish(),
    fromRef: ref,
    toRef: ref.extend({ repository }),
  }),
});

const ACTIONS: Readonly<Record<string, { action: 'requested' | 'closed'; merged: boolean }>> = {
  'pr:opened': { action: 'requested', merged: false },
  // New commits on the source branch (or a force push): a preview of the new head.
  'pr:from_ref_updated': { action: 'requested', merged: false },
  'pr:merged': { action: 'closed', merged: true },
  'pr:declined': { action: 'closed', merged: false },
  'pr:deleted': { action: 'closed', merged: false },
};

/** Whether this event key is a pull request event forgelink acts on (`pr:modified`, comments, reviews are not). */
export const isBitbucketDatacenterPullRequestEvent = (eventName: string): boolean => Object.hasOwn(ACTIONS, eventName);

/**
 * opened / from_ref_updated → requested with `fromRef.latestCommit` (a full sha); merged → closed and merged;
 * declined and deleted → closed. The target repository (`toRef.repository`) is the hook's; the request comes from a
 * fork when `fromRef.repository.id` differs from it.
 */
export function parseBitbucketDatacenterPullRequest(eventName: string, payload: unknown): ParsedWebhook {
  const meaning = ACTIONS[eventName];
  if (!meaning) return ignored(IgnoredReason.unsupportedEvent(eventName));
  const parsed = pullRequestPayload.safeParse(payload);
  if (!parsed.success) return ignored(IgnoredReason.malformedPayload(eventName));
  const pr = parsed.data.pullRequest;
  const target = pr.toRef.repository;
  const targetId = repositoryIdField(target.id).repositoryId;
  const headId = pr.fromRef.repository ? repositoryIdField(pr.fromRef.repository.id).repositoryId : undefined;
  const user = pr.author?.user;
  return {
    kind: 'pull-request',
    pullRequest: {
      action: meaning.action,
      repository: `${target.project.key}/${target.slug}`,
      ...repositoryIdField(target.id),
      number: pr.id,
      title: pr.title ?? '',
      url: pr.links?.self?.[0]?.href ?? '',
      sourceBranch: pr.fromRef.displayId,
      targetBranch: pr.toRef.displayId,
      fromFork: headId === undefined || headId !== targetId,
      author: user?.slug || user?.name || user?.displayName || '',
      // The payload names the head commit only by id; its message and author are not in it.
      head: { sha: pr.fromRef.latestCommit, complete: FULL_SHA.test(pr.fromRef.latestCommit), message: '', author: '' },
      merged: meaning.merged,
    },
  };
}
