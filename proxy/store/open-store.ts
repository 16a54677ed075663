import { MEMORY_STORE, ServeOptionsError, type NormalizedServeOptions } from "../serve-options.js";
import { MemoryJobStore } from "./memory.js";
import type { JobStore } from "./types.js";

/** The store `--store` names: memory (the default), or a shared backend by URL. */
export async function openStore(options: NormalizedServeOptions): Promise<JobStore> {
  if (options.store === MEMORY_STORE) return new MemoryJobStore({ maxJobs: options.maxJobs, retentionMs: options.retentionMs });
  throw new ServeOptionsError(`--store: ${new URL(options.store).protocol} stores are not available in this build; use --store memory`);
}
