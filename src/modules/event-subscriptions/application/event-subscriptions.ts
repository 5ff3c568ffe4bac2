import { failure, type Failure } from '../../../shared/failure.js';
import { newId } from '../../../shared/ids.js';
import { err, ok, type Result } from '../../../shared/result.js';
import { type Secret } from '../../../shared/secret.js';
import { type Actor } from '../../identity/domain/actor.js';
import { EVENT_TYPES, type EventType, mayManageSubscriptions, normaliseTypes } from '../domain/event-subscription.js';

/** A subscription as stored: the secret is encrypted by the store and never read back through this port. */
export interface NewSubscription {
  readonly id: string;
  readonly organizationId: string;
  readonly url: string;
  /** null = every type. */
  readonly types: readonly EventType[] | null;
  readonly description: string | null;
  readonly secret: Secret;
  readonly createdBy: string;
  readonly createdAt: Date;
}

/** What GET lists: delivery state, never the secret. `lastStatus` is absent when the last attempt got no HTTP answer. */
export interface SubscriptionView {
  readonly id: string;
  readonly url: string;
  readonly types: readonly string[];
  readonly description: string | null;
  readonly createdAt: string;
  readonly lastDeliveryAt?: string;
  readonly lastStatus?: number;
  readonly lastError?: string;
  readonly failing: boolean;
}

export interface SubscriptionStore {
  /** Stores the subscription; it receives events committed from now on. */
  add(subscription: NewSubscription): Promise<void>;
  list(organizationId: string): Promise<SubscriptionView[]>;
  /** False when no subscription with this id exists in the organisation. */
  remove(organizationId: string, id: string): Promise<boolean>;
}

/** The SSRF guard: null when the endpoint may be called, else why not. */
export interface EndpointPolicy {
  check(url: string): Promise<string | null>;
}

/** Makes a Standard Webhooks signing secret (`whsec_` + base64 of random bytes). */
export interface SigningSecrets {
  generate(): Secret;
}

export interface CreateSubscription {
  readonly url: string;
  readonly types?: readonly EventType[];
  readonly description?: string;
}

export interface CreatedSubscription {
  readonly id: string;
  readonly url: string;
  readonly types: readonly string[];
  readonly description: string | null;
  /** Shown once: the only time the plaintext leaves forgelink. */
  readonly secret: string;
  readonly createdAt: string;
}

const forbidden = (): Failure => failure.unauthorized('Only owners and admins manage event subscriptions');

/** The event-subscription use cases: authorise first, then check the endpoint, then write. */
export class EventSubscriptions {
  constructor(
    private readonly store: SubscriptionStore,
    private readonly policy: EndpointPolicy,
    private readonly secrets: SigningSecrets,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Owners and admins only: UNAUTHORIZED (403) for members. */
  authorise(actor: Actor): Result<void, Failure> {
    return mayManageSubscriptions(actor) ? ok(undefined) : err(forbidden());
  }

  /** 403 for members; 400 VALIDATION_FAILED when the URL fails the SSRF guard (nothing stored). */
  async create(actor: Actor, input: CreateSubscription): Promise<Result<CreatedSubscription, Failure>> {
    if (!mayManageSubscriptions(actor)) return err(forbidden());
    const refused = await this.policy.check(input.url);
    if (refused) return err(failure.validation(`url ${refused}`, [{ path: 'body.url', message: refused }]));
    const types = normaliseTypes(input.types);
    const subscription: NewSubscription = {
      id: newId(),
      organizationId: actor.organizationId,
      url: input.url,
      types,
      description: input.description ?? null,
      secret: this.secrets.generate(),
      createdBy: actor.userId,
      createdAt: this.clock(),
    };
    await this.store.add(subscription);
    return ok({
      id: subscription.id,
      url: subscription.url,
      types: types ?? [...EVENT_TYPES],
      description: subscription.description,
      secret: subscription.secret.reveal(),
      createdAt: subscription.createdAt.toISOString(),
    });
  }

  async list(actor: Actor): Promise<Result<SubscriptionView[], Failure>> {
    if (!mayManageSubscriptions(actor)) return err(forbidden());
    return ok(await this.store.list(actor.organizationId));
  }

  /** Another organisation's id is NOT_FOUND, like an unknown one. */
  async remove(actor: Actor, id: string): Promise<Result<void, Failure>> {
    if (!mayManageSubscriptions(actor)) return err(forbidden());
    if (!(await this.store.remove(actor.organizationId, id))) return err(failure.notFound('Event subscription'));
    return ok(undefined);
  }
}
