import { type WebhookDelivery } from '../../domain/webhook-delivery.js';

export interface MatchableSource {
  readonly serviceType: string;
  readonly serviceId: string;
  readonly triggerType: 'push' | 'tag';
  readonly branch: string | null;
  readonly watchPaths: readonly string[] | null;
  readonly autoDeploy: boolean;
}

export interface WebhookSecret {
  readonly secret: string;
  /** Set for repository hooks: a delivery verified with this secret may only concern this repository. */
  readonly repository?: string;
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
  /** True when this provider already recorded this delivery id, or a byte-identical body (hex SHA-256). */
  alreadyReceived(providerId: string, deliveryId: string, bodySha256: string): Promise<boolean>;
  /** Index-backed: connected sources of provider + repository that a branch (or any tag) push could match. */
  candidates(providerId: string, repository: string, ref: { type: 'branch' | 'tag'; name: string }): Promise<MatchableSource[]>;
  /**
   * Inserts the delivery and its events in one transaction. Returns false (and stores a `duplicate` record,
   * no events) when the same provider + delivery id, or the same body, was recorded first — also by a
   * concurrent instance (the database's unique indexes decide).
   */
  record(delivery: WebhookDelivery): Promise<boolean>;
}

export const DELIVERY_STORE = Symbol.for('DeliveryStore');
