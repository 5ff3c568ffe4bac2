import { EventEmitter } from 'eventemitter3';
import { type EventEnvelope, type EventPublisher } from './event-publisher.js';

export type EventHandler = (event: EventEnvelope) => void | Promise<void>;

/**
 * The in-process bus a deployer living in the same process subscribes to. Subscribers are awaited:
 * one that throws makes the relay retry the event later (at least once; dedupe by `id`).
 */
export class InProcessEventBus implements EventPublisher {
  readonly name = 'in-process';
  private readonly emitter = new EventEmitter<Record<string, [EventEnvelope, Promise<void>[]]>>();

  /** `type` is an event type such as 'deployment.requested', or '*' for every event. */
  subscribe(type: string, handler: EventHandler): () => void {
    const listener = (event: EventEnvelope, pending: Promise<void>[]): void => {
      pending.push(Promise.resolve().then(() => handler(event)));
    };
    this.emitter.on(type, listener);
    return () => this.emitter.off(type, listener);
  }

  async publish(event: EventEnvelope): Promise<void> {
    const pending: Promise<void>[] = [];
    this.emitter.emit(event.type, event, pending);
    this.emitter.emit('*', event, pending);
    const results = await Promise.allSettled(pending);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
