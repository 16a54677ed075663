/**
 * Where the read routes (get, long-poll, stream) find a job, so one implementation of
 * each route serves both modes: standalone (keys file + store) and proxy (upstream
 * authorization + upstream cache). The routes authenticate once, at the edge, with the
 * mode's `authenticate`, and pass the caller it returns — never the request — below.
 */
import type { RequestCredentials } from "./tenancy/auth.js";

export interface JobView {
  /** Strictly increasing per change: the ETag and the SSE event id. */
  readonly version: number;
  /** `"w/job-<version>"`, made once per state. */
  readonly etag: string;
  readonly terminal: boolean;
  /** The job object as one line of JSON (the envelope's `data`). */
  json(): string;
}

export interface JobSource<Caller> {
  /**
   * The job as this caller may see it. Throws an ApiError — 404 for a job that is missing
   * or invisible to it (the same answer), 503 when the truth cannot be had — before any
   * precondition is looked at. A source that can answer without waiting returns the view
   * itself, so the hot path needs no await.
   */
  read(caller: Caller, jobId: string): JobView | Promise<JobView>;
  /**
   * Optional: the job read from the source of truth, past any local cache — asked when a
   * client shows a version newer than `read` gave without waiting (a replica whose cache has
   * not yet heard of a change another replica made), so the client is never answered an
   * older state. A promise from `read` is such a read already, and is not asked again.
   * Throws like `read`.
   */
  readFresh?(caller: Caller, jobId: string): Promise<JobView>;
  /**
   * The next state after `version`, for a caller `read` already admitted; `undefined` when
   * the job went away or `signal` aborted. Throws like `read` (a 503 when the source failed,
   * or when the caller's access must be re-checked and cannot be).
   */
  waitForChange(caller: Caller, jobId: string, version: number, signal: AbortSignal): Promise<JobView | undefined>;
  /**
   * Every state after `version`, for a stream `read` admitted: `onView` as each change is
   * accepted (no hop), possibly repeating or lagging a version the caller must skip;
   * `onEnd` once when the job goes away, the caller may no longer see it or the source
   * failed (with the error then). Returns the unsubscribe function.
   */
  subscribe(caller: Caller, jobId: string, version: number, onView: (view: JobView) => void, onEnd: (error?: unknown) => void): () => void;
  /**
   * Called when a held request saw no change, before it answers: the state to answer
   * with (`view` itself for a 304, or a newer one), after making sure the caller may
   * still see it. Throws like `read` — a 503 when the source cannot vouch for the state.
   */
  confirm(caller: Caller, jobId: string, view: JobView): Promise<JobView>;
}

/** A mode's read side: who the caller is (401/403 at the edge), and where its jobs come from. */
export interface ReadSide<Caller> {
  authenticate(credentials: RequestCredentials): Caller;
  /** What the caller's holds are counted under (`--max-holds-per-key`): its key. */
  holdKey(caller: Caller): unknown;
  readonly source: JobSource<Caller>;
}
