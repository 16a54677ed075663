import type { Logger } from "pino";

/**
 * One structured line per answered request (at `info`): the request id, method, route
 * pattern (never the query, which may carry a cursor) and status. Headers are never
 * logged, so no credential can reach the log. Off below `info`: no cost at all.
 */
export function logRequest(logger: Logger, requestId: string, method: string | undefined, route: string, status: number, startedMs: number): void {
  if (!logger.isLevelEnabled("info")) return;
  logger.info({ request_id: requestId, method, route, status, ms: Math.round(performance.now() - startedMs) }, "request");
}
