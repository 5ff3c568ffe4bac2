import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type IncomingWebhook } from '../../modules/webhooks/application/ports/webhook-forge.js';
import { type ParsedWebhook, ZERO_SHA } from '../../modules/webhooks/domain/push.js';
import { canonicalRepositoryId } from '../../shared/repository-identity.js';

export const ZERO_COMMIT = '0'.repeat(40);
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** First non-empty value among the given (lower-cased) header names. */
export function header(request: IncomingWebhook, ...names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = request.headers[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

export function hmacSha256(secret: string, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/**
 * True when the hex HMAC-SHA256 of the raw body under any secret equals `hexSignature`.
 * Every candidate is checked (no early exit) so timing says nothing about which secret matched.
 */
export function hexHmacMatchesAny(body: Buffer, hexSignature: string | undefined, secrets: readonly string[]): boolean {
  if (hexSignature === undefined || !HEX_SHA256.test(hexSignature)) return false;
  const given = Buffer.from(hexSignature, 'hex');
  let matched = false;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    if (timingSafeEqual(hmacSha256(secret, body), given)) matched = true;
  }
  return matched;
}

/** `sha256=<hex>` → `<hex>`; anything else (sha1=, bare hex, empty) → undefined. */
export function stripSha256Prefix(value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith('sha256=')) return undefined;
  return value.slice('sha256='.length);
}

/** Constant-time equality of a plain token with any secret: compares SHA-256 digests so lengths never leak. */
export function tokenMatchesAny(token: string | undefined, secrets: readonly string[]): boolean {
  if (token === undefined || token.length === 0) return false;
  const given = createHash('sha256').update(token, 'utf8').digest();
  let matched = false;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    if (timingSafeEqual(createHash('sha256').update(secret, 'utf8').digest(), given)) matched = true;
  }
  return matched;
}

export const isZeroSha = (sha: string | null | undefined): boolean => sha == null || ZERO_SHA.test(sha);

/** Why a delivery was not turned into pushes; short, stable, snake_case-ish. */
export const IgnoredReason = {
  missingEvent: 'missing_event_header',
  ping: 'ping',
  unsupportedEvent: (event: string) => `unsupported_event: ${event}`,
  malformedPayload: (event: string) => `malformed_payload: ${event}`,
  noChanges: 'no_ref_changes',
} as const;

export const ignored = (reason: string): ParsedWebhook => ({ kind: 'ignored', reason });

/** The payload contract says: JSON that is not an object is a programmer error upstream. */
export function assertObject(payload: unknown): asserts payload is Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new TypeError('webhook payload must be a JSON object');
  }
}

/** `refs/heads/x` → branch x, `refs/tags/x` → tag x; other refs (notes, merge requests) → undefined. */
export function parseRef(ref: string): { type: 'branch' | 'tag'; name: string } | undefined {
  if (ref.startsWith('refs/heads/') && ref.length > 'refs/heads/'.length) return { type: 'branch', name: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/') && ref.length > 'refs/tags/'.length) return { type: 'tag', name: ref.slice('refs/tags/'.length) };
  return undefined;
}

/** Commit entries as GitHub, GitLab and Gitea send them: file lists may be absent (GitLab system hooks, old Gitea). */
export const payloadCommit = z.object({
  id: z.string(),
  message: z.string().nullish(),
  author: z.object({ name: z.string().nullish(), username: z.string().nullish() }).nullish(),
  added: z.array(z.string()).nullish(),
  modified: z.array(z.string()).nullish(),
  removed: z.array(z.string()).nullish(),
});
export type PayloadCommit = z.infer<typeof payloadCommit>;

/** What every forge's push payload carries: the ref, its old and new tips, and (some of) the commits. */
export const refUpdate = z.object({
  ref: z.string(),
  before: z.string(),
  after: z.string(),
  commits: z.array(payloadCommit).nullish(),
});

/** GitHub's push shape, which Gitea and Forgejo copy; `repository.id` is the stable id. */
export const githubStylePush = refUpdate.extend({
  head_commit: payloadCommit.nullish(),
  repository: z.object({ full_name: z.string(), id: z.union([z.number().int(), z.string().min(1)]).nullish() }),
});

/** The canonical repository id of a payload, or nothing when the payload carries none. */
export function repositoryIdField(id: string | number | null | undefined): { repositoryId?: string } {
  return id === null || id === undefined ? {} : { repositoryId: canonicalRepositoryId(id) };
}

/** A verified body that does not hold a payload at all (e.g. a form without its `payload` field): 400. */
export { WebhookBodyError } from '../../modules/webhooks/application/ports/webhook-forge.js';

/** The body's bytes as text: what every forge but GitHub (which may send a form) sends as its JSON. */
export const utf8Body = (request: IncomingWebhook): string => request.rawBody.toString('utf8');

export function hasFileLists(commit: PayloadCommit): boolean {
  return Array.isArray(commit.added) && Array.isArray(commit.modified) && Array.isArray(commit.removed);
}

/** Union of added, modified and removed over every commit, in first-seen order. */
export function changedFilesOf(commits: readonly PayloadCommit[]): string[] {
  const files = new Set<string>();
  for (const commit of commits) {
    for (const file of [...(commit.added ?? []), ...(commit.modified ?? []), ...(commit.removed ?? [])]) files.add(file);
  }
  return [...files];
}

export function authorOf(commit: PayloadCommit): string {
  return commit.author?.name || commit.author?.username || '';
}
