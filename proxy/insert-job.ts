import { ApiError } from "./api-error.js";
import { JobExistsError, StoreFullError, type JobStore, type NewJob, type StoredJob } from "./store/types.js";

/** Seconds a publisher is told to wait when the store is full of jobs in flight. */
const STORE_FULL_RETRY_AFTER_S = 5;

/**
 * Inserts a job, mapping store refusals onto the API: a full store is a 503 (nothing in
 * flight is dropped to make room); an id taken by a concurrent insert goes to
 * `onExisting`, which returns the job to answer with or throws.
 */
export async function insertJob(
  store: JobStore,
  fresh: NewJob,
  onExisting: (existing: StoredJob) => StoredJob,
): Promise<{ job: StoredJob; created: boolean }> {
  try {
    return { job: await store.insert(fresh), created: true };
  } catch (error) {
    if (error instanceof StoreFullError) {
      throw new ApiError("unavailable", `the job store is full of jobs in flight; try again later`, {
        "Retry-After": String(STORE_FULL_RETRY_AFTER_S),
      });
    }
    if (error instanceof JobExistsError) {
      const existing = await store.get(fresh.id);
      if (existing !== undefined) return { job: onExisting(existing), created: false };
    }
    throw error;
  }
}
