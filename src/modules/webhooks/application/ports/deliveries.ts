import { type RepositoryRef } from '../../../../shared/repository-identity.js';
import { type WebhookDelivery } from '../../domain/webhook-delivery.js';

export interface MatchableSource {
  readonly serviceType: string;
  readonly serviceId: string;
  /** The source's stored repository: its name may lag behind a rename, its id is null on rows older than ids. */
  readonly repository: string;
  readonly repositoryId: string | null;
  readonly triggerType: 'push' | 'tag';
  readonly branch: string | null;
  readonly watchPaths: readonly string[] | null;
  readonly autoDeploy: boolean;
}

export interface WebhookSecret {
  readonly secret: string;
  /**
   * Set for repository hooks: a delivery verified with this secret may only concern this repository
   * (compared by the forge's id; by name, case-insensitively, for a hook stored before ids were recorded).
   */
  readonly repository?: RepositoryRef;
}

export interface WebhookProvider {
  readonly id: string;
  readonly type: 'github' | 'gitlab' | 'bitbucket' | 'gitea';
  readonly organizationId: string;
}

/** Persistence the webhook pipeline needs. */
export interface DeliveryStore {
  provider(providerId: string): Promise<WebhookProvider | null>;
  /**
   * The secrets a delivery to this provider may be signed with: the App's secret (any repository of the
   * installation), or each registered hook's secret, bound to the repository it was registered on.
   */
  secrets(provider: WebhookProvider): Promise<WebhookSecret[]>;
  alreadyReceived(providerId: string, deliveryId: string): Promise<boolean>;
  /**
   * Index-backed: connected sources of provider + repository that a branch (or any tag) push could match.
   * The repository is matched by its forge id; sources stored before ids were recorded match by name (case-insensitive).
   */
  candidates(providerId: string, repository: RepositoryRef, ref: { type: 'branch' | 'tag'; name: string }): Promise<MatchableSource[]>;
  /**
   * Inserts the delivery and its events in one transaction. Returns false (and stores a `duplicate` record,
   * no events) when the same provider + delivery id was recorded first — also by a concurrent instance.
   * In the same transaction, the stored sources and hook of each repository in `delivery.renamed` take the
   * forge's current name (and, for rows older than ids, the forge's id).
   */
  record(delivery: WebhookDelivery): Promise<boolean>;
}

export const DELIVERY_STORE = Symbol.for('DeliveryStore');
