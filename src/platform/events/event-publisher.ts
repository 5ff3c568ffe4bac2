/** The contract's event envelope, as it leaves forgelink (times as ISO-8601 strings). */
export interface EventEnvelope {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly organizationId: string;
  readonly aggregateId: string;
  readonly data: Record<string, unknown>;
}

/**
 * Where the outbox relay hands events. Publishing must be idempotent per `id` on the consumer side;
 * the relay calls publish at least once per event, in commit order per aggregate, and only marks an
 * outbox row done after every publisher resolved.
 */
export interface EventPublisher {
  readonly name: string;
  publish(event: EventEnvelope): Promise<void>;
  close(): Promise<void>;
}
