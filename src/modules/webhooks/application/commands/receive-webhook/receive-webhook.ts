import { mayHoldUnstorableText, pathToUnstorableText } from '../../../../../shared/text.js';
import { createHash } from 'node:crypto';
import { type Failure, failure } from '../../../../../shared/failure.js';
import { err, ok, type Result } from '../../../../../shared/result.js';
import { type Metrics, NO_METRICS, type WebhookOutcome } from '../../../../../shared/metrics.js';
import { decidePush, needsCompare, pushIgnoreReason } from '../../../domain/match.js';
import { type NormalizedPush, type ParsedWebhook } from '../../../domain/push.js';
import { type NormalizedPullRequest } from '../../../domain/pull-request.js';
import { PreviewDecisionReason, decidePreview } from '../../../domain/preview-match.js';
import { type CommitLookup } from '../../ports/commit-lookup.js';
import { WebhookDelivery } from '../../../domain/webhook-delivery.js';
import { type AppInstallations } from '../../ports/app-installations.js';
import { type RepositoryListings } from '../../ports/repository-listings.js';
import { type ChangedFilesLookup } from '../../ports/changed-files.js';
import { type DeliveryStore, type KnownProvider, type MatchableSource, type ScreenTarget } from '../../ports/deliveries.js';
import { type IncomingWebhook, WebhookBodyError, type WebhookForge } from '../../ports/webhook-forge.js';
import { type RepositoryRef, sameRepository } from '../../../../../shared/repository-identity.js';

const invalidSignature: Failure = { code: 'INVALID_SIGNATURE', detail: 'The webhook signature or token is missing or wrong' };

/** The provider's secrets changed between verification and the screen, each of MAX_VERIFICATIONS times: answer 503, the forge may redeliver. */
const secretsChanging: Failure = {
  code: 'UNAVAILABLE',
  detail: "The provider's webhook secrets are being changed; deliver again in a moment",
  retryAfterSeconds: 1,
};

/** The longest delivery id, event name or repository id a delivery may carry, in characters. */
const MAX_FORGE_ID_LENGTH = 255;

const tooLong = (path: string, what: string): Failure =>
  failure.validation(`${what} is longer than ${MAX_FORGE_ID_LENGTH} characters`, [
    { path, message: `longer than ${MAX_FORGE_ID_LENGTH} characters` },
  ]);

/** Verifications of one delivery at most: the first (maybe with secrets read earlier), then with the current secrets. */
const MAX_VERIFICATIONS = 3;

/** receive()'s answer when the delivery was verified with secrets that are no longer current: nothing was written. */
const STALE_SECRETS = Symbol('stale secrets');

export type WebhookAnswer =
  | { readonly duplicate: true; readonly deliveryId: string; readonly deployments: 0 }
  | { readonly duplicate: false; readonly deliveryId: string; readonly deployments: number; readonly reason: string | null };

/**
 * verify (raw bytes, before anything is parsed) → dedupe by delivery id and by body (a replay under a new id) and
 * read the candidate sources (one round
 * trip, index-backed) → match → one transaction: the delivery record and a deployment.requested per matched source.
 */
export class ReceiveWebhookHandler {
  constructor(
    private readonly store: DeliveryStore,
    private readonly forges: Readonly<Record<string, WebhookForge>>,
    private readonly files: ChangedFilesLookup,
    private readonly installations: AppInstallations,
    private readonly listings: RepositoryListings,
    private readonly metrics: Pick<Metrics, 'webhookDelivery'> = NO_METRICS,
    private readonly commits: CommitLookup = NO_COMMIT_LOOKUP,
  ) {}

  async execute(providerId: string, request: IncomingWebhook): Promise<Result<WebhookAnswer, Failure>> {
    const seen = { forge: 'unknown' };
    const known = this.store.knownProvider(providerId);
    let result = await this.receive(providerId, request, seen, known);
    // A refusal decided with secrets read for an earlier delivery is decided again with the current ones: a delivery
    // signed with a secret that is no longer current is 401, whatever else is wrong with it.
    if (known && result !== STALE_SECRETS && !result.ok) result = STALE_SECRETS;
    // Verified with secrets this process had read before, which the database no longer holds (or, read afresh,
    // which changed again before the screen): nothing was written; verify again with the current ones.
    for (let attempt = 1; result === STALE_SECRETS && attempt < MAX_VERIFICATIONS; attempt++)
      result = await this.receive(providerId, request, seen, undefined);
    const answer = result === STALE_SECRETS ? err(secretsChanging) : result;
    this.metrics.webhookDelivery(seen.forge, outcomeOf(answer));
    return answer;
  }

  /**
   * With `known` (the provider and secrets of an earlier delivery) no round trip precedes verification; the screen then
   * tells whether they are still current, and STALE_SECRETS when not. A signature, or a repository, they reject is
   * checked again with the current secrets (a new secret, a hook bound to the repository's new name). `seen.forge` is set once the provider is known, so even a rejected delivery is
   * counted under its forge.
   */
  private async receive(
    providerId: string,
    request: IncomingWebhook,
    seen: { forge: string },
    known: KnownProvider | undefined,
  ): Promise<Result<WebhookAnswer, Failure> | typeof STALE_SECRETS> {
    const provider = known?.provider ?? (await this.store.provider(providerId));
    if (!provider) return err(failure.notFound('Git provider'));
    seen.forge = provider.type;
    const forge = this.forges[provider.type];
    if (!forge) return err(failure.notFound('Git provider'));
    const secrets = known?.secrets ?? (await this.store.secrets(provider));
    const signedWith = secrets.find((candidate) => forge.verify(request, [candidate.secret]));
    if (!signedWith) return known ? STALE_SECRETS : err(invalidSignature);

    let text: string;
    try {
      text = forge.payloadText(request);
    } catch (error) {
      if (!(error instanceof WebhookBodyError)) throw error;
      return err(failure.validation(`The webhook body holds no payload: ${error.message}`, [{ path: 'body', message: error.message }]));
    }
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      return err(failure.validation('The webhook body is not valid JSON', [{ path: 'body', message: 'not valid JSON' }]));
    }
    // PostgreSQL's jsonb cannot hold U+0000 or a lone surrogate: such a payload is refused here, not a 500 when its event is stored.
    if (mayHoldUnstorableText(text) && pathToUnstorableText(payload))
      return err(
        failure.validation('The webhook body contains text that cannot be stored', [
          { path: 'body', message: 'contains a NUL character or an unpaired surrogate' },
        ]),
      );
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      return err(failure.validation('The webhook body is not a JSON object', [{ path: 'body', message: 'not a JSON object' }]));
    }

    const bodySha256 = createHash('sha256').update(request.rawBody).digest('hex');
    const deliveryId = forge.deliveryId(request) ?? `sha256:${bodySha256}`;
    const event = forge.eventName(request);
    // Ids and names the forges send are short (UUIDs, numbers, "push"); anything longer is not a forge's and must not
    // reach a database index (PostgreSQL refuses keys over ~2.7 KB).
    if (deliveryId.length > MAX_FORGE_ID_LENGTH) return err(tooLong('headers.delivery-id', 'The delivery id header'));
    if (event !== undefined && event.length > MAX_FORGE_ID_LENGTH) return err(tooLong('headers.event', 'The event header'));
    const delivery = new WebhookDelivery(provider.id, provider.type, provider.organizationId, deliveryId, event, new Date(), bodySha256);
    const parsed = forge.parse(event, payload);
    // A repository hook's secret vouches for its own repository only: one leaked secret must not deploy another
    // repository. Compared by the forge's id, so the hook keeps working after the repository is renamed or transferred.
    const bound = signedWith.repository;
    const named = repositoriesOf(parsed);
    const ids = [...named.map((repository) => repository.repositoryId), parsed.kind === 'ignored' ? parsed.repositoryId : undefined];
    if (ids.some((id) => id !== undefined && id.length > MAX_FORGE_ID_LENGTH))
      return err(tooLong('body.repository.id', 'The repository id'));
    if (bound && named.some((repository) => !sameRepository(bound, refOf(repository))))
      return known ? STALE_SECRETS : err(invalidSignature);
    if (bound) for (const repository of named) if (isStale(bound, repository)) follow(delivery, repository);
    // Hook health: the repository this delivery shows alive. An ignored event's claim counts only where the secret vouches for it.
    const claimed = parsed.kind === 'ignored' && (!bound || bound.id === parsed.repositoryId) ? parsed.repositoryId : undefined;
    delivery.repositoryId = named[0]?.repositoryId ?? claimed ?? null;

    // Pushes that their own payload rules out (deletions, skip markers) need no candidates.
    const pushes = parsed.kind === 'push' ? parsed.pushes : [];
    const ignored = pushes.map((push) => pushIgnoreReason(push));
    const targets: ScreenTarget[] =
      parsed.kind === 'pull-request'
        ? [{ repository: refOf(parsed.pullRequest), targetBranch: parsed.pullRequest.targetBranch }]
        : pushes.filter((_, i) => !ignored[i]).map((push) => ({ repository: refOf(push), ref: push.ref }));
    const screened = await this.store.screen(provider.id, deliveryId, bodySha256, targets);
    if (screened.secretsVersion !== provider.secretsVersion) return STALE_SECRETS;
    if (screened.alreadyReceived) {
      await this.store.record(delivery);
      return ok({ duplicate: true, deliveryId, deployments: 0 });
    }
    if (parsed.kind === 'ignored') delivery.ignore(parsed.reason);
    else if (parsed.kind === 'repositories-changed') {
      await this.listings.invalidate(provider.id);
      delivery.ignore(parsed.reason);
    } else if (parsed.kind === 'installation') {
      delivery.ignore(await this.installations.apply(provider.id, parsed.installation));
      await this.listings.invalidate(provider.id);
    } else if (parsed.kind === 'pull-request') {
      await this.preview(provider.id, parsed.pullRequest, screened.candidates[0] ?? [], delivery);
    } else {
      let asked = 0;
      for (const [i, push] of pushes.entries()) {
        const reason = ignored[i];
        if (reason) delivery.ignore(reason);
        else await this.match(provider.id, push, screened.candidates[asked++] ?? [], delivery);
      }
    }

    if (!(await this.store.record(delivery))) return ok({ duplicate: true, deliveryId, deployments: 0 });
    return ok({ duplicate: false, deliveryId, deployments: delivery.deployments, reason: delivery.reason });
  }

  private async match(
    providerId: string,
    push: NormalizedPush,
    sources: readonly MatchableSource[],
    delivery: WebhookDelivery,
  ): Promise<void> {
    if (sources.length === 0) return delivery.ignore('no_matching_source');
    if (sources.some((source) => isStale({ id: source.repositoryId ?? undefined, fullName: source.repository }, push)))
      follow(delivery, push);
    let files: readonly string[] | 'unknown' | undefined;
    for (const source of sources) {
      if (files === undefined && wantsFiles(source, push)) files = await this.changedFiles(providerId, push);
      const decision = decidePush(push, source, files ?? 'unknown');
      if (decision.deploy) delivery.deploy(source, push);
      else delivery.ignore(decision.reason);
    }
  }

  /**
   * A preview event per source of the request's target branch that opted in (forks only with `fromForks`). An
   * abbreviated head (Bitbucket Cloud) is resolved first, only when some source wants it; if that fails the
   * delivery records why and emits nothing rather than a sha the deployer cannot check out.
   */
  private async preview(
    providerId: string,
    request: NormalizedPullRequest,
    sources: readonly MatchableSource[],
    delivery: WebhookDelivery,
  ): Promise<void> {
    if (sources.length === 0) return delivery.ignore(PreviewDecisionReason.noMatchingSource);
    if (sources.some((source) => isStale({ id: source.repositoryId ?? undefined, fullName: source.repository }, request)))
      follow(delivery, request);
    const wanted: MatchableSource[] = [];
    for (const source of sources) {
      const decision = decidePreview(request, source);
      if (decision.emit) wanted.push(source);
      else delivery.ignore(decision.reason);
    }
    if (wanted.length === 0) return;
    let resolved = request;
    if (request.action === 'requested' && !request.head.complete) {
      const commit = await this.commits.resolve(providerId, request.repository, request.head.sha);
      if (!commit.ok) return delivery.ignore(PreviewDecisionReason.commitUnresolved(commit.reason));
      resolved = { ...request, head: { sha: commit.sha, complete: true, message: commit.message, author: commit.author } };
    }
    for (const source of wanted) {
      if (resolved.action === 'requested') delivery.requestPreview(source, resolved);
      else delivery.closePreview(source, resolved);
    }
  }

  private async changedFiles(providerId: string, push: NormalizedPush): Promise<readonly string[] | 'unknown'> {
    if (push.filesComplete) return push.changedFiles;
    if (!needsCompare(push) || !push.beforeSha) return 'unknown';
    return this.files.changedFiles(providerId, push.repository, push.beforeSha, push.commitSha);
  }
}

/** A repository as a payload names it: a push's, or a pull/merge request's target. */
type Named = Pick<NormalizedPush, 'repository' | 'repositoryId'>;

/** The repositories a parsed delivery concerns, which a repository hook's secret must vouch for. */
const repositoriesOf = (parsed: ParsedWebhook): readonly Named[] =>
  parsed.kind === 'push' ? parsed.pushes : parsed.kind === 'pull-request' ? [parsed.pullRequest] : [];

const refOf = (named: Named): RepositoryRef => ({ id: named.repositoryId, fullName: named.repository });

/** A stored repository whose name lags behind the forge's (renamed, transferred, re-cased) or that has no id yet. */
const isStale = (stored: RepositoryRef, named: Named): boolean =>
  named.repositoryId !== undefined && (stored.id === undefined || stored.fullName !== named.repository);

const follow = (delivery: WebhookDelivery, named: Named): void => {
  if (named.repositoryId !== undefined) delivery.followRepository({ id: named.repositoryId, fullName: named.repository });
};

/** No forge API to ask (unit tests, forges whose payloads carry full shas): an abbreviation stays unresolved. */
const NO_COMMIT_LOOKUP: CommitLookup = {
  resolve: () => Promise.resolve({ ok: false, reason: 'no commit API configured' }),
};

const wantsFiles = (source: MatchableSource, push: NormalizedPush): boolean =>
  push.ref.type === 'branch' &&
  source.triggerType === 'push' &&
  source.branch === push.ref.name &&
  source.autoDeploy &&
  (source.watchPaths?.length ?? 0) > 0;

function outcomeOf(result: Result<WebhookAnswer, Failure>): WebhookOutcome {
  if (!result.ok) return 'rejected';
  if (result.value.duplicate) return 'duplicate';
  return result.value.deployments > 0 ? 'deployed' : 'ignored';
}
