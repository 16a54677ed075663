/**
 * Per-key waiters woken by a newer version: the wait-for-change primitive behind
 * long-polls and streams, shared by the memory store and proxy mode's upstream cache.
 * Plain sets of callbacks: waking 10 000 waiters is one loop, and a waiter that gives
 * up (abort) removes itself in O(1).
 */
interface Waiter<T> {
  readonly afterVersion: number;
  readonly resolve: (value: T | undefined) => void;
}

export class ChangeNotifier<T extends { readonly version: number }> {
  private readonly waiters = new Map<string, Set<Waiter<T>>>();

  /**
   * Resolves with the first value notified for `key` whose version is past
   * `afterVersion`, or `undefined` when the key is dropped or `signal` aborts. The
   * caller checks the current value first, in the same tick, so nothing slips by.
   */
  wait(key: string, afterVersion: number, signal: AbortSignal): Promise<T | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (set === undefined) this.waiters.set(key, (set = new Set()));
      const onAbort = (): void => {
        set.delete(waiter);
        if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
        resolve(undefined);
      };
      const waiter: Waiter<T> = {
        afterVersion,
        resolve: (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
      };
      set.add(waiter);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Wakes the waiters `value` is news to; `undefined` (the key is gone) wakes them all. */
  notify(key: string, value: T | undefined): void {
    const set = this.waiters.get(key);
    if (set === undefined) return;
    for (const waiter of set) {
      if (value === undefined || value.version > waiter.afterVersion) {
        set.delete(waiter);
        waiter.resolve(value);
      }
    }
    if (set.size === 0) this.waiters.delete(key);
  }

  /** How many are waiting on `key`. */
  count(key: string): number {
    return this.waiters.get(key)?.size ?? 0;
  }

  /** Releases every waiter with `undefined`. */
  releaseAll(): void {
    for (const key of [...this.waiters.keys()]) this.notify(key, undefined);
  }
}
