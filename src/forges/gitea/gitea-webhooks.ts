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
  hexHmacMatchesAny,
  ignored,
  repositoryIdField,
  isZeroSha,
  parseRef,
  githubStylePush,
  utf8Body,
} from '../shared/webhook-payloads.js';

const pushPayload = githubStylePush.extend({
  total_commits: z.number().int().nonnegative().optional(),
});

function parsePush(payload: unknown): ParsedWebhook {
  const parsed = pushPayload.safeParse(payload);
  if (!parsed.success) return ignored(IgnoredReason.malformedPayload('push'));
  const p = parsed.data;
  const ref = parseRef(p.ref);
  if (!ref) return ignored(IgnoredReason.unsupportedEvent(`push to ${p.ref}`));
  const commits = p.commits ?? [];
  const deleted = isZeroSha(p.after);
  // For an annotated tag `after` is the tag object; Gitea resolves head_commit to the tagged commit.
  const commitSha = ref.type === 'tag' && !deleted && p.head_commit ? p.head_commit.id : p.after;
  // Commit lists are capped (Forgejo 15); Gitea < 1.18 sends no total_commits, so completeness is unknown there.
  const filesComplete = p.total_commits !== undefined && p.total_commits <= commits.length && commits.every(hasFileLists);
  const push: NormalizedPush = {
    repository: p.repository.full_name,
    ...repositoryIdField(p.repository.id),
    ref,
    commitSha,
    beforeSha: p.before,
    ...(p.head_commit ? { headCommit: { message: p.head_commit.message ?? '', author: authorOf(p.head_commit) } } : {}),
    changedFiles: changedFilesOf(commits),
    filesComplete,
    created: isZeroSha(p.before),
    deleted,
    // Gitea/Forgejo payloads do not say whether the push was forced.
    forced: false,
  };
  return { kind: 'push', pushes: [push] };
}

/** Gitea and Forgejo: Forgejo sends X-Forgejo-* and, for compatibility, the X-Gitea-* headers too. */
export const giteaWebhooks: WebhookForge = {
  deliveryId: (request: IncomingWebhook) => header(request, 'x-forgejo-delivery', 'x-gitea-delivery'),
  eventName: (request: IncomingWebhook) => header(request, 'x-forgejo-event', 'x-gitea-event'),
  payloadText: utf8Body,
  verify(request: IncomingWebhook, secrets: readonly string[]): boolean {
    const forgejo = hexHmacMatchesAny(request.rawBody, header(request, 'x-forgejo-signature'), secrets);
    const gitea = hexHmacMatchesAny(request.rawBody, header(request, 'x-gitea-signature'), secrets);
    return forgejo || gitea;
  },
  parse(eventName: string | undefined, payload: unknown): ParsedWebhook {
    assertObject(payload);
    if (eventName === undefined) return ignored(IgnoredReason.missingEvent);
    // create/delete duplicate what the push event already says (deletions arrive as a push with `after` all zeros).
    if (eventName !== 'push') return ignored(IgnoredReason.unsupportedEvent(eventName));
    return parsePush(payload);
  },
};
