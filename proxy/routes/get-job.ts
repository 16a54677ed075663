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
 * This is the hot path, so it is plain node:http (mounted ahead of Express) and a 304
 * allocates little beyond its headers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { logRequest } from "../access-log.js";
import { ApiError, sendError } from "../api-error.js";
import { etagOf, ifNoneMatchMatches } from "../etag.js";
import type { JobSource, JobView } from "../job-source.js";
import { SHUTDOWN_REASON, type Lifecycle } from "../lifecycle.js";
import type { ServerMetrics } from "../metrics.js";
import { requestedWaitSeconds } from "../prefer.js";
import { stampRequest } from "../request-context.js";

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

export type GetJobHandler = (req: IncomingMessage, res: ServerResponse, jobId: string, waitQuery: string | undefined) => Promise<void>;

type HoldOutcome = JobView | "timeout" | "gone" | "shutdown" | "client-gone";

export function createGetJobHandler(deps: GetJobDeps): GetJobHandler {
  const { source, options, metrics, lifecycle, logger } = deps;

  const pollHint = (): string => String(pollHintSeconds(options.pollHintS, metrics.heldLongPolls + metrics.openStreams));

  const record = (req: IncomingMessage, status: number, requestId: string, startedMs: number): void => {
    metrics.countRequest(GET_JOB_ROUTE, status);
    logRequest(logger, requestId, req.method, GET_JOB_ROUTE, status, startedMs);
  };

  const finish = (req: IncomingMessage, res: ServerResponse, status: 200 | 304, view: JobView, requestId: string, startedMs: number): void => {
    res.statusCode = status;
    res.setHeader("ETag", etagOf(view.version));
    res.setHeader("Cache-Control", "private, no-cache");
    if (!view.terminal) res.setHeader("Retry-After", pollHint());
    if (status === 304) {
      res.end();
    } else {
      const body = `{"data":${view.json()},"request_id":"${requestId}"}`;
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.setHeader("Content-Length", Buffer.byteLength(body));
      res.end(body);
    }
    record(req, status, requestId, startedMs);
  };

  const hold = async (req: IncomingMessage, res: ServerResponse, jobId: string, view: JobView, waitS: number): Promise<HoldOutcome> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), waitS * 1000);
    const onClose = (): void => controller.abort();
    res.once("close", onClose);
    if (res.destroyed) controller.abort(); // gone while the source was read
    const release = lifecycle.hold(controller);
    metrics.heldLongPolls++;
    try {
      const next = await source.waitForChange(req, jobId, view.version, controller.signal);
      if (next !== undefined) return next;
      if (res.destroyed) return "client-gone";
      if (controller.signal.reason === SHUTDOWN_REASON) return "shutdown";
      return controller.signal.aborted ? "timeout" : "gone";
    } finally {
      metrics.heldLongPolls--;
      release();
      clearTimeout(timer);
      res.off("close", onClose);
    }
  };

  return async function getJob(req, res, jobId, waitQuery) {
    const startedMs = performance.now();
    const { requestId, versionError } = stampRequest(req, res);
    res.setHeader("Vary", "Prefer");
    try {
      if (versionError !== undefined) throw versionError;
      const view = await source.read(req, jobId);
      const requestedWait = requestedWaitSeconds(waitQuery, req.headers.prefer);
      const ifNoneMatch = req.headers["if-none-match"];
      if (ifNoneMatch === undefined || !ifNoneMatchMatches(ifNoneMatch, etagOf(view.version))) {
        return finish(req, res, 200, view, requestId, startedMs);
      }
      const waitS = Math.min(requestedWait ?? 0, options.maxWaitS);
      if (waitS === 0 || view.terminal || lifecycle.isDraining) return finish(req, res, 304, view, requestId, startedMs);

      res.setHeader("Preference-Applied", `wait=${waitS}`);
      const outcome = await hold(req, res, jobId, view, waitS);
      switch (outcome) {
        case "client-gone":
          return record(req, 499, requestId, startedMs);
        case "timeout": {
          const current = await source.confirm(req, jobId, view);
          return finish(req, res, current.version === view.version ? 304 : 200, current, requestId, startedMs);
        }
        case "gone":
          throw new ApiError("not_found", `job ${jobId} not found`);
        case "shutdown":
          res.setHeader("Connection", "close");
          return finish(req, res, 200, view, requestId, startedMs);
        default:
          return finish(req, res, 200, outcome, requestId, startedMs);
      }
    } catch (error) {
      if (res.destroyed) return record(req, 499, requestId, startedMs);
      const apiError = error instanceof ApiError ? error : new ApiError("internal", "internal error; the request id identifies it in the server's logs");
      if (!(error instanceof ApiError)) logger.error({ err: error, request_id: requestId, route: GET_JOB_ROUTE }, "unhandled error");
      sendError(res, apiError, requestId);
      record(req, apiError.status, requestId, startedMs);
    }
  };
}
