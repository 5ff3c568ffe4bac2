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
  stripSha256Prefix,
  WebhookBodyError,
} from '../shared/webhook-payloads.js';

/** GitHub lists at most 2048 commits per push delivery and at most 3000 paths per list per commit. */
const MAX_COMMITS = 2048;
const MAX_FILES_PER_LIST = 3000;

const pushPayload = githubStylePush.extend({
  created: z.boolean().optional(),
  deleted: z.boolean().optional(),
  forced: z.boolean().optional(),
});

function parsePush(payload: unknown): ParsedWebhook {
  const parsed = pushPayload.safeParse(payload);
  if (!parsed.success) return ignored(IgnoredReason.malformedPayload('push'));
  const p = parsed.data;
  const ref = parseRef(p.ref);
  if (!ref) return ignored(IgnoredReason.unsupportedEvent(`push to ${p.ref}`));
  const commits = p.commits ?? [];
  const deleted = p.deleted === true || isZeroSha(p.after);
  // An annotated tag's `after` is the tag object, not a commit (go-scm#8): head_commit is the tagged commit.
  const commitSha = ref.type === 'tag' && !deleted && p.head_commit ? p.head_commit.id : p.after;
  const filesComplete =
    commits.length < MAX_COMMITS &&
    commits.every((c) => hasFileLists(c) && [c.added, c.modified, c.removed].every((list) => (list?.length ?? 0) < MAX_FILES_PER_LIST));
  const push: NormalizedPush = {
    repository: p.repository.full_name,
    ...repositoryIdField(p.repository.id),
    ref,
    commitSha,
    beforeSha: p.before,
    ...(p.head_commit ? { headCommit: { message: p.head_commit.message ?? '', author: authorOf(p.head_commit) } } : {}),
    changedFiles: changedFilesOf(commits),
    filesComplete,
    created: p.created ?? isZeroSha(p.before),
    deleted,
    forced: p.forced ?? false,
  };
  return { kind: 'push', pushes: [push] };
}

const installationPayload = z.object({
  action: z.string(),
  installation: z.object({ id: z.number().int().positive(), app_id: z.number().int().positive() }),
});

/** `installation` created/deleted: lets forgelink record an App installed (or removed) from GitHub's own pages. */
function parseInstallation(payload: unknown): ParsedWebhook {
  const parsed = installationPayload.safeParse(payload);
  if (!parsed.success) return ignored(IgnoredReason.malformedPayload('installation'));
  const { action, installation } = parsed.data;
  if (action !== 'created' && action !== 'deleted') return ignored(IgnoredReason.unsupportedEvent(`installation ${action}`));
  return { kind: 'installation', installation: { action, installationId: installation.id, appId: installation.app_id } };
}

const listChangePayload = z.object({ action: z.string() });
const LIST_CHANGES: Readonly<Record<string, readonly string[]>> = {
  repository: ['created', 'deleted', 'renamed', 'transferred'],
  installation_repositories: ['added', 'removed'],
};

/** `repository` and `installation_repositories` events that change which repositories the installation lists. */
function parseListChange(eventName: string, payload: unknown): ParsedWebhook {
  const parsed = listChangePayload.safeParse(payload);
  if (!parsed.success) return ignored(IgnoredReason.malformedPayload(eventName));
  if (!LIST_CHANGES[eventName]?.includes(parsed.data.action))
    return ignored(IgnoredReason.unsupportedEvent(`${eventName} ${parsed.data.action}`));
  return { kind: 'repositories-changed', reason: `repository_list_changed: ${eventName} ${parsed.data.action}` };
}

export const githubWebhooks: WebhookForge = {
  // X-GitHub-Delivery is kept on manual redelivery, so it dedupes both.
  deliveryId: (request: IncomingWebhook) => header(request, 'x-github-delivery'),
  eventName: (request: IncomingWebhook) => header(request, 'x-github-event'),
  // A GitHub App's hook may be form-encoded (octokit/webhooks.js#158): `payload=<url-encoded JSON>`, signed as sent.
  payloadText(request: IncomingWebhook): string {
    const type = header(request, 'content-type')?.split(';')[0]?.trim().toLowerCase();
    const text = request.rawBody.toString('utf8');
    if (type !== 'application/x-www-form-urlencoded') return text;
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw new WebhookBodyError('the form has no payload field');
    return payload;
  },
  verify(request: IncomingWebhook, secrets: readonly string[]): boolean {
    // Only the SHA-256 header counts; the legacy SHA-1 X-Hub-Signature is never accepted.
    return hexHmacMatchesAny(request.rawBody, stripSha256Prefix(header(request, 'x-hub-signature-256')), secrets);
  },
  parse(eventName: string | undefined, payload: unknown): ParsedWebhook {
    assertObject(payload);
    if (eventName === undefined) return ignored(IgnoredReason.missingEvent);
    if (eventName === 'ping') return ignored(IgnoredReason.ping);
    if (eventName === 'installation') return parseInstallation(payload);
    if (Object.hasOwn(LIST_CHANGES, eventName)) return parseListChange(eventName, payload);
    if (eventName !== 'push') return ignored(IgnoredReason.unsupportedEvent(eventName));
    return parsePush(payload);
  },
};
