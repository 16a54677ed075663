/**
 * Per-key waiters woken by a newer version: the wait-for-change primitive behind
 * long-polls and streams, shared by the memory store and proxy mode's upstream cache.
 *
 * Built for fan-out: waking 10 000 waiters is one loop of resolves. Each AbortSignal
 * gets one abort listener however many waits use it (a stream waits once per event),
 * and a woken waiter leaves that listener alone: EventTarget's add and remove are the
 * costly part of a wait, and a signal dies with its request anyway.
 */
interface Waiter<T> {
  readonly key: string;
  readonly afterVersion: number;
  readonly resolve: (value: T | undefined) => void;
  /** The waits sharing this waiter's signal. */
  readonly siblings: Set<Waiter<T>>;
}

export class ChangeNotifier<T extends { readonly version: number }> {
  private readonly waiters = new Map<string, Set<Waiter<T>>>();
  private readonly bySignal = new WeakMap<AbortSignal, Set<Waiter<T>>>();

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
      const waiter: Waiter<T> = { key, afterVersion, resolve, siblings: this.siblingsOf(signal) };
      set.add(waiter);
      waiter.siblings.add(waiter);
    });
  }

  /** Wakes the waiters `value` is news to; `undefined` (the key is gone) wakes them all. */
  notify(key: string, value: T | undefined): void {
    const set = this.waiters.get(key);
    if (set === undefined) return;
    for (const waiter of set) {
      if (value === undefined || value.version > waiter.afterVersion) {
        set.delete(waiter);
        waiter.siblings.delete(waiter);
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

  private siblingsOf(signal: AbortSignal): Set<Waiter<T>> {
    let siblings = this.bySignal.get(signal);
    if (siblings === undefined) {
      const created = new Set<Waiter<T>>();
      siblings = created;
      this.bySignal.set(signal, created);
      signal.addEventListener(
        "abort",
        () => {
          for (const waiter of created) this.drop(waiter);
          created.clear();
        },
        { once: true },
      );
    }
    return siblings;
  }

  private drop(waiter: Waiter<T>): void {
    const set = this.waiters.get(waiter.key);
    if (set !== undefined && set.delete(waiter) && set.size === 0) this.waiters.delete(waiter.key);
    waiter.resolve(undefined);
  }
}
