/**
 * GET /v1/jobs/{jobID} — one job, conditional GET and long-poll (spec §4), in both modes.
 *
 * Promises:
 * - 200 with the envelope, `ETag: "w/job-<version>"`, `Cache-Control: private, no-cache`;
 *   every answer carries `Vary: Prefer`; non-terminal jobs carry a `Retry-After` poll hint.
 * - `If-None-Match` (weak comparison, lists, `*`) matching → 304 with the ETag, no body;
 *   a request `Cache-Control: no-cache` does not change that.
 * - With a match and `Prefer: wait=N` / `?wait=N` (query wins; N capped by --max-wait):
 *   held until the job changes (→ 200 within ms, woken by the source, no polling) or N
 *   elapses (→ 304); both carry `Preference-Applied: wait=<N used>`. A client that goes
 *   away releases its hold at once. On shutdown a hold is answered with the current state.
 * - Missing and invisible jobs are the same 404, decided before any precondition: an
 *   invisible job never answers 304 and never holds.
 *
 * This is the hot path, so it is plain node:http (mounted ahead of Express): when the
 * source can read without waiting, a 200 or 304 is answered inside the request event,
 * with every header in one `writeHead`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { logRequest } from "../access-log.js";
import { ApiError, sendError } from "../api-error.js";
import { ifNoneMatchMatches } from "../etag.js";
import type { JobSource, JobView } from "../job-source.js";
import { CLIENT_GONE, SHUTDOWN_REASON, WAIT_ELAPSED, type Lifecycle } from "../lifecycle.js";
import type { ServerMetrics } from "../metrics.js";
import { requestedWaitSeconds } from "../prefer.js";
import { stampRequest, type StampedRequest } from "../request-context.js";

export const GET_JOB_ROUTE = "GET /v1/jobs/:jobID";
/** Active holds and streams per step of raised poll hint. */
const LOAD_STEP = 1_000;
const MAX_POLL_HINT_S = 30;

/** The `Retry-After` poll hint: the base, one more base per LOAD_STEP active waiters, capped. */
export function pollHintSeconds(baseS: number, activeWaiters: number): number {
  return Math.min(MAX_POLL_HINT_S, baseS * (1 + Math.floor(activeWaiters / LOAD_STEP)));
}

export interface GetJobDeps {
  readonly source: JobSource;
  readonly options: { readonly maxWaitS: number; readonly pollHintS: number };
  readonly metrics: ServerMetrics;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
}

export type GetJobHandler = (req: IncomingMessage, res: ServerResponse, jobId: string, waitQuery: string | undefined) => void;

/** What one request carries from its start to its answer. */
interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly jobId: string;
  readonly waitQuery: string | undefined;
  readonly stamp: StampedRequest;
  readonly startedMs: number;
}

export function createGetJobHandler(deps: GetJobDeps): GetJobHandler {
  const { source, options, metrics, lifecycle, logger } = deps;

  const record = (ex: Exchange, status: number): void => {
    metrics.countRequest(GET_JOB_ROUTE, status);
    logRequest(logger, ex.stamp.requestId, ex.req.method, GET_JOB_ROUTE, status, ex.startedMs);
  };

  const finish = (ex: Exchange, status: 200 | 304, view: JobView, extra?: readonly string[]): void => {
    const headers = [
      "X-Request-Id", ex.stamp.requestId,
      "Forge-Version", ex.stamp.version,
      "Vary", "Prefer",
      "ETag", view.etag,
      "Cache-Control", "private, no-cache",
    ];
    if (!view.terminal) headers.push("Retry-After", String(pollHintSeconds(options.pollHintS, metrics.heldLongPolls + metrics.openStreams)));
    if (extra !== undefined) headers.push(...extra);
    if (status === 304) {
      ex.res.writeHead(304, headers);
      ex.res.end();
    } else {
      const body = `{"data":${view.json()},"request_id":"${ex.stamp.requestId}"}`;
      headers.push("Content-Type", "application/json; charset=utf-8", "Content-Length", String(Buffer.byteLength(body)));
      ex.res.writeHead(200, headers);
      ex.res.end(body);
    }
    record(ex, status);
  };

  const fail = (ex: Exchange, error: unknown): void => {
    if (ex.res.destroyed) return record(ex, 499);
    const apiError = error instanceof ApiError ? error : new ApiError("internal", "internal error; the request id identifies it in the server's logs");
    if (!(error instanceof ApiError)) logger.error({ err: error, request_id: ex.stamp.requestId, route: GET_JOB_ROUTE }, "unhandled error");
    if (ex.res.headersSent) {
      ex.res.destroy(); // an answer was under way: cut it rather than send a second
      return record(ex, apiError.status);
    }
    ex.res.setHeader("X-Request-Id", ex.stamp.requestId);
    ex.res.setHeader("Forge-Version", ex.stamp.version);
    ex.res.setHeader("Vary", "Prefer");
    sendError(ex.res, apiError, ex.stamp.requestId);
    record(ex, apiError.status);
  };

  /** Answers at once, or starts a hold; synchronous up to the hold. */
  const respond = (ex: Exchange, view: JobView): void => {
    if (ex.res.destroyed) return record(ex, 499); // gone while the source was read
    const requestedWait = requestedWaitSeconds(ex.waitQuery, ex.req.headers.prefer);
    const ifNoneMatch = ex.req.headers["if-none-match"];
    if (ifNoneMatch === undefined || !ifNoneMatchMatches(ifNoneMatch, view.etag)) return finish(ex, 200, view);
    const waitS = Math.min(requestedWait ?? 0, options.maxWaitS);
    if (waitS === 0 || view.terminal || lifecycle.isDraining) return finish(ex, 304, view);
    void hold(ex, view, waitS);
  };

  /** Holds until a change (200), the wait's end (304), the client leaving, or shutdown. */
  const hold = async (ex: Exchange, view: JobView, waitS: number): Promise<void> => {
    const applied = ["Preference-Applied", `wait=${waitS}`];
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(WAIT_ELAPSED), waitS * 1000);
    const onClose = (): void => controller.abort(CLIENT_GONE);
    ex.res.once("close", onClose);
    if (ex.res.destroyed) controller.abort(CLIENT_GONE); // gone while the source was read
    const release = lifecycle.hold(controller);
    metrics.heldLongPolls++;
    let next: JobView | undefined;
    try {
      next = await source.waitForChange(ex.req, ex.jobId, view.version, controller.signal);
    } catch (error) {
      return fail(ex, error);
    } finally {
      metrics.heldLongPolls--;
      release();
      clearTimeout(timer);
      ex.res.off("close", onClose);
    }
    try {
      if (ex.res.destroyed) return record(ex, 499);
      if (next !== undefined) return finish(ex, 200, next, applied);
      if (controller.signal.reason === SHUTDOWN_REASON) return finish(ex, 200, view, [...applied, "Connection", "close"]);
      if (!controller.signal.aborted) throw new ApiError("not_found", `job ${ex.jobId} not found`); // evicted while held
      const current = await source.confirm(ex.req, ex.jobId, view);
      finish(ex, current.version === view.version ? 304 : 200, current, applied);
    } catch (error) {
      fail(ex, error);
    }
  };

  return function getJob(req, res, jobId, waitQuery) {
    const ex: Exchange = { req, res, jobId, waitQuery, stamp: stampRequest(req), startedMs: performance.now() };
    try {
      if (ex.stamp.versionError !== undefined) throw ex.stamp.versionError;
      const read = source.read(req, jobId);
      // A promise from any realm or driver, not only this realm's Promise.
      if (typeof (read as PromiseLike<JobView>).then === "function") {
        Promise.resolve(read as PromiseLike<JobView>)
          .then((view) => respond(ex, view))
          .catch((error: unknown) => fail(ex, error));
      } else {
        respond(ex, read as JobView);
      }
    } catch (error) {
      fail(ex, error);
    }
  };
}
