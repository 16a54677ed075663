import type { JobError, JobResource, JobStatus } from "../../api/job.js";
import type { VisibilityScope } from "../tenancy/visibility.js";
import type { DemoRunLedger } from "./demo-runs.js";

/**
 * The store contract (spec §8). Every backend implements exactly this and passes the
 * shared contract suite in test/store-contract.ts — one instance alone, and two
 * instances over one shared backend (a change through one wakes a waiter on the other).
 *
 * Fit for a network:
 * - every call can fail, and says how: a backend that cannot answer rejects with
 *   `StoreUnavailableError` (→ 503 with Retry-After), never with `undefined`, which means
 *   "no such job" (→ 404);
 * - change delivery may lag the write that caused it (another process, a notification
 *   bus); callers wait for it, they never expect it within the same tick;
 * - "subscribe before read": a wait or a subscription is registered — and, for a
 *   networked backend, confirmed — before the backend reads the state it compares
 *   against, so no change can slip between the read and the wait; a lost connection to
 *   the change feed wakes every waiter to read again;
 * - state shared by every instance lives behind the store: jobs, the creation order,
 *   the list cursor secret and the `Idempotency-Key` table.
 *
 * Snapshots are immutable: an update yields a new `StoredJob`, so a reader never sees a
 * half-applied change and a serialized form can be memoized per snapshot.
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
  /** The jobs the caller may see (tenancy/visibility.ts decides what that means). */
  readonly scope: VisibilityScope;
  readonly status?: JobStatus;
  readonly resourceType?: string;
  /** Only jobs strictly after this position in list order. */
  readonly after?: ListPosition;
  readonly limit: number;
}

/** An `Idempotency-Key` claim for an insert (spec §6): the key, scoped to the job's account, and what the request was. */
export interface IdempotencyClaim {
  readonly key: string;
  /** A digest of the request; the same key with another fingerprint is a conflict. */
  readonly fingerprint: string;
}

export interface Inserted {
  readonly job: StoredJob;
  /** False when an earlier request with the same `Idempotency-Key` made the job. */
  readonly created: boolean;
}

export interface StoreStats {
  readonly jobs: number;
  readonly inFlight: number;
  readonly byStatus: Readonly<Record<JobStatus, number>>;
}

/** Receives a subscription's states (see `JobStore.subscribe`). */
export interface ChangeListener {
  /** A state past the one the subscriber has; called as each change is accepted. Must not throw. */
  onChange(job: StoredJob): void;
  /** The subscription is over: the job went away (no error), or the store failed (the error). */
  onEnd(error?: unknown): void;
}

/**
 * The bounds and fairness rules of spec §8, the same for every backend:
 * - jobs in flight are never evicted;
 * - finished jobs are kept at least `retentionMs`, unless a bound forces one out;
 * - an account holds at most `maxAccountJobs`: past it its own oldest finished job goes
 *   first, and when all of its jobs are in flight its inserts throw `AccountFullError`;
 * - at `maxJobs` the oldest finished job of the heaviest account goes, among the inserting
 *   account and those holding more jobs than it — a heavier tenant's volume never evicts
 *   a lighter one's jobs; when none of them has a finished job, inserts throw
 *   `StoreFullError`;
 * - `Idempotency-Key`s are kept per account, at least 24 h, at most
 *   `maxIdempotencyKeysPerAccount` per account (its own oldest go first).
 */
export interface StoreBounds {
  /** @default DEFAULT_MAX_JOBS (api/defaults.ts) */
  readonly maxJobs?: number;
  /** @default DEFAULT_MAX_ACCOUNT_JOBS */
  readonly maxAccountJobs?: number;
  /** @default DEFAULT_RETENTION_MS */
  readonly retentionMs?: number;
  /** @default DEFAULT_MAX_IDEMPOTENCY_KEYS */
  readonly maxIdempotencyKeysPerAccount?: number;
}

/** Thrown by `insert` when the only way to make room would drop a job still in flight (→ 503). */
export class StoreFullError extends Error {
  override name = "StoreFullError";
}

/** Thrown by `insert` when the account holds `maxAccountJobs`, all of them in flight (→ 429). */
export class AccountFullError extends Error {
  override name = "AccountFullError";
}

/** Thrown by `insert` when the id is taken. */
export class JobExistsError extends Error {
  override name = "JobExistsError";
}

/** Thrown by `insert` when the `Idempotency-Key` was used for another request, or its job is no longer kept. */
export class IdempotencyKeyError extends Error {
  override name = "IdempotencyKeyError";
  constructor(
    message: string,
    readonly reason: "different_request" | "job_gone",
  ) {
    super(message);
  }
}

/** The backend cannot answer now (unreachable, failing over, shutting down): a 503, never a 404. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

export interface JobStore {
  /**
   * Creates a queued job at version 1. With `idempotency`, a repeat of the claim returns
   * the job the first one made (`created: false`); the key with another fingerprint, or
   * whose job is gone, throws `IdempotencyKeyError`. Throws `JobExistsError` for a taken
   * id, and `AccountFullError` / `StoreFullError` when only in-flight jobs are left to make
   * room (see StoreBounds).
   */
  insert(job: NewJob, idempotency?: IdempotencyClaim): Promise<Inserted>;
  /**
   * The job, or `undefined` when there is none. With `scope`, the read is made for a caller
   * who may see only that scope's jobs: a job outside it is still returned (the caller
   * answers 404, as for a missing one) but leaves nothing behind — no cache entry, no
   * refreshed recency — so reading a job a key cannot see changes nothing the store keeps
   * (spec §2).
   */
  get(id: string, scope?: VisibilityScope): Promise<StoredJob | undefined>;
  /**
   * The job as this process knows it is now, with no I/O — for the hot path (a 304),
   * answered inside the request event. `undefined` means "not known here": ask `get`.
   * Optional: a backend without a coherent local view leaves it out.
   */
  getCached?(id: string): StoredJob | undefined;
  /**
   * Atomically replaces a job with `mutate(current)`'s change. `mutate` may throw to
   * refuse, may be called again if a backend must retry, and returns `undefined` (or
   * a change equal to the current state) for "nothing to do": the version stays.
   * Resolves `undefined` when the job does not exist. All or nothing.
   */
  update(id: string, mutate: (current: StoredJob) => JobChange | undefined): Promise<StoredJob | undefined>;
  /**
   * Jobs in `query.scope` matching the filters, in list order: `limit` of them unless
   * fewer match (a short page is the last page).
   */
  list(query: ListQuery): Promise<StoredJob[]>;
  /**
   * Resolves with the job once its version is greater than `afterVersion` — at once if it
   * already is — or `undefined` when the job is gone or `signal` aborts. Subscribes before
   * it reads (see above). A backend that loses its change feed keeps the wait open and
   * reads again when it returns; it rejects only when it cannot read at all.
   */
  waitForChange(id: string, afterVersion: number, signal: AbortSignal): Promise<StoredJob | undefined>;
  /**
   * The same primitive for a stream: `onChange` gets every state past `afterVersion` —
   * the current one first, once, if it is already past — as each change is accepted, so a
   * stream writes its event with no hop; `onEnd` once when it is over. Returns the
   * unsubscribe function (no call after it returns).
   */
  subscribe(id: string, afterVersion: number, listener: ChangeListener): () => void;
  /** The list cursor's signing secret, shared by every instance over one backend. */
  cursorSecret(): Promise<Uint8Array>;
  /** Counts for `/metrics`, kept as counters: no scan. */
  stats(): Promise<StoreStats>;
  /** Resolves when the store can serve; rejects with `StoreUnavailableError` saying why not (`/healthz`). */
  checkHealth(): Promise<void>;
  /**
   * This instance's ledger of demo runs (spec §6), shared with every instance over the
   * backend so that one takes over the runs of another that stopped (demo-runs.ts).
   * Optional: without it, demo runs live and die with this process.
   */
  demoRuns?(): DemoRunLedger;
  close(): Promise<void>;
}
