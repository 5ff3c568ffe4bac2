import { describe, expect, it } from 'vitest';
import { Poller } from '../../../src/platform/background/poller.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Poller: kicks under a stream of commits', () => {
  it('without a gap, a kick runs a round at once', async () => {
    const starts: number[] = [];
    const poller = new Poller(
      () => (starts.push(performance.now()), Promise.resolve(false)),
      60_000,
      () => {},
    );
    poller.start();
    await sleep(20);
    const kicked = performance.now();
    poller.kick();
    await sleep(20);
    await poller.stop();
    expect(starts).toHaveLength(2);
    // Not the 60 s interval: the kick's round, even on a busy machine.
    expect((starts[1] ?? Infinity) - kicked).toBeLessThan(1_000);
  });

  it('with kickGapMs, kicks arriving every millisecond start a round at most once per gap, and the last kick is never lost', async () => {
    const starts: number[] = [];
    const poller = new Poller(
      () => (starts.push(performance.now()), Promise.resolve(false)),
      60_000,
      () => {},
      50,
    );
    poller.start();
    const until = performance.now() + 300;
    let lastKick = 0;
    while (performance.now() < until) {
      lastKick = performance.now();
      poller.kick();
      await sleep(1);
    }
    await sleep(120);
    await poller.stop();
    // 300 ms of kicks at ≥ 50 ms apart: at most 7 rounds (plus the start), where one round per kick would be hundreds.
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(starts.length).toBeLessThanOrEqual(8);
    for (let i = 1; i < starts.length; i++) expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(45); // timers fire on whole milliseconds
    // The last kick's commit is taken by a round that started after it.
    expect(starts.at(-1) ?? 0).toBeGreaterThanOrEqual(lastKick);
  });

  it('a round that says there is more runs the next one at once, whatever the gap', async () => {
    let rounds = 0;
    const starts: number[] = [];
    const poller = new Poller(
      () => (starts.push(performance.now()), Promise.resolve(++rounds < 5)),
      60_000,
      () => {},
      1_000,
    );
    poller.start();
    await sleep(50);
    await poller.stop();
    expect(rounds).toBe(5);
    // Four gaps would be 4 s.
    expect((starts[4] ?? Infinity) - (starts[0] ?? 0)).toBeLessThan(1_000);
  });

  it('stopped and started again, it runs at once', async () => {
    let rounds = 0;
    const poller = new Poller(
      () => (rounds++, Promise.resolve(false)),
      60_000,
      () => {},
      1_000,
    );
    poller.start();
    await sleep(10);
    await poller.stop();
    poller.start();
    await sleep(10);
    await poller.stop();
    expect(rounds).toBe(2);
  });
});
