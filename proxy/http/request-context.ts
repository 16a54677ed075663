/**
 * One request context for every route, the bare fast path and the Express app alike
 * (spec §2): a fresh request id, the Forge-Version to echo (an unknown one is a 400,
 * before auth), the start time; `RequestLog` records the answer (metrics, access log)
 * and maps whatever a route threw onto the error envelope.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { LATEST_VERSION } from "../../api/versions.js";
import type { ServerMetrics } from "../metrics.js";
import { newRequestId } from "../ulid.js";
import { type ApiError, sendError } from "./api-error.js";
import { toApiError } from "./error-mapping.js";
import { resolveVersion } from "./forge-version.js";

export interface RequestContext {
  /** A fresh `req_<ULID>`, for `X-Request-Id` and the body's `request_id`. */
  readonly requestId: string;
  /** The Forge-Version to echo: the request's, or the latest when it is missing or unknown. */
  readonly version: string;
  /** Set when the request names a Forge-Version this server does not speak (a 400, before auth). */
  readonly versionError: ApiError | undefined;
  /** `performance.now()` when the request arrived. */
  readonly startedMs: number;
}

/** The first thing every route does. It sets no header itself: the bare GET sends them all in one `writeHead`. */
export function openRequest(req: IncomingMessage): RequestContext {
  const requestId = newRequestId();
  const startedMs = performance.now();
  try {
    return { requestId, version: resolveVersion(req.headers["forge-version"]), versionError: undefined, startedMs };
  } catch (error) {
    return { requestId, version: LATEST_VERSION, versionError: error as ApiError, startedMs };
  }
}

/** Records answered requests and answers failed ones, the same way on every path. */
export class RequestLog {
  constructor(
    private readonly metrics: ServerMetrics,
    private readonly logger: Logger,
  ) {}

  /**
   * Counts the answer; at `debug`, one access-log line (request id, method, route pattern
   * — never the query, which may carry a cursor — status and time). Headers are never
   * logged, so no credential can reach the log. Off below `debug`: a 304 logs nothing.
   */
  record(ctx: RequestContext, method: string | undefined, route: string, status: number): void {
    this.metrics.countRequest(route, status);
    if (!this.logger.isLevelEnabled("debug")) return;
    this.logger.debug({ request_id: ctx.requestId, method, route, status, ms: Math.round(performance.now() - ctx.startedMs) }, "request");
  }

  /** The envelope for whatever a route threw (unexpected errors are logged with the request id, and become a bare 500). */
  errorFor(ctx: RequestContext, error: unknown, route: string): ApiError {
    const apiError = toApiError(error, (unexpected) => this.logger.error({ err: unexpected, request_id: ctx.requestId, route }, "unhandled error"));
    if (apiError.limit !== undefined) this.metrics.countLimit(apiError.limit);
    return apiError;
  }

  /** Answers `error` on `res` (with the context's headers) — or cuts the connection when an answer was under way. */
  fail(ctx: RequestContext, res: ServerResponse, method: string | undefined, route: string, error: unknown): void {
    if (res.destroyed) return this.record(ctx, method, route, 499);
    const apiError = this.errorFor(ctx, error, route);
    if (!res.headersSent) {
      res.setHeader("X-Request-Id", ctx.requestId);
      res.setHeader("Forge-Version", ctx.version);
    }
    sendError(res, apiError, ctx.requestId);
    this.record(ctx, method, route, apiError.status);
  }
}
