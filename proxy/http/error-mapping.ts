/**
 * What the caller is told for whatever a route threw, in one place for every path:
 * our own `ApiError`s as they are; store refusals as the spec names them (a store that
 * cannot answer is a 503 with Retry-After — never a 404); Express' body parser's and
 * router's errors as 400/404/413; anything else a bare 500 (logged, with no details).
 */
import { MAX_BODY_BYTES } from "../../api/limits.js";
import { IdempotencyKeyError, StoreFullError, StoreUnavailableError } from "../store/types.js";
import { ApiError } from "./api-error.js";

/** Seconds a caller is told to wait when the store cannot answer or is full of jobs in flight. */
export const STORE_RETRY_AFTER_S = 5;

export function toApiError(error: unknown, onUnexpected: (error: unknown) => void): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreUnavailableError) {
    return new ApiError("unavailable", `the job store is unavailable (${error.message}); try again shortly`, { "Retry-After": String(STORE_RETRY_AFTER_S) });
  }
  if (error instanceof StoreFullError) {
    return new ApiError("unavailable", "the job store is full of jobs in flight; try again later", { "Retry-After": String(STORE_RETRY_AFTER_S) });
  }
  if (error instanceof IdempotencyKeyError) {
    return error.reason === "job_gone" ? new ApiError("not_found", error.message) : new ApiError("conflict", error.message);
  }
  // Express could not decode a path parameter (e.g. %ZZ): the path names nothing.
  if (error instanceof URIError) return new ApiError("not_found", "no route for this path: it is not valid percent-encoding");
  const type = (error as { type?: unknown } | null)?.type;
  if (type === "entity.too.large") return new ApiError("payload_too_large", `the body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
  if (type === "entity.parse.failed") return new ApiError("invalid_request", "the body is not valid JSON");
  if (typeof type === "string" && /^(charset|encoding)\.unsupported$/.test(type)) {
    return new ApiError("invalid_request", "the body's charset or content encoding is not supported; send UTF-8 JSON");
  }
  if (type === "request.aborted" || type === "request.size.invalid") {
    return new ApiError("invalid_request", "the body ended before its declared length");
  }
  onUnexpected(error);
  return new ApiError("internal", "internal error; the request id identifies it in the server's logs");
}
