/**
 * The one error envelope of spec §2:
 * `{ "error": { "code", "message" }, "request_id" }`. Every route — Express or the
 * bare fast path — answers errors through `sendError`, so the shape cannot drift.
 */
import type { ServerResponse } from "node:http";
import { ERROR_STATUS, type ErrorCode } from "../../api/error-codes.js";

export type { ErrorCode };

/** An error meant for the caller: its message is safe to send (no secrets, no stack). */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    /** The limit this answer enforces (its flag's name in snake case), counted in jobgate_limit_hits_total. */
    readonly limit?: string,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }

  /** An upstream's error answer, relayed as it was (proxy mode). */
  static relay(status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}): ApiError {
    const error = new ApiError("internal", message, headers);
    Object.assign(error, { status, code });
    return error;
  }
}

export function notFound(jobId: string): ApiError {
  return new ApiError("not_found", `job ${jobId} not found`);
}

export function invalidRequest(message: string): ApiError {
  return new ApiError("invalid_request", message);
}

export function errorBody(code: string, message: string, requestId: string): string {
  return JSON.stringify({ error: { code, message }, request_id: requestId });
}

/** Writes the envelope; headers already set on `res` (request id, version, Vary) stay. */
export function sendError(res: ServerResponse, error: ApiError, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  const body = errorBody(error.code, error.message, requestId);
  res.statusCode = error.status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}
