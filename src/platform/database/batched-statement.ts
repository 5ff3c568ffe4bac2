/**
 * Natural batching (group commit) for one statement of a hot path (ADR 0021): callers submit one input each; inputs
 * that arrive while earlier batches are in flight wait and go out together as the next batch, so one round trip (and
 * one commit) serves many callers. Nothing waits on a timer: with no batch in flight an input goes out at once, alone,
 * so a quiet service answers as fast as without batching; under load the batch grows with the load.
 *
 * `run` gets the batch's inputs and must answer one output per input, in order. Each caller's promise settles with
 * its own output once the batch's statement has completed (for a write: committed). If a batch of several fails, each
 * of its inputs is run again alone, so one bad input (a constraint it violates) fails only its own caller, never its
 * neighbours'.
 */
export class BatchedStatement<I, O> {
  private readonly waiting: { input: I; resolve: (output: O) => void; reject: (error: unknown) => void }[] = [];
  private inFlight = 0;

  /**
   * @param run one round trip for a batch: outputs in the inputs' order.
   * @param maxBatch inputs per batch at most (bounds a statement's parameters and a batch's latency).
   * @param maxInFlight batches running at once (each holds one pooled connection while it runs).
   */
  constructor(
    private readonly run: (inputs: readonly I[]) => Promise<readonly O[]>,
    private readonly maxBatch = 64,
    private readonly maxInFlight = 1,
  ) {}

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      void this.execute(batch).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async execute(batch: typeof this.waiting): Promise<void> {
    try {
      const outputs = await this.run(batch.map((entry) => entry.input));
      if (outputs.length !== batch.length)
        throw new Error(`A batched statement answered ${outputs.length} outputs for ${batch.length} inputs`);
      batch.forEach((entry, i) => entry.resolve(outputs[i] as O));
    } catch (error) {
      if (batch.length === 1) return batch[0]?.reject(error);
      // One input may be the cause: each alone, so only its own caller sees the error.
      await Promise.all(
        batch.map(async (entry) => {
          try {
            const [output] = await this.run([entry.input]);
            entry.resolve(output as O);
          } catch (alone) {
            entry.reject(alone);
          }
        }),
      );
    }
  }
}
