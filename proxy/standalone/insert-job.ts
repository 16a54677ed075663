import { JobExistsError, type IdempotencyClaim, type Inserted, type JobStore, type NewJob, type StoredJob } from "../store/types.js";

/**
 * Inserts a job; an id taken by a concurrent insert goes to `onExisting`, which returns
 * the job to answer with or throws. The store's other refusals (full, unavailable, an
 * Idempotency-Key conflict) travel up to error-mapping.ts.
 */
export async function insertJob(
  store: JobStore,
  fresh: NewJob,
  onExisting: (existing: StoredJob) => StoredJob,
  idempotency?: IdempotencyClaim,
): Promise<Inserted> {
  try {
    return await store.insert(fresh, idempotency);
  } catch (error) {
    if (error instanceof JobExistsError) {
      const existing = await store.get(fresh.id);
      if (existing !== undefined) return { job: onExisting(existing), created: false };
    }
    throw error;
  }
}
