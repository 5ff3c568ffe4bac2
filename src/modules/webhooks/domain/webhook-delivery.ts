import { AggregateRoot } from '../../../shared/aggregate-root.js';
import { newId } from '../../../shared/ids.js';
import { type RepositoryRef } from '../../../shared/repository-identity.js';
import { type NormalizedPush } from './push.js';
import { type NormalizedPullRequest } from './pull-request.js';

export type DeliveryOutcome = 'deployed' | 'ignored' | 'duplicate';

export interface DeployTarget {
  readonly serviceType: string;
  readonly serviceId: string;
  /** The source's stored forge id of the repository (null on rows older than ids). */
  readonly repositoryId: string | null;
}

/**
 * One authentic delivery from a forge. It records a `deployment.requested` per matched service, carrying
 * the pushed commit (never "whatever the branch is now"), and commits together with them.
 */
export class WebhookDelivery extends AggregateRoot {
  readonly id = newId();
  private readonly reasons = new Set<string>();
  private readonly seen = new Map<string, RepositoryRef & { readonly id: string }>();
  /** Events for the deployer: deployment.requested, preview.requested and preview.closed (the webhook answer's `deployments`). */
  deployments = 0;
  /** The forge's id of the repository the delivery concerned, when its payload says (hook health). */
  repositoryId: string | null = null;

  constructor(
    readonly providerId: string,
    readonly providerType: string,
    readonly organizationId: string,
    readonly deliveryId: string,
    readonly event: string | undefined,
    readonly receivedAt: Date = new Date(),
    /** Hex SHA-256 of the raw body: a byte-identical body is a replay, whatever its delivery id. */
    readonly bodySha256?: string,
  ) {
    super();
  }

  deploy(target: DeployTarget, push: NormalizedPush): void {
    this.deployments++;
    this.record(
      'deployment.requested',
      this.organizationId,
      target.serviceId,
      {
        serviceType: target.serviceType,
        serviceId: target.serviceId,
        providerId: this.providerId,
        providerType: this.providerType,
        repository: push.repository,
        repositoryId: push.repositoryId ?? target.repositoryId,
        ref: { type: push.ref.type, name: push.ref.name },
        commit: { sha: push.commitSha, message: push.headCommit?.message ?? '', author: push.headCommit?.author ?? '' },
        // What started it (contract): a branch push or a tag push; "manual" deploys do not come through a delivery.
        trigger: push.ref.type === 'tag' ? 'tag' : 'push',
        deliveryId: this.deliveryId,
      },
      this.receivedAt,
    );
  }

  /** The request was opened, reopened or got new commits: a preview of its head commit (a full sha, never an abbreviation). */
  requestPreview(target: DeployTarget, request: NormalizedPullRequest): void {
    if (!request.head.complete) throw new Error('a preview needs the full commit sha');
    this.deployments++;
    this.record(
      'preview.requested',
      this.organizationId,
      target.serviceId,
      {
        serviceType: target.serviceType,
        serviceId: target.serviceId,
        providerId: this.providerId,
        providerType: this.providerType,
        repository: request.repository,
        repositoryId: request.repositoryId ?? target.repositoryId,
        pullRequest: {
          number: request.number,
          title: boundedTitle(request.title),
          url: request.url,
          sourceBranch: request.sourceBranch,
          targetBranch: request.targetBranch,
          fromFork: request.fromFork,
          author: request.author,
        },
        commit: { sha: request.head.sha, message: request.head.message, author: request.head.author },
        deliveryId: this.deliveryId,
      },
      this.receivedAt,
    );
  }

  /** The request was closed, merged or declined: its preview can go. */
  closePreview(target: DeployTarget, request: NormalizedPullRequest): void {
    this.deployments++;
    this.record(
      'preview.closed',
      this.organizationId,
      target.serviceId,
      {
        serviceType: target.serviceType,
        serviceId: target.serviceId,
        providerId: this.providerId,
        providerType: this.providerType,
        repository: request.repository,
        repositoryId: request.repositoryId ?? target.repositoryId,
        pullRequest: { number: request.number },
        merged: request.merged,
        deliveryId: this.deliveryId,
      },
      this.receivedAt,
    );
  }

  /**
   * The forge showed this repository under this name: stored sources and hooks with the same id (or, older
   * rows, the same name) follow it. Only called for repositories whose stored name or id differs.
   */
  followRepository(repository: RepositoryRef & { readonly id: string }): void {
    this.seen.set(repository.id, repository);
  }

  /** Repositories whose stored name (or missing id) should follow what this delivery showed. */
  get renamed(): readonly (RepositoryRef & { readonly id: string })[] {
    return [...this.seen.values()];
  }

  ignore(reason: string): void {
    this.reasons.add(reason);
  }

  get outcome(): DeliveryOutcome {
    return this.deployments > 0 ? 'deployed' : 'ignored';
  }

  /** Why nothing (or not everything) deployed; null when every matched push deployed. */
  get reason(): string | null {
    if (this.deployments > 0 || this.reasons.size === 0) return this.deployments > 0 ? null : 'no_matching_source';
    return [...this.reasons].join(', ');
  }
}

/** Titles are the forge user's free text: an event carries at most this many characters of one. */
export const MAX_TITLE_LENGTH = 1_000;

/** The title as events carry it: cut to MAX_TITLE_LENGTH characters (whole code points), with "…" when cut. */
export function boundedTitle(title: string): string {
  const points = Array.from(title);
  return points.length <= MAX_TITLE_LENGTH ? title : `${points.slice(0, MAX_TITLE_LENGTH - 1).join('')}…`;
}
