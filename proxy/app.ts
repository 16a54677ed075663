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
import type { Logger } from "pino";
import { logRequest } from "./access-log.js";
import { ApiError, sendError } from "./api-error.js";
import { locals } from "./express-helpers.js";
import type { Lifecycle } from "./lifecycle.js";
import type { ServerMetrics } from "./metrics.js";
import { stampRequest } from "./request-context.js";
import { createHealthRouter } from "./routes/health.js";

export const MAX_BODY = "1mb";

export interface AppDeps {
  readonly metrics: ServerMetrics;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
}

/** A mode's routes, and the methods each of its paths answers (for 405s). */
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
];

export function createApp(deps: AppDeps, mode: ModeRoutes): express.Express {
  const app = express();
  app.set("x-powered-by", false);
  app.set("etag", false);

  app.use(requestContext(deps));
  app.use(express.json({ limit: MAX_BODY, type: ["application/json", "application/*+json"] }));
  app.use(createHealthRouter(deps));
  for (const router of mode.routers) app.use(router);
  for (const [path, allow] of mode.allowedMethods) {
    app.all(path, (req) => {
      throw new ApiError("method_not_allowed", `${req.method} is not allowed on ${path}; allowed: ${allow}`, { Allow: allow });
    });
  }
  app.use((req) => {
    throw new ApiError("not_found", `no route for ${req.method} ${req.path}`);
  });
  app.use(errorHandler(deps.logger));
  return app;
}

function requestContext(deps: AppDeps): RequestHandler {
  return (req, res, next) => {
    const { requestId, version, versionError } = stampRequest(req);
    res.setHeader("X-Request-Id", requestId);
    res.setHeader("Forge-Version", version);
    locals(res).requestId = requestId;
    const started = performance.now();
    res.once("close", () => {
      const route = req.route === undefined ? "unmatched" : `${req.method} ${req.route.path as string}`;
      const status = res.writableFinished ? res.statusCode : 499;
      deps.metrics.countRequest(route, status);
      logRequest(deps.logger, requestId, req.method, route, status, started);
    });
    next(versionError);
  };
}

/** Maps every thrown thing onto the error envelope; unexpected ones become a bare 500. */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const requestId = locals(res).requestId;
    sendError(res, toApiError(error, logger, requestId, req.path), requestId);
  };
}

function toApiError(error: unknown, logger: Logger, requestId: string, path: string): ApiError {
  if (error instanceof ApiError) return error;
  // Express could not decode a path parameter (e.g. %ZZ): the path names nothing.
  if (error instanceof URIError) return new ApiError("not_found", `no route for ${path}: the path is not valid percent-encoding`);
  const type = (error as { type?: unknown } | null)?.type;
  if (type === "entity.too.large") return new ApiError("payload_too_large", `the body is larger than ${MAX_BODY.replace("mb", " MiB")}`);
  if (type === "entity.parse.failed") return new ApiError("invalid_request", "the body is not valid JSON");
  if (typeof type === "string" && /^(charset|encoding)\.unsupported$/.test(type)) {
    return new ApiError("invalid_request", "the body's charset or content encoding is not supported; send UTF-8 JSON");
  }
  if (type === "request.aborted" || type === "request.size.invalid") {
    return new ApiError("invalid_request", "the body ended before its declared length");
  }
  logger.error({ err: error, request_id: requestId, path }, "unhandled error");
  return new ApiError("internal", "internal error; the request id identifies it in the server's logs");
}
