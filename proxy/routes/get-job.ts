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
import { ifNoneMatchMatches, newestVersionIn } from "../../api/etag.js";
import { ApiError } from "../http/api-error.js";
import type { HoldQuota } from "../http/hold-quota.js";
import { requestedWaitSeconds } from "../http/prefer.js";
import { openRequest, type RequestContext, type RequestLog } from "../http/request-context.js";
import type { JobView, ReadSide } from "../job-source.js";
import { CLIENT_GONE, SHUTDOWN_REASON, WAIT_ELAPSED, type Lifecycle } from "../lifecycle.js";
import type { ServerMetrics } from "../metrics.js";

export const GET_JOB_ROUTE = "GET /v1/jobs/:jobID";
/** Active holds and streams per step of raised poll hint. */
const LOAD_STEP = 1_000;
const MAX_POLL_HINT_S = 30;

/** The `Retry-After` poll hint: the base, one more base per LOAD_STEP active waiters, capped. */
export function pollHintSeconds(baseS: number, activeWaiters: number): number {
  return Math.min(MAX_POLL_HINT_S, baseS * (1 + Math.floor(activeWaiters / LOAD_STEP)));
}

export interface GetJobDeps<Caller> {
  readonly read: ReadSide<Caller>;
  readonly holds: HoldQuota;
  readonly options: { readonly maxWaitS: number; readonly pollHintS: number };
  readonly metrics: ServerMetrics;
  readonly lifecycle: Lifecycle;
  readonly requests: RequestLog;
}

export type GetJobHandler = (req: IncomingMessage, res: ServerResponse, jobId: string, waitQuery: string | undefined) => void;

/** A request and where its answer goes. */
interface Answer {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly ctx: RequestContext;
}

/** What one admitted request carries from its start to its answer. */
interface Exchange<Caller> extends Answer {
  readonly jobId: string;
  readonly waitQuery: string | undefined;
  readonly caller: Caller;
}

export function createGetJobHandler<Caller>(deps: GetJobDeps<Caller>): GetJobHandler {
  const { read, options, metrics, lifecycle, requests, holds } = deps;
  const { source } = read;

  const record = (ex: Answer, status: number): void => requests.record(ex.ctx, ex.req.method, GET_JOB_ROUTE, status);

  const finish = (ex: Exchange<Caller>, status: 200 | 304, view: JobView, extra?: readonly string[]): void => {
    // Name, value pairs, as writeHead takes them.
    // prettier-ignore
    const headers = [
      "X-Request-Id", ex.ctx.requestId,
      "Forge-Version", ex.ctx.version,
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
      const body = `{"data":${view.json()},"request_id":"${ex.ctx.requestId}"}`;
      headers.push("Content-Type", "application/json; charset=utf-8", "Content-Length", String(Buffer.byteLength(body)));
      ex.res.writeHead(200, headers);
      ex.res.end(body);
    }
    record(ex, status);
  };

  const fail = (ex: Answer, error: unknown): void => {
    if (!ex.res.headersSent && !ex.res.destroyed) ex.res.setHeader("Vary", "Prefer");
    requests.fail(ex.ctx, ex.res, ex.req.method, GET_JOB_ROUTE, error);
  };

  /** Answers at once, or starts a hold; synchronous up to the hold. `fresh`: `view` is no cached one (see JobSource.readFresh). */
  const respond = (ex: Exchange<Caller>, view: JobView, fresh = false): void => {
    if (ex.res.destroyed) return record(ex, 499); // gone while the source was read
    const requestedWait = requestedWaitSeconds(ex.waitQuery, ex.req.headers.prefer);
    const ifNoneMatch = ex.req.headers["if-none-match"];
    if (ifNoneMatch === undefined || !ifNoneMatchMatches(ifNoneMatch, view.etag)) {
      // The client has seen a newer state than this view (another replica told it): read
      // past the cache rather than answer it an older one.
      if (!fresh && ifNoneMatch !== undefined && source.readFresh !== undefined && (newestVersionIn(ifNoneMatch) ?? 0) > view.version) {
        source.readFresh(ex.caller, ex.jobId).then(
          (current) => respond(ex, current, true),
          (error: unknown) => fail(ex, error),
        );
        return;
      }
      return finish(ex, 200, view);
    }
    const waitS = Math.min(requestedWait ?? 0, options.maxWaitS);
    if (waitS === 0 || view.terminal || lifecycle.isDraining) return finish(ex, 304, view);
    void hold(ex, view, waitS);
  };

  /** Holds until a change (200), the wait's end (304), the client leaving, or shutdown. */
  const hold = async (ex: Exchange<Caller>, view: JobView, waitS: number): Promise<void> => {
    let releaseQuota: () => void;
    try {
      releaseQuota = holds.take(read.holdKey(ex.caller));
    } catch (error) {
      return fail(ex, error);
    }
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
      next = await source.waitForChange(ex.caller, ex.jobId, view.version, controller.signal);
    } catch (error) {
      return fail(ex, error);
    } finally {
      metrics.heldLongPolls--;
      release();
      releaseQuota();
      clearTimeout(timer);
      ex.res.off("close", onClose);
    }
    try {
      if (ex.res.destroyed) return record(ex, 499);
      if (next !== undefined) return finish(ex, 200, next, applied);
      if (controller.signal.reason === SHUTDOWN_REASON) return finish(ex, 200, view, [...applied, "Connection", "close"]);
      if (!controller.signal.aborted) throw new ApiError("not_found", `job ${ex.jobId} not found`); // evicted while held
      const current = await source.confirm(ex.caller, ex.jobId, view);
      finish(ex, current.version === view.version ? 304 : 200, current, applied);
    } catch (error) {
      fail(ex, error);
    }
  };

  return function getJob(req, res, jobId, waitQuery) {
    const ctx = openRequest(req);
    try {
      if (ctx.versionError !== undefined) throw ctx.versionError;
      const caller = read.authenticate({ authorization: req.headers.authorization, forgeVersion: ctx.version });
      const ex: Exchange<Caller> = { req, res, ctx, jobId, waitQuery, caller };
      const view = source.read(caller, jobId);
      // A promise from any realm or driver, not only this realm's Promise.
      if (typeof (view as PromiseLike<JobView>).then === "function") {
        Promise.resolve(view as PromiseLike<JobView>)
          .then((resolved) => respond(ex, resolved, true)) // not a cached view: read from the store already
          .catch((error: unknown) => fail(ex, error));
      } else {
        respond(ex, view as JobView);
      }
    } catch (error) {
      fail({ req, res, ctx }, error);
    }
  };
}
