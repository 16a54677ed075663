import { JobExistsError, type IdempotencyClaim, type Inserted, type JobStore, type NewJob, type StoredJob } from "../store/types.js";
import type { VisibilityScope } from "../tenancy/visibility.js";

/**
 * Inserts a job; an id taken by a concurrent insert goes to `onExisting`, which returns
 * the job to answer with or throws. The job holding the id is read for `scope` (the
 * caller's), so reading one it cannot see leaves nothing behind (spec §2). The store's
 * other refusals (full, unavailable, an Idempotency-Key conflict) travel up to error-mapping.ts.
 */
export async function insertJob(
  store: JobStore,
  fresh: NewJob,
  onExisting: (existing: StoredJob) => StoredJob,
  scope: VisibilityScope,
  idempotency?: IdempotencyClaim,
): Promise<Inserted> {
  try {
    return await store.insert(fresh, idempotency);
  } catch (error) {
    if (error instanceof JobExistsError) {
      const existing = await store.get(fresh.id, scope);
      if (existing !== undefined) return { job: onExisting(existing), created: false };
    }
    throw error;
  }
}
