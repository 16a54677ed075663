/**
 * The client's error for an answer that is not a success: the API's error envelope
 * (`{ error: { code, message }, request_id }`) read into `AuthError` (401/403),
 * `NotFoundError` (404) or `HttpError`, with the status, code, request id and
 * `Retry-After`. Used by the client and by proxy mode's upstream watch alike.
 */
import { parseRetryAfterMs } from "./backoff.js";
import { ENV } from "../api/env.js";
import { AuthError, HttpError, NotFoundError } from "./errors.js";

export interface ErrorAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  /** The parsed body, when it was JSON. */
  readonly json: unknown;
}

/**
 * @param what `METHOD /path` (never the query: it may hold a cursor)
 * @param redact removes what must never be printed (the token) from text the server wrote
 */
export function errorFromAnswer(answer: ErrorAnswer, what: string, redact: (text: string) => string = (text) => text): HttpError {
  const body = answer.json as { error?: { code?: unknown; message?: unknown }; request_id?: unknown } | undefined;
  const code = typeof body?.error?.code === "string" ? body.error.code : `http_${answer.status}`;
  const detail = typeof body?.error?.message === "string" ? body.error.message : answer.statusText || "no details";
  const requestId = answer.headers.get("x-request-id") ?? (typeof body?.request_id === "string" ? body.request_id : undefined);
  const details = { status: answer.status, code, requestId, retryAfterMs: parseRetryAfterMs(answer.headers.get("retry-after")), apiMessage: redact(detail) };
  const location = answer.headers.get("location");
  const message = redact(
    answer.status >= 300 && answer.status < 400
      ? `${what}: ${answer.status} redirect to ${location ?? "(no Location)"}; redirects are not followed: set apiUrl (${ENV.apiUrl}) to the API's final address`
      : `${what}: ${answer.status} ${code}: ${detail}`,
  );
  if (answer.status === 401 || answer.status === 403) return new AuthError(message, details);
  if (answer.status === 404) return new NotFoundError(message, details);
  return new HttpError(message, details);
}

/** An answer that is not what the jobs API sends (`invalid_response`: as good as unreachable). */
export function invalidResponse(status: number, headers: Headers, what: string, expected: string): HttpError {
  return new HttpError(`${what}: unexpected answer (${status}): ${expected}`, {
    status,
    code: "invalid_response",
    requestId: headers.get("x-request-id") ?? undefined,
  });
}

/** The error for a non-success `Response` whose body has not been read (it is read here). */
export async function errorFromResponse(res: Response, what: string): Promise<HttpError> {
  let json: unknown;
  try {
    json = JSON.parse(await res.text());
  } catch {
    json = undefined; // not JSON: the status line says what there is
  }
  return errorFromAnswer({ status: res.status, statusText: res.statusText, headers: res.headers, json }, what);
}
