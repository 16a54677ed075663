import { LRUCache } from "lru-cache";
import { ApiError, invalidRequest } from "./api-error.js";

const MAX_KEYS = 100_000;
const KEY_TTL_MS = 24 * 60 * 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` for the demo operations (spec §6), scoped to the account: a repeated
 * call returns the first call's job; the same key with a different request is a 409.
 * The entry is recorded before the job is created, so concurrent repeats share one job.
 */
export class IdempotencyKeys {
  private readonly entries = new LRUCache<string, { fingerprint: string; jobId: Promise<string> }>({
    max: MAX_KEYS,
    ttl: KEY_TTL_MS,
  });

  /** The job id for this key: an earlier call's, or the one `create` makes now. */
  async resolve(account: string, key: string, fingerprint: string, create: () => Promise<string>): Promise<string> {
    if (!KEY_PATTERN.test(key)) throw invalidRequest("Idempotency-Key must be 1 to 255 visible ASCII characters");
    const slot = `${account}\0${key}`;
    const existing = this.entries.get(slot);
    if (existing !== undefined) {
      if (existing.fingerprint !== fingerprint) {
        throw new ApiError("conflict", "this Idempotency-Key was used for a different request");
      }
      return existing.jobId;
    }
    const jobId = create();
    this.entries.set(slot, { fingerprint, jobId });
    jobId.catch(() => this.entries.delete(slot));
    return jobId;
  }
}
