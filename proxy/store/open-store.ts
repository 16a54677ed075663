import type { Logger } from "pino";
import { MEMORY_STORE, type NormalizedServeOptions } from "../serve-options.js";
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

/**
 * The store `--store` names: memory (the default), or PostgreSQL by URL — schema migrated,
 * change feed listening. `pg` is loaded only then, so a server on memory never loads it.
 */
export async function openStore(options: NormalizedServeOptions, logger: Logger): Promise<JobStore> {
  if (options.store === MEMORY_STORE) return new MemoryJobStore(storeBounds(options));
  const { openPostgresStore } = await import("./postgres/store.js");
  return openPostgresStore({ url: options.store, ...storeBounds(options), logger });
}
