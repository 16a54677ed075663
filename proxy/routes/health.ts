/**
 * Operations endpoints, without auth: they name no job and no key, but /metrics counts
 * jobs across all tenants — keep the server on a private address (the default binds
 * 127.0.0.1) or put /metrics behind your ingress's access rules.
 * GET /healthz — 200 `{ "status": "ok" }` while serving; 503 `unavailable` with
 *   Retry-After while draining or while the store cannot answer (the message says which).
 * GET /metrics — Prometheus text: requests by route and status, held long-polls,
 *   open streams, jobs by status, process metrics.
 */
import type { Router } from "express";
import { createRouter } from "../http/router.js";
import { ApiError } from "../http/api-error.js";
import { sendJson } from "../http/express-helpers.js";
import type { Lifecycle } from "../lifecycle.js";
import type { ServerMetrics } from "../metrics.js";

export function createHealthRouter(deps: { metrics: ServerMetrics; lifecycle: Lifecycle; checkHealth: () => Promise<void> }): Router {
  const router = createRouter();
  router.get("/healthz", async (_req, res) => {
    if (deps.lifecycle.isDraining) throw new ApiError("unavailable", "shutting down", { "Retry-After": "1" });
    await deps.checkHealth(); // a StoreUnavailableError is a 503 saying why
    sendJson(res, 200, { status: "ok" });
  });
  router.get("/metrics", async (_req, res) => {
    const text = await deps.metrics.registry.metrics();
    res.setHeader("Content-Type", deps.metrics.registry.contentType);
    res.end(text);
  });
  return router;
}
