import { z } from 'zod';
import { type IncomingWebhook, type WebhookForge } from '../../modules/webhooks/application/ports/webhook-forge.js';
import { type NormalizedPush, type ParsedWebhook } from '../../modules/webhooks/domain/push.js';
import {
  IgnoredReason,
  assertObject,
  authorOf,
  changedFilesOf,
  hasFileLists,
  header,
  ignored,
  isZeroSha,
  parseRef,
  refUpdate,
  repositoryIdField,
  tokenMatchesAny,
  utf8Body,
} from '../shared/webhook-payloads.js';

/** Event header values that can carry a push; a System Hook names the kind in the body's `event_name`. */
const PUSH_EVENTS = new Set(['Push Hook', 'Tag Push Hook', 'System Hook']);
const PUSH_KINDS = new Set(['push', 'tag_push']);

const pushPayload = refUpdate.extend({
  object_kind: z.string().optional(),
  event_name: z.string().optional(),
  checkout_sha: z.string().nullish(),
  user_name: z.string().nullish(),
  user_username: z.string().nullish(),
  total_commits_count: z.number().int().nonnegative().optional(),
  project_id: z.number().int().nullish(),
  project: z.object({ path_with_namespace: z.string(), id: z.number().int().nullish() }),
});

function parsePush(eventName: string, payload: Record<string, unknown>): ParsedWebhook {
  const kind = payload['object_kind'] ?? payload['event_name'];
  if (typeof kind !== 'string' || !PUSH_KINDS.has(kind)) {
    return ignored(IgnoredReason.unsupportedEvent(typeof kind === 'string' ? `${eventName}: ${kind}` : eventName));
  }
  const parsed = pushPayload.safeParse(payload);
  if (!parsed.success) return ignored(IgnoredReason.malformedPayload(eventName));
  const p = parsed.data;
  const ref = parseRef(p.ref);
  if (!ref) return ignored(IgnoredReason.unsupportedEvent(`${eventName} to ${p.ref}`));
  const commits = p.commits ?? [];
  const deleted = isZeroSha(p.after);
  // checkout_sha is the commit (an annotated tag's `after` is the tag object); it is null when the ref was deleted.
  const commitSha = p.checkout_sha ?? p.after;
  const head = commits.find((c) => c.id === p.checkout_sha) ?? commits.at(-1);
  // GitLab lists at most 20 commits; total_commits_count says how many were pushed.
  const filesComplete = (p.total_commits_count ?? commits.length) <= commits.length && commits.every(hasFileLists);
  const push: NormalizedPush = {
    repository: p.project.path_with_namespace,
    // Newer payloads carry project.id; every version carries the top-level project_id.
    ...repositoryIdField(p.project.id ?? p.project_id),
    ref,
    commitSha,
    beforeSha: p.before,
    ...(head ? { headCommit: { message: head.message ?? '', author: authorOf(head) || (p.user_username ?? p.user_name ?? '') } } : {}),
    changedFiles: changedFilesOf(commits),
    filesComplete,
    created: isZeroSha(p.before),
    deleted,
    // GitLab's push payload does not say whether the push was forced.
    forced: false,
  };
  return { kind: 'push', pushes: [push] };
}

export const gitlabWebhooks: WebhookForge = {
  // Idempotency-Key stays the same across GitLab's retries; older GitLab only sends the per-hook-request UUIDs.
  deliveryId: (request: IncomingWebhook) => header(request, 'idempotency-key', 'x-gitlab-webhook-uuid', 'x-gitlab-event-uuid'),
  eventName: (request: IncomingWebhook) => header(request, 'x-gitlab-event'),
  payloadText: utf8Body,
  verify(request: IncomingWebhook, secrets: readonly string[]): boolean {
    // GitLab sends the secret itself, not a signature of the body.
    return tokenMatchesAny(request.headers['x-gitlab-token'], secrets);
  },
  parse(eventName: string | undefined, payload: unknown): ParsedWebhook {
    assertObject(payload);
    if (eventName === undefined) return ignored(IgnoredReason.missingEvent);
    if (!PUSH_EVENTS.has(eventName)) return ignored(IgnoredReason.unsupportedEvent(eventName));
    return parsePush(eventName, payload);
  },
};
