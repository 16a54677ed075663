/**
 * The Express 5 application: every route but the hot `GET /v1/jobs/{id}` (which
 * server.ts answers bare, ahead of Express). Common promises (spec §2):
 * - every response has `X-Request-Id` and `Forge-Version`; an unknown version is a
 *   400 before auth;
 * - JSON bodies only, at most 1 MiB (413 beyond); malformed JSON is a 400;
 * - a known path with the wrong method is a 405 with `Allow`; an unknown path is a
 *   JSON 404; no response is HTML or carries a stack trace.
 */
import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import type { Logger } from "pino";
import { ApiError, sendError } from "./api-error.js";
import type { CursorCodec } from "./cursor.js";
import type { DemoRunner } from "./demo-runner.js";
import { locals } from "./express-helpers.js";
import type { IdempotencyKeys } from "./idempotency.js";
import type { KeyRing } from "./keys.js";
import type { Lifecycle } from "./lifecycle.js";
import type { ServerMetrics } from "./metrics.js";
import { stampRequest } from "./request-context.js";
import { createHealthRouter } from "./routes/health.js";
import { createListJobsRouter } from "./routes/list-jobs.js";
import { createOperationsRouter } from "./routes/operations.js";
import { createPublishRouter } from "./routes/publish.js";
import { createStreamJobRouter } from "./routes/stream-job.js";
import type { NormalizedServeOptions } from "./serve-options.js";
import type { JobStore } from "./store/types.js";

export const MAX_BODY = "1mb";

export interface AppDeps {
  readonly store: JobStore;
  readonly keys: KeyRing;
  readonly options: NormalizedServeOptions;
  readonly metrics: ServerMetrics;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
  readonly cursors: CursorCodec;
  readonly runner: DemoRunner;
  readonly idempotency: IdempotencyKeys;
}

/** Paths and the methods they answer, for 405s. */
const ALLOWED_METHODS: ReadonlyArray<readonly [string, string]> = [
  ["/v1/jobs", "GET, HEAD"],
  ["/v1/jobs/:jobID", "GET, HEAD"],
  ["/v1/jobs/:jobID/stream", "GET, HEAD"],
  ["/internal/v1/jobs", "POST"],
  ["/internal/v1/jobs/:jobID", "PATCH"],
  ["/v1/sites/:site_id/deploys", "POST"],
  ["/v1/sites/:site_id/environments/:env_id/deploys", "POST"],
  ["/v1/sites/:site_id/builds", "POST"],
  ["/healthz", "GET, HEAD"],
  ["/metrics", "GET, HEAD"],
];

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.set("x-powered-by", false);
  app.set("etag", false);

  app.use(requestContext(deps));
  app.use(express.json({ limit: MAX_BODY, type: ["application/json", "application/*+json"] }));
  app.use(createHealthRouter(deps));
  app.use(createListJobsRouter(deps));
  app.use(createStreamJobRouter(deps));
  app.use(createPublishRouter(deps));
  app.use(
    createOperationsRouter({
      store: deps.store,
      keys: deps.keys,
      runner: deps.runner,
      idempotency: deps.idempotency,
      defaultDurationMs: deps.options.operationDurationMs,
    }),
  );
  for (const [path, allow] of ALLOWED_METHODS) {
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
    const { requestId, versionError } = stampRequest(req, res);
    locals(res).requestId = requestId;
    const started = performance.now();
    res.once("close", () => {
      const route = req.route === undefined ? "unmatched" : `${req.method} ${req.route.path as string}`;
      const status = res.writableFinished ? res.statusCode : 499;
      deps.metrics.countRequest(route, status);
      if (deps.logger.isLevelEnabled("debug")) {
        deps.logger.debug({ request_id: requestId, method: req.method, route, status, ms: Math.round(performance.now() - started) }, "request");
      }
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
