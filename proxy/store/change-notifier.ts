/**
 * Per-key waiters woken by a newer version: the wait-for-change primitive behind
 * long-polls (`wait`, once) and streams (`subscribe`, every change), shared by the memory
 * store and proxy mode's upstream cache.
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
  readonly reject?: (error: unknown) => void;
  /** The waits sharing this waiter's signal. */
  readonly siblings: Set<Waiter<T>>;
}

interface Subscription<T> {
  after: number;
  readonly onChange: (value: T | undefined) => void;
}

export class ChangeNotifier<T extends { readonly version: number }> {
  private readonly waiters = new Map<string, Set<Waiter<T>>>();
  private readonly subscriptions = new Map<string, Set<Subscription<T>>>();
  private readonly bySignal = new WeakMap<AbortSignal, Set<Waiter<T>>>();

  /**
   * Resolves with the first value notified for `key` whose version is past
   * `afterVersion`, or `undefined` when the key is dropped or `signal` aborts. The
   * caller checks the current value first, in the same tick, so nothing slips by.
   */
  wait(key: string, afterVersion: number, signal: AbortSignal): Promise<T | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => this.register({ key, afterVersion, resolve, siblings: this.siblingsOf(signal) }));
  }

  /**
   * `wait`, for a caller that registers before it reads (a networked store): `cancel`
   * ends this one wait — with a value it read (or `undefined`), or with an error.
   */
  waitCancellable(
    key: string,
    afterVersion: number,
    signal: AbortSignal,
  ): { promise: Promise<T | undefined>; cancel: (outcome: { value: T | undefined } | { error: unknown }) => void } {
    if (signal.aborted) return { promise: Promise.resolve(undefined), cancel: () => undefined };
    let waiter!: Waiter<T>;
    const promise = new Promise<T | undefined>((resolve, reject) => {
      waiter = { key, afterVersion, resolve, reject, siblings: this.siblingsOf(signal) };
      this.register(waiter);
    });
    const cancel = (outcome: { value: T | undefined } | { error: unknown }): void => {
      const set = this.waiters.get(key);
      if (set === undefined || !set.delete(waiter)) return; // already woken or aborted
      if (set.size === 0) this.waiters.delete(key);
      waiter.siblings.delete(waiter);
      if ("error" in outcome) waiter.reject!(outcome.error);
      else waiter.resolve(outcome.value);
    };
    return { promise, cancel };
  }

  private register(waiter: Waiter<T>): void {
    let set = this.waiters.get(waiter.key);
    if (set === undefined) this.waiters.set(waiter.key, (set = new Set()));
    set.add(waiter);
    waiter.siblings.add(waiter);
  }

  /**
   * Calls `onChange` with every value notified for `key` past `afterVersion`, in the
   * notifying call itself (a stream writes its event without a hop), and once with
   * `undefined` when the key is dropped. With `latest`, a value already past
   * `afterVersion` is delivered at once (in a microtask). Returns the unsubscribe
   * function. `onChange` runs inside the notifier's loop, so it must not throw.
   */
  subscribe(key: string, afterVersion: number, onChange: (value: T | undefined) => void, latest?: () => T | undefined): () => void {
    let set = this.subscriptions.get(key);
    if (set === undefined) this.subscriptions.set(key, (set = new Set()));
    const subscription: Subscription<T> = { after: afterVersion, onChange };
    set.add(subscription);
    // Catch up, once, on a value that was already news when the subscriber came.
    const current = latest?.();
    if (current !== undefined && current.version > afterVersion) {
      queueMicrotask(() => {
        const value = latest!();
        if (value === undefined || value.version <= subscription.after || !set.has(subscription)) return;
        subscription.after = value.version;
        onChange(value);
      });
    }
    return () => {
      if (set.delete(subscription) && set.size === 0 && this.subscriptions.get(key) === set) this.subscriptions.delete(key);
    };
  }

  /** Wakes the waiters and subscribers `value` is news to; `undefined` (the key is gone) reaches them all. */
  notify(key: string, value: T | undefined): void {
    const set = this.waiters.get(key);
    if (set !== undefined) {
      for (const waiter of set) {
        if (value === undefined || value.version > waiter.afterVersion) {
          set.delete(waiter);
          waiter.siblings.delete(waiter);
          waiter.resolve(value);
        }
      }
      if (set.size === 0) this.waiters.delete(key);
    }
    const subscribed = this.subscriptions.get(key);
    if (subscribed === undefined) return;
    if (value === undefined) this.subscriptions.delete(key);
    for (const subscription of subscribed) {
      if (value !== undefined && value.version <= subscription.after) continue;
      if (value !== undefined) subscription.after = value.version;
      subscription.onChange(value);
    }
  }

  /** How many are waiting on or subscribed to `key`. */
  count(key: string): number {
    return (this.waiters.get(key)?.size ?? 0) + (this.subscriptions.get(key)?.size ?? 0);
  }

  /** The keys someone waits on or is subscribed to. */
  watchedKeys(): string[] {
    return [...new Set([...this.waiters.keys(), ...this.subscriptions.keys()])];
  }

  /** Releases every waiter and subscriber with `undefined`. */
  releaseAll(): void {
    for (const key of this.watchedKeys()) this.notify(key, undefined);
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
