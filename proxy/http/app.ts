/**
 * The Express 5 application: every route but the hot `GET /v1/jobs/{id}` (which
 * server.ts answers bare, ahead of Express). Common promises (spec §2):
 * - every response has `X-Request-Id` and `Forge-Version`; an unknown version is a
 *   400 before auth;
 * - JSON bodies only, at most 1 MiB (413 beyond); malformed JSON is a 400;
 * - a known path with the wrong method is a 405 with `Allow`; an unknown path is a
 *   JSON 404; no response is HTML or carries a stack trace.
 */
import express, { type ErrorRequestHandler, type RequestHandler, type Router } from "express";
import type { Lifecycle } from "../lifecycle.js";
import type { ServerMetrics } from "../metrics.js";
import { createHealthRouter } from "../routes/health.js";
import { createOpenApiRouter } from "../routes/openapi.js";
import { ApiError, sendError } from "./api-error.js";
import { locals } from "./express-helpers.js";
import { openRequest, type RequestLog } from "./request-context.js";

export interface AppDeps {
  readonly metrics: ServerMetrics;
  readonly lifecycle: Lifecycle;
  readonly requests: RequestLog;
  /** What /healthz asks besides "not draining" (the store's health). */
  readonly checkHealth: () => Promise<void>;
}

/** A mode's Express routes, and the methods each of its paths answers (for 405s). */
export interface ModeRoutes {
  readonly routers: readonly Router[];
  readonly allowedMethods: ReadonlyArray<readonly [path: string, allow: string]>;
}

/** The read paths both modes serve. */
export const READ_PATHS: ModeRoutes["allowedMethods"] = [
  ["/v1/jobs", "GET, HEAD"],
  ["/v1/jobs/:jobID", "GET, HEAD"],
  ["/v1/jobs/:jobID/stream", "GET, HEAD"],
  ["/healthz", "GET, HEAD"],
  ["/metrics", "GET, HEAD"],
  ["/openapi.json", "GET, HEAD"],
];

export function createApp(deps: AppDeps, mode: ModeRoutes): express.Express {
  const app = express();
  app.set("x-powered-by", false);
  app.set("etag", false);
  // `/V1/JOBS/x` names no route (it would otherwise match one and contradict itself in a 405).
  app.set("case sensitive routing", true);

  app.use(requestContext(deps.requests));
  app.use(createHealthRouter(deps));
  app.use(createOpenApiRouter());
  for (const router of mode.routers) app.use(router);
  for (const [path, allow] of mode.allowedMethods) {
    app.all(path, (req) => {
      throw new ApiError("method_not_allowed", `${req.method} is not allowed on ${path}; allowed: ${allow}`, { Allow: allow });
    });
  }
  app.use((req) => {
    throw new ApiError("not_found", `no route for ${req.method} ${req.path}`);
  });
  app.use(errorHandler(deps.requests));
  return app;
}

function requestContext(requests: RequestLog): RequestHandler {
  return (req, res, next) => {
    const ctx = openRequest(req);
    res.setHeader("X-Request-Id", ctx.requestId);
    res.setHeader("Forge-Version", ctx.version);
    locals(res).ctx = ctx;
    res.once("close", () => requests.record(ctx, req.method, routeOf(req), res.writableFinished ? res.statusCode : 499));
    next(ctx.versionError);
  };
}

function routeOf(req: express.Request): string {
  return req.route === undefined ? "unmatched" : `${req.method} ${(req.route as { path: string }).path}`;
}

/** Maps every thrown thing onto the error envelope (the close listener records it). */
function errorHandler(requests: RequestLog): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const { ctx } = locals(res);
    sendError(res, requests.errorFor(ctx, error, routeOf(req)), ctx.requestId);
  };
}
