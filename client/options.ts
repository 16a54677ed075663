/**
 * The client's options in two layers: `JobsClientOptions` is what callers write (every
 * field documented with its default); `normalizeClientOptions()` checks it and fills the
 * defaults into `NormalizedClientOptions`, naming the option in any complaint.
 */
import { DEFAULT_API_URL } from "../api/defaults.js";
import { BEARER_TOKEN_PATTERN } from "../api/identifiers.js";
import { FORGE_VERSION_PATTERN, LATEST_VERSION } from "../api/versions.js";
import { ConfigError } from "./errors.js";

/** First retry delay; later ones grow by `factor`, jittered into [d/2, d]. */
export const DEFAULT_RETRY_MIN_DELAY_MS = 500;
export const DEFAULT_RETRY_MAX_DELAY_MS = 30_000;
export const DEFAULT_RETRY_FACTOR = 2;
/** Retries of a single call (get, list, call); a wait retries until its deadline. */
export const DEFAULT_RETRIES = 5;
/** Longest hold asked of the server per long-poll (the server caps it too). */
export const DEFAULT_LONG_POLL_S = 60;
/** How long a request without a hold may take before it counts as a network failure. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Added to a long-poll's hold for the request timeout, so the server always answers first. */
export const LONG_POLL_GRACE_MS = 15_000;

export interface RetryOptions {
  /**
   * Retries of one request after a network error, 429 or 5xx. A wait (`waitForJob`,
   * `streamJob`) retries without limit until its deadline instead.
   * @default 5
   */
  readonly retries?: number;
  /** Delay before the first retry, in ms. @default 500 */
  readonly minDelayMs?: number;
  /** Cap on the delay between retries, in ms (`Retry-After` may ask for more). @default 30_000 */
  readonly maxDelayMs?: number;
  /** Growth of the delay per retry. @default 2 */
  readonly factor?: number;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface JobsClientOptions {
  /** Base URL of the jobs API, e.g. `https://api.managed.dev`. @default "http://127.0.0.1:8080" */
  readonly apiUrl?: string;
  /** Bearer token (`mfk_…`). Never logged, never put in an error message. */
  readonly token: string;
  /** `Forge-Version` sent on every request. @default the latest this client speaks (`LATEST_VERSION`) */
  readonly forgeVersion?: string;
  /** The fetch to use (tests, proxies, instrumentation). @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /** Retry schedule for network errors, 429 and 5xx. @default { retries: 5, minDelayMs: 500, maxDelayMs: 30_000, factor: 2 } */
  readonly retry?: RetryOptions;
  /** Longest hold asked of the server per long-poll, in seconds. @default 60 */
  readonly longPollS?: number;
  /** Timeout of a request that is not a long-poll, in ms. @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** `User-Agent` header. @default "jobgate-client" */
  readonly userAgent?: string;
}

export interface NormalizedClientOptions {
  readonly apiUrl: string;
  readonly token: string;
  readonly forgeVersion: string;
  readonly fetch: FetchLike;
  readonly retry: Required<RetryOptions>;
  readonly longPollS: number;
  readonly requestTimeoutMs: number;
  readonly userAgent: string;
}

function number(name: string, value: unknown, fallback: number, min: number, max: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new ConfigError(`${name} must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function text(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value.trim() === "") throw new ConfigError(`${name} must be a non-empty string`);
  return value;
}

export function normalizeClientOptions(options: JobsClientOptions): NormalizedClientOptions {
  if (typeof options !== "object" || options === null) throw new ConfigError("JobsClient options must be an object");
  const apiUrl = text("apiUrl", options.apiUrl, DEFAULT_API_URL);
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new ConfigError(`apiUrl must be an absolute http(s) URL such as ${DEFAULT_API_URL}, got ${JSON.stringify(apiUrl)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`apiUrl must use http or https, got ${JSON.stringify(url.protocol)}`);
  }
  // Userinfo would put a secret into every URL we might print.
  if (url.username !== "" || url.password !== "") {
    throw new ConfigError("apiUrl must not contain credentials; pass the token as the token option (JOBGATE_TOKEN)");
  }
  if (typeof options.token !== "string" || options.token.trim() === "") {
    throw new ConfigError("token is required: the API's bearer token (JOBGATE_TOKEN)");
  }
  // A space or control character could not travel in a header: a usage error, not a network failure to retry.
  if (!BEARER_TOKEN_PATTERN.test(options.token.trim())) throw new ConfigError("token must be visible ASCII characters, without spaces or control characters");
  const forgeVersion = text("forgeVersion", options.forgeVersion, LATEST_VERSION);
  if (!FORGE_VERSION_PATTERN.test(forgeVersion)) {
    throw new ConfigError(`forgeVersion must be a date such as ${LATEST_VERSION}, got ${JSON.stringify(forgeVersion)}`);
  }
  const fetchFn = options.fetch ?? globalThis.fetch;
  if (typeof fetchFn !== "function") throw new ConfigError("fetch must be a function (no global fetch in this runtime)");
  const retry = options.retry ?? {};
  if (typeof retry !== "object" || retry === null) throw new ConfigError("retry must be an object");
  const minDelayMs = number("retry.minDelayMs", retry.minDelayMs, DEFAULT_RETRY_MIN_DELAY_MS, 0, 600_000);
  const maxDelayMs = number("retry.maxDelayMs", retry.maxDelayMs, Math.max(DEFAULT_RETRY_MAX_DELAY_MS, minDelayMs), 0, 3_600_000);
  if (maxDelayMs < minDelayMs) throw new ConfigError(`retry.maxDelayMs (${maxDelayMs}) must not be less than retry.minDelayMs (${minDelayMs})`);
  return {
    apiUrl: apiUrl.replace(/\/+$/, ""),
    token: options.token.trim(),
    forgeVersion,
    fetch: fetchFn,
    retry: {
      retries: number("retry.retries", retry.retries, DEFAULT_RETRIES, 0, 1000, true),
      minDelayMs,
      maxDelayMs,
      factor: number("retry.factor", retry.factor, DEFAULT_RETRY_FACTOR, 1, 10),
    },
    longPollS: number("longPollS", options.longPollS, DEFAULT_LONG_POLL_S, 1, 3600, true),
    requestTimeoutMs: number("requestTimeoutMs", options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 1, 3_600_000),
    userAgent: text("userAgent", options.userAgent, "jobgate-client"),
  };
}
