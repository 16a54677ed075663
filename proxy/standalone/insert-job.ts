import { ApiError } from "../http/api-error.js";
import { STORE_RETRY_AFTER_S } from "../http/error-mapping.js";
import { JobExistsError, type Inserted, type JobStore, type NewJob, type StoredJob } from "../store/types.js";
import type { VisibilityScope } from "../tenancy/visibility.js";
import { newJobId } from "../ulid.js";

/** Server-made ids an insert draws before it gives up: each taken one means another job holds it. */
const NEW_ID_ATTEMPTS = 5;

/**
 * Inserts a job under an id its client chose (publish's idempotent `id`); an id taken by a
 * concurrent insert goes to `onExisting`, which returns the job to answer with or throws. The
 * job holding the id is read for `scope` (the caller's), so reading one the caller cannot see
 * leaves nothing behind (spec §2). The store's other refusals (full, unavailable) travel up to
 * error-mapping.ts.
 */
export async function insertJob(store: JobStore, fresh: NewJob, onExisting: (existing: StoredJob) => StoredJob, scope: VisibilityScope): Promise<Inserted> {
  try {
    return await store.insert(fresh);
  } catch (error) {
    if (error instanceof JobExistsError) {
      const existing = await store.get(fresh.id, scope);
      if (existing !== undefined) return { job: onExisting(existing), created: false };
    }
    throw error;
  }
}

/**
 * Runs `attempt` — an insert under the server-made `id` it is given — until an id is free. A
 * taken one (by chance, or because someone published under an id they predicted: job ids are
 * ULIDs, monotonic within a millisecond) is never answered with the job that holds it, which
 * may be another account's: a new id is drawn instead. Other refusals travel up as they are.
 */
export async function insertWithNewId<T>(attempt: (id: string) => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt(newJobId());
    } catch (error) {
      if (!(error instanceof JobExistsError)) throw error;
      if (tries >= NEW_ID_ATTEMPTS) {
        throw new ApiError("unavailable", `no free job id after ${tries} attempts; try again`, { "Retry-After": String(STORE_RETRY_AFTER_S) });
      }
    }
  }
}
