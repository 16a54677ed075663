import { MEMORY_STORE, ServeOptionsError, type NormalizedServeOptions } from "../serve-options.js";
import { MemoryJobStore } from "./memory.js";
import type { JobStore, StoreBounds } from "./types.js";

/** The bounds the serve options set (spec §8), for every backend. */
export function storeBounds(options: NormalizedServeOptions): StoreBounds {
  return {
    maxJobs: options.maxJobs,
    maxAccountJobs: options.maxAccountJobs,
    retentionMs: options.retentionMs,
    maxIdempotencyKeysPerAccount: options.maxIdempotencyKeys,
  };
}

/** The store `--store` names: memory (the default), or a shared backend by URL. */
export async function openStore(options: NormalizedServeOptions): Promise<JobStore> {
  if (options.store === MEMORY_STORE) return new MemoryJobStore(storeBounds(options));
  throw new ServeOptionsError(`--store: ${new URL(options.store).protocol} stores are not available in this build; use --store memory`);
}
