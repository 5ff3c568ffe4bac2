import { describe, expect, it } from 'vitest';
import { BatchedStatement } from '../../../src/platform/database/batched-statement.js';

/** A statement whose round trips the test completes by hand, recording each batch it was given. */
function manualStatement<I>(answer: (input: I) => string = (input) => `out:${String(input)}`) {
  const batches: I[][] = [];
  const pending: { inputs: readonly I[]; resolve: (outputs: string[]) => void; reject: (error: unknown) => void }[] = [];
  const run = (inputs: readonly I[]): Promise<string[]> =>
    new Promise((resolve, reject) => {
      batches.push([...inputs]);
      pending.push({ inputs, resolve, reject });
    });
  /** Completes the oldest round trip still open, with each input's answer (or an error). */
  const complete = async (error?: unknown): Promise<void> => {
    const next = pending.shift();
    if (!next) throw new Error('no round trip is open');
    if (error) next.reject(error);
    else next.resolve(next.inputs.map(answer));
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { run, batches, complete, open: () => pending.length };
}

describe('BatchedStatement: natural batching of a hot statement', () => {
  it('an input with nothing in flight goes out at once, alone', async () => {
    const statement = manualStatement<number>();
    const batched = new BatchedStatement(statement.run, 64, 1);
    const answer = batched.submit(1);
    expect(statement.batches).toEqual([[1]]);
    await statement.complete();
    expect(await answer).toBe('out:1');
  });

  it('inputs that arrive while a batch is in flight go out together as the next batch, each caller getting its own output', async () => {
    const statement = manualStatement<number>();
    const batched = new BatchedStatement(statement.run, 64, 1);
    const answers = [batched.submit(1), batched.submit(2), batched.submit(3), batched.submit(4)];
    expect(statement.batches).toEqual([[1]]);
    await statement.complete();
    expect(statement.batches).toEqual([[1], [2, 3, 4]]);
    await statement.complete();
    expect(await Promise.all(answers)).toEqual(['out:1', 'out:2', 'out:3', 'out:4']);
  });

  it('a batch holds at most maxBatch inputs, and at most maxInFlight batches run at once', async () => {
    const statement = manualStatement<number>();
    const batched = new BatchedStatement(statement.run, 3, 2);
    const answers = Array.from({ length: 9 }, (_, i) => batched.submit(i));
    expect(statement.batches).toEqual([[0], [1]]);
    expect(statement.open()).toBe(2);
    await statement.complete();
    expect(statement.batches).toEqual([[0], [1], [2, 3, 4]]);
    await statement.complete();
    expect(statement.batches).toEqual([[0], [1], [2, 3, 4], [5, 6, 7]]);
    expect(statement.open()).toBe(2);
    await statement.complete();
    expect(statement.batches.at(-1)).toEqual([8]);
    await statement.complete();
    await statement.complete();
    expect(statement.open()).toBe(0);
    expect(await Promise.all(answers)).toEqual(Array.from({ length: 9 }, (_, i) => `out:${i}`));
  });

  it('when a batch of several fails, each input runs again alone: only the bad one fails, its neighbours get their outputs', async () => {
    const runs: number[][] = [];
    const batched = new BatchedStatement<number, string>(
      (inputs) => {
        runs.push([...inputs]);
        return inputs.includes(13) ? Promise.reject(new Error('violates a constraint')) : Promise.resolve(inputs.map((i) => `ok:${i}`));
      },
      64,
      1,
    );
    const first = batched.submit(1);
    const rest = [12, 13, 14].map((i) =>
      batched.submit(i).then(
        (v) => v,
        (error: Error) => `failed: ${error.message}`,
      ),
    );
    expect(await first).toBe('ok:1');
    expect(await Promise.all(rest)).toEqual(['ok:12', 'failed: violates a constraint', 'ok:14']);
    expect(runs).toEqual([[1], [12, 13, 14], [12], [13], [14]]);
  });

  it('a lone failing input rejects its caller once, and the statement keeps serving later inputs', async () => {
    let calls = 0;
    const batched = new BatchedStatement<number, number>(
      (inputs) => (calls++, inputs[0] === 0 ? Promise.reject(new Error('down')) : Promise.resolve(inputs.map((i) => i * 2))),
      64,
      1,
    );
    await expect(batched.submit(0)).rejects.toThrow('down');
    expect(calls).toBe(1);
    expect(await batched.submit(21)).toBe(42);
  });

  it('a statement answering the wrong number of outputs fails its callers instead of mixing answers up', async () => {
    const batched = new BatchedStatement<number, number>(() => Promise.resolve([]), 64, 1);
    await expect(batched.submit(1)).rejects.toThrow('answered 0 outputs for 1 inputs');
  });
});
