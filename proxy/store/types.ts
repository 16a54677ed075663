import type { JobError, JobResource, JobStatus } from "../../client/types.js";

/**
 * The store contract (spec §8). Every backend implements exactly this and passes the
 * shared contract suite in test/store-contract.ts.
 *
 * Snapshots are immutable: an update yields a new `StoredJob`, so a reader never sees
 * a half-applied change and a serialized form can be memoized per snapshot.
 */
export interface StoredJob {
  readonly id: string;
  readonly account: string;
  readonly teamId: string;
  readonly type: string;
  readonly status: JobStatus;
  readonly progress: number;
  /** Creation time in ms since the epoch; non-decreasing in creation order. */
  readonly createdAt: number;
  readonly resource: Readonly<JobResource>;
  readonly result: Readonly<Record<string, unknown>> | null;
  readonly error: Readonly<JobError> | null;
  /** Starts at 1 and grows by one on every accepted change (the ETag and SSE id). */
  readonly version: number;
}

export interface NewJob {
  readonly id: string;
  readonly account: string;
  readonly teamId: string;
  readonly type: string;
  readonly resource: Readonly<JobResource>;
}

/** The mutable part of a job; what an update may change. */
export type JobChange = Partial<Pick<StoredJob, "status" | "progress" | "result" | "error">>;

/** Position of a job in list order (created_at desc, then id desc). */
export interface ListPosition {
  readonly createdAt: number;
  readonly id: string;
}

export interface ListQuery {
  readonly account: string;
  readonly teamId?: string;
  readonly siteId?: string;
  readonly status?: JobStatus;
  readonly resourceType?: string;
  /** Only jobs strictly after this position in list order. */
  readonly after?: ListPosition;
  readonly limit: number;
}

export interface StoreStats {
  readonly jobs: number;
  readonly inFlight: number;
  readonly byStatus: Readonly<Record<JobStatus, number>>;
}

/** Thrown by `insert` when the only way to make room would drop a job still in flight. */
export class StoreFullError extends Error {
  override name = "StoreFullError";
}

/** Thrown by `insert` when the id is taken. */
export class JobExistsError extends Error {
  override name = "JobExistsError";
}

export interface JobStore {
  insert(job: NewJob): Promise<StoredJob>;
  get(id: string): Promise<StoredJob | undefined>;
  /**
   * `get` without a promise, for backends that hold jobs in this process: when present,
   * the hot path (a 304) is answered inside the request event, with no await.
   */
  getSync?(id: string): StoredJob | undefined;
  /**
   * Atomically replaces a job with `mutate(current)`'s change. `mutate` may throw to
   * refuse, may be called again if a backend must retry, and returns `undefined` (or
   * a change equal to the current state) for "nothing to do": the version stays.
   * Resolves `undefined` when the job does not exist.
   */
  update(id: string, mutate: (current: StoredJob) => JobChange | undefined): Promise<StoredJob | undefined>;
  /** Jobs matching `query`, in list order, at most `limit`. */
  list(query: ListQuery): Promise<StoredJob[]>;
  /**
   * Resolves with the job once its version is greater than `afterVersion` — at once if
   * it already is — or `undefined` when the job is gone or `signal` aborts. Waiters are
   * registered before the state is read, so no change slips between read and wait.
   */
  waitForChange(id: string, afterVersion: number, signal: AbortSignal): Promise<StoredJob | undefined>;
  /**
   * The same primitive for a stream: `onChange` gets every state past `afterVersion` —
   * the current one at once (in a microtask) if it is already past — and `undefined`
   * when the job goes away. A backend calls it as each change is accepted, so a stream
   * writes its event with no hop; `onChange` must not throw. Returns the unsubscribe.
   */
  subscribe(id: string, afterVersion: number, onChange: (job: StoredJob | undefined) => void): () => void;
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}
