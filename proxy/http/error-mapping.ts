/**
 * What the caller is told for whatever a route threw, in one place for every path:
 * our own `ApiError`s as they are; store refusals as the spec names them (a store that
 * cannot answer is a 503 with Retry-After — never a 404); the router's undecodable path as
 * a 404 (the body's errors are json-body.ts'); anything else a bare 500 (logged, no details).
 */
import { AccountFullError, IdempotencyKeyError, JobExistsError, StoreFullError, StoreUnavailableError } from "../store/types.js";
import { ApiError } from "./api-error.js";

/** Seconds a caller is told to wait when the store cannot answer or is full of jobs in flight. */
export const STORE_RETRY_AFTER_S = 5;

export function toApiError(error: unknown, onUnexpected: (error: unknown) => void): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreUnavailableError) {
    return new ApiError("unavailable", `the job store is unavailable (${error.message}); try again shortly`, { "Retry-After": String(STORE_RETRY_AFTER_S) });
  }
  if (error instanceof StoreFullError) {
    return new ApiError("unavailable", "the job store is full of jobs in flight; try again later", { "Retry-After": String(STORE_RETRY_AFTER_S) }, "max_jobs");
  }
  if (error instanceof AccountFullError) {
    return new ApiError("rate_limited", `${error.message}; wait for some to finish`, { "Retry-After": String(STORE_RETRY_AFTER_S) }, "max_account_jobs");
  }
  if (error instanceof IdempotencyKeyError) {
    return error.reason === "job_gone" ? new ApiError("not_found", error.message) : new ApiError("conflict", error.message);
  }
  // An id taken by a job that went again before it could be read: the request named a taken id.
  if (error instanceof JobExistsError) return new ApiError("conflict", error.message);
  // Express could not decode a path parameter (e.g. %ZZ): the path names nothing.
  if (error instanceof URIError) return new ApiError("not_found", "no route for this path: it is not valid percent-encoding");
  onUnexpected(error);
  return new ApiError("internal", "internal error; the request id identifies it in the server's logs");
}
