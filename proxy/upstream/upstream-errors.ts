import { isHttpError, isUnreachableError } from "../../client/errors.js";
import { ApiError } from "../http/api-error.js";

/** Seconds a caller is told to wait when the upstream cannot be reached. */
export const UPSTREAM_RETRY_AFTER_S = 5;

export function upstreamUnavailable(why: string): ApiError {
  return new ApiError("unavailable", `the upstream jobs API is unavailable (${why}); try again shortly`, {
    "Retry-After": String(UPSTREAM_RETRY_AFTER_S),
  });
}

/**
 * What a caller is told when the upstream said no or could not answer: its 4xx
 * answers (401/403/404, 400, 429) are relayed as they were; failures (network, 5xx,
 * nonsense) become `503 unavailable` with `Retry-After`.
 */
export function relayUpstreamError(thrown: unknown): ApiError {
  const error = upstreamAnswer(thrown);
  if (isHttpError(error) && error.status >= 400 && error.status < 500) {
    const headers: Record<string, string> = {};
    if (error.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="jobgate"';
    if (error.retryAfterMs !== undefined) headers["Retry-After"] = String(Math.ceil(error.retryAfterMs / 1000));
    return ApiError.relay(error.status, error.code, error.apiMessage, headers);
  }
  const why = isHttpError(error) ? `it answered ${error.status}` : "it could not be reached";
  return upstreamUnavailable(why);
}

/** The upstream's answer behind an error: the client reports a request it gave up retrying as unreachable, with the last answer as cause. */
export function upstreamAnswer(error: unknown): unknown {
  return isUnreachableError(error) && isHttpError(error.cause) ? error.cause : error;
}
