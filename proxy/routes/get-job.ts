/**
 * GET /v1/jobs/{jobID} — one job, conditional GET and long-poll (spec §4).
 *
 * Promises:
 * - 200 with the envelope, `ETag: "w/job-<version>"`, `Cache-Control: private, no-cache`;
 *   every answer carries `Vary: Prefer`; non-terminal jobs carry a `Retry-After` poll hint.
 * - `If-None-Match` (weak comparison, lists, `*`) matching → 304 with the ETag, no body;
 *   a request `Cache-Control: no-cache` does not change that.
 * - With a match and `Prefer: wait=N` / `?wait=N` (query wins; N capped by --max-wait):
 *   held until the job changes (→ 200 within ms, woken by the store, no polling) or N
 *   elapses (→ 304); both carry `Preference-Applied: wait=<N used>`. A client that goes
 *   away releases its hold at once. On shutdown a hold is answered with the current state.
 * - Missing and invisible jobs are the same 404, decided before any precondition: an
 *   invisible job never answers 304 and never holds.
 *
 * This is the hot path, so it is plain node:http (mounted ahead of Express) and a 304
 * allocates little beyond its headers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isTerminal } from "../../client/types.js";
import { ApiError, notFound, sendError } from "../api-error.js";
import { authorize } from "../auth.js";
import { etagOf, ifNoneMatchMatches } from "../etag.js";
import { envelopeJson } from "../job-json.js";
import type { KeyRing } from "../keys.js";
import { SHUTDOWN_REASON, type Lifecycle } from "../lifecycle.js";
import type { Logger } from "pino";
import type { ServerMetrics } from "../metrics.js";
import { requestedWaitSeconds } from "../prefer.js";
import { stampRequest } from "../request-context.js";
import type { NormalizedServeOptions } from "../serve-options.js";
import type { JobStore, StoredJob } from "../store/types.js";
import { canSee } from "../visibility.js";

export const GET_JOB_ROUTE = "GET /v1/jobs/:jobID";
/** Active holds per step of raised poll hint. */
const LOAD_STEP = 1_000;
const MAX_POLL_HINT_S = 30;

export interface GetJobDeps {
  readonly store: JobStore;
  readonly keys: KeyRing;
  readonly options: NormalizedServeOptions;
  readonly metrics: ServerMetrics;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
}

export type GetJobHandler = (req: IncomingMessage, res: ServerResponse, jobId: string, waitQuery: string | undefined) => Promise<void>;

export function createGetJobHandler(deps: GetJobDeps): GetJobHandler {
  const { store, keys, options, metrics, lifecycle, logger } = deps;

  const pollHint = (): string =>
    String(Math.min(MAX_POLL_HINT_S, options.pollHintS * (1 + Math.floor((metrics.heldLongPolls + metrics.openStreams) / LOAD_STEP))));

  const finish = (res: ServerResponse, status: number, job: StoredJob, requestId: string): void => {
    res.statusCode = status;
    res.setHeader("ETag", etagOf(job.version));
    res.setHeader("Cache-Control", "private, no-cache");
    if (!isTerminal(job.status)) res.setHeader("Retry-After", pollHint());
    if (status === 304) {
      res.end();
    } else {
      const body = envelopeJson(job, requestId);
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.setHeader("Content-Length", Buffer.byteLength(body));
      res.end(body);
    }
    metrics.countRequest(GET_JOB_ROUTE, status);
  };

  const hold = async (res: ServerResponse, job: StoredJob, waitS: number): Promise<StoredJob | undefined | "timeout"> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), waitS * 1000);
    const onClose = (): void => controller.abort();
    res.once("close", onClose);
    const release = lifecycle.hold(controller);
    metrics.heldLongPolls++;
    try {
      const next = await store.waitForChange(job.id, job.version, controller.signal);
      if (next !== undefined) return next;
      if (controller.signal.reason === SHUTDOWN_REASON) return await store.get(job.id);
      return controller.signal.aborted ? "timeout" : undefined;
    } finally {
      metrics.heldLongPolls--;
      release();
      clearTimeout(timer);
      res.off("close", onClose);
    }
  };

  return async function getJob(req, res, jobId, waitQuery) {
    const { requestId, versionError } = stampRequest(req, res);
    res.setHeader("Vary", "Prefer");
    try {
      if (versionError !== undefined) throw versionError;
      const principal = authorize(keys, req.headers.authorization, "jobs:read");
      const requestedWait = requestedWaitSeconds(waitQuery, req.headers.prefer);
      const job = await store.get(jobId);
      if (job === undefined || !canSee(principal, job)) throw notFound(jobId);

      const ifNoneMatch = req.headers["if-none-match"];
      if (ifNoneMatch === undefined || !ifNoneMatchMatches(ifNoneMatch, etagOf(job.version))) {
        return finish(res, 200, job, requestId);
      }
      const waitS = Math.min(requestedWait ?? 0, options.maxWaitS);
      if (waitS === 0 || isTerminal(job.status) || lifecycle.isDraining) return finish(res, 304, job, requestId);

      res.setHeader("Preference-Applied", `wait=${waitS}`);
      const outcome = await hold(res, job, waitS);
      if (res.destroyed) return metrics.countRequest(GET_JOB_ROUTE, 499);
      if (outcome === "timeout") return finish(res, 304, job, requestId);
      if (outcome === undefined) throw notFound(jobId); // evicted while held
      if (lifecycle.isDraining) res.setHeader("Connection", "close");
      return finish(res, 200, outcome, requestId);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError("internal", "internal error");
      if (!(error instanceof ApiError)) logger.error({ err: error, request_id: requestId, route: GET_JOB_ROUTE }, "unhandled error");
      sendError(res, apiError, requestId);
      metrics.countRequest(GET_JOB_ROUTE, apiError.status);
    }
  };
}
