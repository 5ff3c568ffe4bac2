import { Poller } from './poller.js';

/** What a {@link ClaimPool} runs: how it claims work and what it does with each claimed item. */
export interface PoolWork<T extends { readonly id: string }> {
  /** Claims at most `free` items, none of those in flight here (the pool's `held`), e.g. with FOR UPDATE SKIP LOCKED. */
  claim(free: number): Promise<T[]>;
  /** Works one claimed item to its end (settles or releases its claim). */
  work(item: T): Promise<void>;
  /** A claim that threw; the next round runs on schedule. */
  onClaimError(error: unknown): void;
  /** A `work` that threw. */
  onWorkError(error: unknown, item: T): void;
}

/**
 * Claimed work run side by side, at most `concurrency` items in flight (the event-subscription dispatcher, the
 * commit-status worker): each round of its {@link Poller} claims what the free slots allow and starts it; a finished
 * item frees its slot and kicks the next round.
 */
export class ClaimPool<T extends { readonly id: string }> {
  private readonly poller: Poller;
  private readonly active = new Map<string, Promise<void>>();

  constructor(
    private readonly work: PoolWork<T>,
    private readonly concurrency: number,
    intervalMs: number,
    /** See Poller: the least time between the starts of rounds that kicks ask for. */
    kickGapMs = 0,
  ) {
    this.poller = new Poller(
      () => this.round(),
      intervalMs,
      (error) => work.onClaimError(error),
      kickGapMs,
    );
  }

  /** True once `stop()` was called: work in flight should wind down. */
  get isStopped(): boolean {
    return this.poller.isStopped;
  }

  /** Ids of the items in flight here. */
  get held(): string[] {
    return [...this.active.keys()];
  }

  start(): void {
    this.poller.start();
  }

  /** No new claims; resolves when the round in progress and every item in flight have finished. */
  async stop(): Promise<void> {
    await this.poller.stop();
    await Promise.allSettled([...this.active.values()]);
  }

  /** Look for work now rather than at the next interval. */
  kick(): void {
    this.poller.kick();
  }

  private async round(): Promise<boolean> {
    const free = this.concurrency - this.active.size;
    if (free <= 0) return false;
    for (const item of await this.work.claim(free)) {
      const run = this.work
        .work(item)
        .catch((error: unknown) => this.work.onWorkError(error, item))
        .finally(() => {
          this.active.delete(item.id);
          this.kick();
        });
      this.active.set(item.id, run);
    }
    return false;
  }
}
