import { z } from 'zod';
import { type IncomingWebhook, type WebhookForge } from '../../modules/webhooks/application/ports/webhook-forge.js';
import { type NormalizedPush, type ParsedWebhook } from '../../modules/webhooks/domain/push.js';
import {
  IgnoredReason,
  ZERO_COMMIT,
  assertObject,
  header,
  hexHmacMatchesAny,
  ignored,
  isZeroSha,
  repositoryIdField,
  stripSha256Prefix,
  utf8Body,
} from '../shared/webhook-payloads.js';
import { isBitbucketDatacenterPullRequestEvent, parseBitbucketDatacenterPullRequest } from './bitbucket-datacenter-pull-request.js';

/**
 * Bitbucket Data Center webhooks (Bitbucket Data Center docs, "Event payload"; FORGES.md "Bitbucket Data Center"):
 * `X-Event-Key` names the event, `X-Request-Id` the delivery, `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw
 * body>` signs it with the hook's secret. A push is one `repo:refs_changed` naming every ref it moved in `changes`;
 * pull request events (`pr:*`, previews) are parsed in bitbucket-datacenter-pull-request.ts.
 */

const user = z.object({ displayName: z.string().nullish(), name: z.string().nullish(), slug: z.string().nullish() });
const commit = z.object({ id: z.string(), message: z.string().nullish(), author: user.nullish() });

const refsChanged = z.object({
  repository: z.object({
    id: z.union([z.number().int(), z.string().min(1)]),
    slug: z.string().min(1),
    project: z.object({ key: z.string().min(1) }),
  }),
  changes: z.array(
    z.object({
      ref: z.object({ id: z.string(), displayId: z.string().nullish(), type: z.string().nullish() }).nullish(),
      refId: z.string().nullish(),
      fromHash: z.string().nullish(),
      toHash: z.string().nullish(),
      type: z.string().nullish(),
    }),
  ),
  // Newer servers send the pushed commits (and the tip as toCommit); older ones send neither.
  toCommit: commit.nullish(),
  commits: z.array(commit).nullish(),
});
type RefsChanged = z.infer<typeof refsChanged>;

/** refs/heads/x → branch x, refs/tags/x → tag x; `ref.type` (BRANCH/TAG) decides when the id is not a full ref. */
function refOf(change: RefsChanged['changes'][number]): NormalizedPush['ref'] | undefined {
  const id = change.ref?.id ?? change.refId ?? '';
  if (id.startsWith('refs/heads/') && id.length > 'refs/heads/'.length) return { type: 'branch', name: id.slice('refs/heads/'.length) };
  if (id.startsWith('refs/tags/') && id.length > 'refs/tags/'.length) return { type: 'tag', name: id.slice('refs/tags/'.length) };
  const name = change.ref?.displayId;
  if (!name || id.startsWith('refs/')) return undefined; // notes, pull-request refs: not deployable
  if (change.ref?.type === 'BRANCH') return { type: 'branch', name };
  if (change.ref?.type === 'TAG') return { type: 'tag', name };
  return undefined;
}

function parseRefsChanged(payload: unknown): ParsedWebhook {
  const parsed = refsChanged.safeParse(payload);
  if (!parsed.success) return ignored(IgnoredReason.malformedPayload('repo:refs_changed'));
  const { repository, changes, toCommit, commits } = parsed.data;
  const known = new Map<string, z.infer<typeof commit>>();
  for (const c of [...(commits ?? []), ...(toCommit ? [toCommit] : [])]) known.set(c.id, c);
  const pushes: NormalizedPush[] = [];
  // One push can move several refs (git push --all, a branch and its tag): every change counts, not changes[0].
  for (const change of changes) {
    const ref = refOf(change);
    if (!ref) continue;
    const toHash = change.toHash ?? ZERO_COMMIT;
    const deleted = change.type === 'DELETE' || isZeroSha(toHash);
    const tip = deleted ? undefined : known.get(toHash);
    pushes.push({
      repository: `${repository.project.key}/${repository.slug}`,
      ...repositoryIdField(repository.id),
      ref,
      commitSha: deleted ? ZERO_COMMIT : toHash,
      ...(change.fromHash ? { beforeSha: change.fromHash } : {}),
      ...(tip ? { headCommit: { message: tip.message ?? '', author: tip.author?.displayName || tip.author?.name || '' } } : {}),
      // Payloads carry no file lists: watch paths are checked with the compare API.
      changedFiles: [],
      filesComplete: false,
      created: change.type === 'ADD' || isZeroSha(change.fromHash),
      deleted,
      // The payload does not say whether an UPDATE was forced.
      forced: false,
    });
  }
  return pushes.length > 0 ? { kind: 'push', pushes } : ignored(IgnoredReason.noChanges);
}

export const bitbucketDatacenterWebhooks: WebhookForge = {
  // X-Request-Id names one delivery: the dedupe key (API contract).
  deliveryId: (request: IncomingWebhook) => header(request, 'x-request-id'),
  eventName: (request: IncomingWebhook) => header(request, 'x-event-key'),
  payloadText: utf8Body,
  verify(request: IncomingWebhook, secrets: readonly string[]): boolean {
    return hexHmacMatchesAny(request.rawBody, stripSha256Prefix(header(request, 'x-hub-signature')), secrets);
  },
  parse(eventName: string | undefined, payload: unknown): ParsedWebhook {
    assertObject(payload);
    if (eventName === undefined) return ignored(IgnoredReason.missingEvent);
    // "Test connection" on the hook's settings page.
    if (eventName === 'diagnostics:ping') return ignored(IgnoredReason.ping);
    if (isBitbucketDatacenterPullRequestEvent(eventName)) return parseBitbucketDatacenterPullRequest(eventName, payload);
    if (eventName !== 'repo:refs_changed') return ignored(IgnoredReason.unsupportedEvent(eventName));
    return parseRefsChanged(payload);
  },
};
