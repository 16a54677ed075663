/**
 * The client's one error tree. Everything the client throws (except an abort the caller
 * asked for, which rethrows the caller's `signal.reason`) is one of these:
 *
 *   JobgateError
 *   ├── ConfigError        bad client options or CLI configuration
 *   ├── HttpError          a non-2xx answer: status, code, requestId
 *   │   ├── AuthError      401 unauthenticated / 403 insufficient_scope
 *   │   └── NotFoundError  404 (missing and invisible jobs look the same)
 *   ├── TimeoutError       a wait's deadline passed; carries the last job seen
 *   ├── JobFailedError     the job ended `failed`; carries the job and its error
 *   └── UnreachableError   network errors, 429 or 5xx that outlasted the retries, or an API
 *                          that never answered within the connect timeout
 *
 * Errors that retrying cannot fix — a TLS certificate that does not verify, a proxy that
 * wants credentials, an API URL ending in `/v1` — are `ConfigError`s, thrown at once.
 *
 * `fetch` errors come from another realm under jest (and may be anything under a mock),
 * so the guards check a brand and the `name`, never `instanceof` alone. Messages never
 * contain the token: the client builds them from what it knows, not from headers.
 */
import type { Job, JobError } from "../api/index.js";

const BRAND = Symbol.for("jobgate.error");

export class JobgateError extends Error {
  override name = "JobgateError";
  /** Cross-realm brand: `Symbol.for` is shared by every realm of the process. */
  readonly [BRAND] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class ConfigError extends JobgateError {
  override name = "ConfigError";
}

export interface HttpErrorDetails {
  readonly status: number;
  /** The API's `error.code` (`not_found`, `rate_limited`, …), or `http_<status>` when the body had none. */
  readonly code: string;
  /** The response's `X-Request-Id` / `request_id`, for support. */
  readonly requestId: string | undefined;
  /** Milliseconds asked for by `Retry-After`, when the answer carried one. */
  readonly retryAfterMs?: number | undefined;
  /** The API's own `error.message`, without this client's request prefix (proxy mode relays it). */
  readonly apiMessage?: string | undefined;
}

export class HttpError extends JobgateError {
  override name = "HttpError";
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly apiMessage: string;

  constructor(message: string, details: HttpErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.status = details.status;
    this.code = details.code;
    this.requestId = details.requestId;
    this.retryAfterMs = details.retryAfterMs;
    this.apiMessage = details.apiMessage ?? message;
  }
}

export class AuthError extends HttpError {
  override name = "AuthError";
}

export class NotFoundError extends HttpError {
  override name = "NotFoundError";
}

export class TimeoutError extends JobgateError {
  override name = "TimeoutError";
  constructor(
    message: string,
    /** The last state seen before the deadline, when any was. */
    readonly lastJob: Job | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class JobFailedError extends JobgateError {
  override name = "JobFailedError";
  /** The job's `error` (`{ code, message }`); a failed job without one reads as `unknown`. */
  readonly jobError: JobError;
  constructor(readonly job: Job) {
    const jobError = job.error ?? { code: "unknown", message: "the job failed without an error" };
    super(`job ${job.id} failed: ${jobError.code}: ${jobError.message}`);
    this.jobError = jobError;
  }
}

/** Why the API counts as unreachable: a network failure, no answer in time, retries spent, or no answer ever (`--connect-timeout`). */
export type UnreachableReason = "network" | "timeout" | "gave_up" | "never_answered";

export class UnreachableError extends JobgateError {
  override name = "UnreachableError";
  readonly reason: UnreachableReason;
  constructor(message: string, options?: { cause?: unknown; reason?: UnreachableReason }) {
    super(message, options);
    this.reason = options?.reason ?? "network";
  }
}

function branded(value: unknown): value is JobgateError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

function guard<T extends JobgateError>(...names: string[]): (value: unknown) => value is T {
  return (value: unknown): value is T => branded(value) && names.includes(value.name);
}

export const isJobgateError = (value: unknown): value is JobgateError => branded(value);
export const isConfigError = guard<ConfigError>("ConfigError");
export const isHttpError = guard<HttpError>("HttpError", "AuthError", "NotFoundError");
export const isAuthError = guard<AuthError>("AuthError");
export const isNotFoundError = guard<NotFoundError>("NotFoundError");
export const isTimeoutError = guard<TimeoutError>("TimeoutError");
export const isJobFailedError = guard<JobFailedError>("JobFailedError");
export const isUnreachableError = guard<UnreachableError>("UnreachableError");
