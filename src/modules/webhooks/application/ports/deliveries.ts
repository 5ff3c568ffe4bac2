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
  readonly previews: { readonly enabled: boolean; readonly fromForks: boolean };
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
  /** The provider type: its forge plug-in's. */
  readonly type: string;
  readonly organizationId: string;
  /**
   * Opaque; changes whenever the secrets a delivery may be signed with change (a new webhook secret, a hook
   * registered, released or renamed, a re-encryption). Read with the provider, so a cache of secrets keyed by it is
   * never stale.
   */
  readonly secretsVersion: string;
}

/** One push to screen: its repository (by forge id, else name) and ref. */
export interface PushTarget {
  readonly repository: RepositoryRef;
  readonly ref: { readonly type: 'branch' | 'tag'; readonly name: string };
}

/** A pull/merge request to screen: every connected source of its target repository whose branch is the target, any trigger. */
export interface PreviewTarget {
  readonly repository: RepositoryRef;
  readonly targetBranch: string;
}

export type ScreenTarget = PushTarget | PreviewTarget;

/** What one round trip tells about a verified delivery before matching. */
export interface DeliveryScreen {
  /**
   * The provider's secretsVersion as the database holds it now; null when the provider is gone. A delivery verified
   * with secrets of another version must be verified again with the current ones before anything is acted on.
   */
  readonly secretsVersion: string | null;
  /** The provider + delivery id was already recorded (a redelivery or a racing copy). */
  readonly alreadyReceived: boolean;
  /** For each target asked about, in order: its index-backed candidate sources. */
  readonly candidates: readonly (readonly MatchableSource[])[];
}

/** A provider and its verification secrets as this process last read them (WebhookProvider.secretsVersion tells which). */
export interface KnownProvider {
  readonly provider: WebhookProvider;
  readonly secrets: readonly WebhookSecret[];
}

/** Persistence the webhook pipeline needs. */
export interface DeliveryStore {
  /**
   * The provider and secrets an earlier delivery read, without a round trip; undefined when none is at hand. It may
   * be stale: a delivery verified with it is acted on only if screen() reports the same secretsVersion.
   */
  knownProvider(providerId: string): KnownProvider | undefined;
  provider(providerId: string): Promise<WebhookProvider | null>;
  /**
   * The secrets a delivery to this provider may be signed with: the App's secret (any repository of the
   * installation), or each registered hook's secret, bound to the repository it was registered on.
   */
  secrets(provider: WebhookProvider): Promise<readonly WebhookSecret[]>;
  /**
   * In one round trip: the provider's current secretsVersion, whether the delivery id, or a byte-identical body (hex SHA-256), was already recorded, and for each push the connected sources of
   * provider + repository that a branch (or any tag) push could match (index-backed). The repository is matched by
   * its forge id; sources stored before ids were recorded match by name (case-insensitive).
   */
  screen(providerId: string, deliveryId: string, bodySha256: string, targets: readonly ScreenTarget[]): Promise<DeliveryScreen>;
  /**
   * Inserts the delivery and its events in one transaction. Returns false (and stores a `duplicate` record,
   * no events) when the same provider + delivery id, or the same body, was recorded first — also by a
   * concurrent instance (the database's unique indexes decide).
   * In the same transaction, the stored sources and hook of each repository in `delivery.renamed` take the
   * forge's current name (and, for rows older than ids, the forge's id).
   */
  record(delivery: WebhookDelivery): Promise<boolean>;
}
