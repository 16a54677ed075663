import { ApiError } from "./api-error.js";

/** Seconds a caller over its hold quota is told to wait (holds end within --max-wait). */
const HOLD_QUOTA_RETRY_AFTER_S = 5;

/**
 * `--max-holds-per-key` (spec §2 "Fair share"): how many long-polls and streams one key
 * may hold at once, so that one token cannot take every connection the process has.
 * Keyed by the caller's key (a principal, or a token's hash in proxy mode).
 */
export class HoldQuota {
  private readonly held = new Map<unknown, number>();

  constructor(private readonly limit: number) {}

  /** Takes one hold for `key` and returns its release; past the limit, a 429 naming it. */
  take(key: unknown): () => void {
    const count = this.held.get(key) ?? 0;
    if (count >= this.limit) {
      throw new ApiError(
        "rate_limited",
        `this key already holds ${count} long-polls and streams (--max-holds-per-key ${this.limit}); wait for one to end, or ask without a wait`,
        { "Retry-After": String(HOLD_QUOTA_RETRY_AFTER_S) },
        "max_holds_per_key",
      );
    }
    this.held.set(key, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(key) ?? 1) - 1;
      if (left === 0) this.held.delete(key);
      else this.held.set(key, left);
    };
  }
}
