import { type DomainEvent } from './domain-event.js';
import { newId } from './ids.js';

/**
 * Records domain events; the unit of work pulls them into the outbox.
 * The event list is created lazily because the ORM never runs constructors or field initialisers on load.
 */
export abstract class AggregateRoot {
  private recordedEvents?: DomainEvent[];

  protected record<TData extends object>(
    type: string,
    organizationId: string,
    aggregateId: string,
    data: TData,
    occurredAt = new Date(),
  ): void {
    (this.recordedEvents ??= []).push({
      id: newId(),
      type,
      occurredAt,
      organizationId,
      aggregateId,
      data: data as Record<string, unknown>,
    });
  }

  pullDomainEvents(): DomainEvent[] {
    const events = this.recordedEvents ?? [];
    this.recordedEvents = [];
    return events;
  }

  peekDomainEvents(): readonly DomainEvent[] {
    return this.recordedEvents ?? [];
  }
}
