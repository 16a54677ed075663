/**
 * Group commit for the store's compare-and-set updates. A transaction that NOTIFYs holds
 * PostgreSQL's notify lock until its commit is flushed, so notifying commits cannot share a
 * WAL flush the way other commits do: one update per commit would cap a whole cluster at
 * one change per flush (a few hundred a second on ordinary disks). So this replica sends
 * its updates as few statements as it can: the first at once (no added latency when idle),
 * and the ones that arrive while a statement is in flight together as the next — each
 * still its own compare-and-set, applied or not on its own.
 */
export interface BatchedWrite<T> {
  readonly item: T;
  resolve(applied: boolean): void;
  reject(error: unknown): void;
}

export class UpdateBatcher<T> {
  private queue: BatchedWrite<T>[] = [];
  private flushing = false;

  /**
   * `run` sends one batch as one statement and resolves with the indexes (into the batch)
   * of the writes it applied; a rejection fails the whole batch (nothing of it applied).
   */
  constructor(
    private readonly run: (batch: readonly T[]) => Promise<ReadonlySet<number>>,
    private readonly maxBatch = 256,
  ) {}

  /** Resolves true when the write was applied, false when its compare-and-set lost. */
  write(item: T): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, this.maxBatch);
        this.queue = this.queue.slice(batch.length);
        try {
          const applied = await this.run(batch.map((write) => write.item));
          batch.forEach((write, index) => write.resolve(applied.has(index)));
        } catch (error) {
          for (const write of batch) write.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
