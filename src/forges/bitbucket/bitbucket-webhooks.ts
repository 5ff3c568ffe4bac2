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
  repositoryIdField,
  stripSha256Prefix,
  utf8Body,
} from '../shared/webhook-payloads.js';

const account = z.object({ display_name: z.string().nullish(), nickname: z.string().nullish() });

const refState = z.object({
  type: z.string(),
  name: z.string(),
  target: z.object({
    hash: z.string(),
    message: z.string().nullish(),
    // The API's author is {raw, user}; the documented webhook example carries the account itself.
    author: z.object({ raw: z.string().nullish(), user: account.nullish() }).and(account).nullish(),
  }),
});
type RefState = z.infer<typeof refState>;

const pushPayload = z.object({
  repository: z.object({ full_name: z.string(), uuid: z.string().min(1).nullish() }),
  push: z.object({
    changes: z.array(
      z.object({
        new: refState.nullish(),
        old: refState.nullish(),
        created: z.boolean().optional(),
        forced: z.boolean().optional(),
      }),
    ),
  }),
});

function refOf(state: RefState): NormalizedPush['ref'] | undefined {
  if (state.type === 'branch') return { type: 'branch', name: state.name };
  if (state.type === 'tag' || state.type === 'annotated_tag') return { type: 'tag', name: state.name };
  return undefined; // Mercurial named_branch/bookmark: not deployable here.
}

function authorOf(target: RefState['target']): string {
  const author = target.author;
  if (!author) return '';
  const fromRaw = author.raw?.replace(/\s*<[^>]*>\s*$/, '').trim();
  return fromRaw || author.user?.display_name || author.display_name || author.user?.nickname || author.nickname || '';
}

function parsePush(payload: unknown): ParsedWebhook {
  const parsed = pushPayload.safeParse(payload);
  if (!parsed.success) return ignored(IgnoredReason.malformedPayload('repo:push'));
  const { repository, push } = parsed.data;
  const pushes: NormalizedPush[] = [];
  // One delivery can move several refs: every change counts, not changes[0].
  for (const change of push.changes) {
    const current = change.new ?? change.old;
    if (!current) continue;
    const ref = refOf(current);
    if (!ref) continue;
    const tip = change.new?.target;
    pushes.push({
      repository: repository.full_name,
      ...repositoryIdField(repository.uuid),
      ref,
      commitSha: tip?.hash ?? ZERO_COMMIT,
      ...(change.old ? { beforeSha: change.old.target.hash } : {}),
      ...(tip ? { headCommit: { message: tip.message ?? '', author: authorOf(tip) } } : {}),
      // Bitbucket payloads carry no file lists (and at most 5 commits).
      changedFiles: [],
      filesComplete: false,
      created: change.old == null || change.created === true,
      deleted: change.new == null,
      forced: change.forced ?? false,
    });
  }
  return pushes.length > 0 ? { kind: 'push', pushes } : ignored(IgnoredReason.noChanges);
}

export const bitbucketWebhooks: WebhookForge = {
  // X-Request-UUID names the event delivery and is reused on Bitbucket's retries (X-Attempt-Number counts them).
  // X-Hook-UUID names the webhook, not the delivery, so it is no fallback: it would collapse every delivery into one.
  deliveryId: (request: IncomingWebhook) => header(request, 'x-request-uuid'),
  eventName: (request: IncomingWebhook) => header(request, 'x-event-key'),
  payloadText: utf8Body,
  verify(request: IncomingWebhook, secrets: readonly string[]): boolean {
    return hexHmacMatchesAny(request.rawBody, stripSha256Prefix(header(request, 'x-hub-signature')), secrets);
  },
  parse(eventName: string | undefined, payload: unknown): ParsedWebhook {
    assertObject(payload);
    if (eventName === undefined) return ignored(IgnoredReason.missingEvent);
    if (eventName !== 'repo:push') return ignored(IgnoredReason.unsupportedEvent(eventName));
    return parsePush(payload);
  },
};
