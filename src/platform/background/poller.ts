/**
 * The schedule of a background worker every instance runs (the outbox relay, the event-subscription dispatcher, the
 * commit-status worker): one round at a time; the next one after `intervalMs`, or at once when the round says there
 * is more or `kick()` was called (a local commit) while it ran. With `kickGapMs`, rounds that kicks start begin at
 * least that long after the previous round began: under a stream of commits the worker then takes what accumulated
 * in one round instead of one round trip per commit (ADR 0021). Timers are unref'd: a poller never keeps a process up.
 */
export class Poller {
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private running = false;
  private again = false;
  /** When the scheduled round is due (performance.now() ms), while one is scheduled. */
  private dueAt?: number;
  private lastStart = -Infinity;

  /**
   * @param round one round of work; resolves true when there is more to do at once (a full batch).
   * @param intervalMs the pause between rounds when there is nothing more, in milliseconds.
   * @param onError told about a round that threw; the next round runs on schedule.
   * @param kickGapMs the least time, in milliseconds, from a round's start to the start of a round a kick asks for.
   */
  constructor(
    private readonly round: () => Promise<boolean>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
    private readonly kickGapMs = 0,
  ) {}

  /** True once `stop()` was called (and before `start()`): work in flight should wind down. */
  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** No new round starts; resolves when the round in progress, if any, has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.dueAt = undefined;
    while (this.running) await new Promise((r) => setTimeout(r, 10));
  }

  /** Run a round now rather than at the next interval (after the current one, if one is running). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(this.gapLeft());
  }

  private gapLeft(): number {
    return Math.max(0, this.lastStart + this.kickGapMs - performance.now());
  }

  /** Runs a round after `delay` ms, unless one is due sooner already. */
  private schedule(delay: number): void {
    const dueAt = performance.now() + delay;
    if (this.timer && this.dueAt !== undefined && this.dueAt <= dueAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.dueAt = dueAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dueAt = undefined;
      void this.tick();
    }, delay);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    this.lastStart = performance.now();
    let more = false;
    try {
      more = await this.round();
    } catch (error) {
      this.onError(error);
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    const kicked = this.again;
    this.again = false;
    this.schedule(more ? 0 : kicked ? this.gapLeft() : this.intervalMs);
  }
}
