/**
 * GET /v1/jobs/{jobID}/stream — the job's states over Server-Sent Events (spec §4).
 *
 * Promises:
 * - auth errors and 404 (missing or invisible) come as JSON before any stream starts;
 * - the first bytes go out at once: `retry: 3000` and a comment, then the current state;
 * - each change is one event: `event: job`, `id: <version>`, `data: <job object>`,
 *   woken by the store (no polling); a burst of changes may coalesce into the latest
 *   state, which is always full state;
 * - `Last-Event-ID` (header, or `last_event_id` query) equal to the current version
 *   skips re-sending it; anything else replays the current state;
 * - a comment every --heartbeat (15 s) keeps idle proxies from cutting the stream;
 * - the stream ends after the terminal event, when the job is evicted, on shutdown,
 *   or — for a consumer that stops reading — once its unsent bytes pass a bound;
 * - never compressed: `Cache-Control: no-cache, no-transform`, `X-Accel-Buffering: no`.
 */
import { Router, type Response } from "express";
import { isTerminal } from "../../client/types.js";
import { notFound } from "../api-error.js";
import { locals, queryParam, requireScope } from "../express-helpers.js";
import { jobJson } from "../job-json.js";
import type { KeyRing } from "../keys.js";
import type { Lifecycle } from "../lifecycle.js";
import type { ServerMetrics } from "../metrics.js";
import type { NormalizedServeOptions } from "../serve-options.js";
import type { JobStore, StoredJob } from "../store/types.js";
import { canSee } from "../visibility.js";

export const SSE_RETRY_MS = 3000;

export function createStreamJobRouter(deps: {
  store: JobStore;
  keys: KeyRing;
  options: NormalizedServeOptions;
  metrics: ServerMetrics;
  lifecycle: Lifecycle;
}): Router {
  const { store, keys, options, metrics, lifecycle } = deps;
  const router = Router();

  router.get("/v1/jobs/:jobID/stream", requireScope(keys, "jobs:read"), async (req, res) => {
    const jobId = req.params.jobID as string;
    const lastEventId = req.get("Last-Event-ID") ?? queryParam(req, "last_event_id");
    const job = await store.get(jobId);
    if (job === undefined || !canSee(locals(res).principal, job)) throw notFound(jobId);

    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      "X-Accel-Buffering": "no",
      Connection: "keep-alive",
    });
    res.socket?.setNoDelay(true);
    res.write(`retry: ${SSE_RETRY_MS}\n: jobgate stream for ${jobId}\n\n`);

    const controller = new AbortController();
    const end = (): void => controller.abort();
    res.once("close", end);
    const release = lifecycle.stream(end);
    const heartbeat = setInterval(() => send(res, ": heartbeat\n\n", options.streamBufferBytes, end), options.heartbeatMs);
    metrics.openStreams++;
    try {
      let current: StoredJob | undefined = job;
      if (lastEventId?.trim() !== String(job.version)) send(res, event(job), options.streamBufferBytes, end);
      while (!isTerminal(current.status) && !controller.signal.aborted) {
        current = await store.waitForChange(jobId, current.version, controller.signal);
        if (current === undefined) break;
        send(res, event(current), options.streamBufferBytes, end);
      }
    } finally {
      metrics.openStreams--;
      clearInterval(heartbeat);
      release();
      res.off("close", end);
      if (!res.destroyed) res.end();
    }
  });

  return router;
}

function event(job: StoredJob): string {
  return `event: job\nid: ${job.version}\ndata: ${jobJson(job)}\n\n`;
}

/** Writes unless the consumer has stalled past the bound, in which case it is dropped. */
function send(res: Response, chunk: string, bufferBound: number, end: () => void): void {
  if (res.destroyed) return;
  if (res.writableLength > bufferBound) {
    res.destroy();
    end();
    return;
  }
  res.write(chunk);
}
