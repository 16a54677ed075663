/**
 * GET /v1/jobs/{jobID}/stream — the job's states over Server-Sent Events (spec §4).
 *
 * Promises:
 * - auth errors and 404 (missing or invisible) come as JSON before any stream starts;
 * - the first bytes go out at once: `retry: 3000` and a comment, then the current state;
 * - each change is one event: `event: job`, `id: <version>`, `data: <job object>`,
 *   written as the store accepts it (a subscription, no polling); each is full state;
 * - `Last-Event-ID` (header, or `last_event_id` query) equal to the current version
 *   skips re-sending it; anything else replays the current state;
 * - a comment every --heartbeat (15 s) keeps idle proxies from cutting the stream;
 * - the stream ends after the terminal event, when the job is evicted, on shutdown,
 *   or — for a consumer that stops reading — once its unsent bytes pass a bound;
 * - never compressed: `Cache-Control: no-cache, no-transform`, `X-Accel-Buffering: no`.
 */
import type { Router } from "express";
import { createRouter } from "../http/router.js";
import type { Logger } from "pino";
import { SSE_RETRY_MS } from "../../api/defaults.js";
import { ApiError } from "../http/api-error.js";
import { locals, queryParam } from "../http/express-helpers.js";
import type { HoldQuota } from "../http/hold-quota.js";
import type { StreamBudget } from "../http/stream-budget.js";
import type { JobView, ReadSide } from "../job-source.js";
import type { Lifecycle } from "../lifecycle.js";
import type { ServerMetrics } from "../metrics.js";

const HEARTBEAT = Buffer.from(": heartbeat\n\n");

export function createStreamJobRouter<Caller>(deps: {
  read: ReadSide<Caller>;
  options: { readonly heartbeatMs: number };
  metrics: ServerMetrics;
  lifecycle: Lifecycle;
  logger: Logger;
  holds: HoldQuota;
  streams: StreamBudget;
}): Router {
  const { read, options, metrics, lifecycle, logger, holds, streams } = deps;
  const { source } = read;
  const router = createRouter();

  router.get("/v1/jobs/:jobID/stream", async (req, res) => {
    const caller = read.authenticate({ authorization: req.headers.authorization, forgeVersion: locals(res).ctx.version });
    const jobId = req.params.jobID;
    const lastEventId = req.get("Last-Event-ID") ?? queryParam(req, "last_event_id");
    const answer = source.read(caller, jobId);
    const cached = typeof (answer as PromiseLike<JobView>).then !== "function";
    let first = await answer;
    // A client resuming from a newer event than a cached view (another replica sent it):
    // read past the cache rather than replay an older state.
    if (cached && source.readFresh !== undefined && /^\d{1,15}$/.test(lastEventId?.trim() ?? "") && Number(lastEventId) > first.version) {
      first = await source.readFresh(caller, jobId);
    }
    const releaseQuota = req.method === "HEAD" ? () => {} : holds.take(read.holdKey(caller));

    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      "X-Accel-Buffering": "no",
    });
    if (req.method === "HEAD") return void res.end();
    res.socket?.setNoDelay(true);
    res.write(`retry: ${SSE_RETRY_MS}\n: jobgate stream for ${jobId}\n\n`);

    await new Promise<void>((resolve) => {
      let sent = first.version;
      let unsubscribe = (): void => {};
      let ended = false;
      const end = (error?: unknown): void => {
        if (ended) return;
        ended = true;
        // Access withdrawn or the source failed mid-stream: the client reconnects and is
        // told why by the JSON answer to its next request.
        if (error !== undefined && !(error instanceof ApiError)) logger.error({ err: error, job_id: jobId }, "stream failed");
        unsubscribe();
        metrics.openStreams--;
        clearInterval(heartbeat);
        release();
        releaseBudget();
        releaseQuota();
        res.off("close", onClose);
        if (!res.destroyed) res.end();
        resolve();
      };
      const onClose = (): void => end();
      // Runs as each change is accepted: one shared Buffer written, no hop per stream.
      const deliver = (view: JobView): void => {
        if (view.version <= sent) return;
        sent = view.version;
        streams.write(res, event(view));
        if (view.terminal) end();
      };
      res.once("close", onClose);
      const release = lifecycle.stream(end);
      const releaseBudget = streams.open(res, end);
      const heartbeat = setInterval(() => streams.write(res, HEARTBEAT), options.heartbeatMs);
      metrics.openStreams++;
      if (lastEventId?.trim() !== String(first.version)) streams.write(res, event(first));
      // Gone while the source was read, finished already, or the server is draining.
      if (res.destroyed || first.terminal || lifecycle.isDraining) return end();
      unsubscribe = source.subscribe(caller, jobId, first.version, deliver, end);
    });
  });

  return router;
}

/** One encoded event per state, shared by every stream that sends it (fan-out writes one Buffer N times). */
const events = new WeakMap<JobView, Buffer>();

function event(view: JobView): Buffer {
  let bytes = events.get(view);
  if (bytes === undefined) {
    bytes = Buffer.from(`event: job\nid: ${view.version}\ndata: ${view.json()}\n\n`);
    events.set(view, bytes);
  }
  return bytes;
}
