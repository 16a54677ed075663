/**
 * The client's options in two layers: `JobsClientOptions` is what callers write (every
 * field documented with its default); `normalizeClientOptions()` checks it and fills the
 * defaults into `NormalizedClientOptions`, naming the option in any complaint.
 */
import { DEFAULT_API_URL, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_POLL_WAIT_S } from "../api/defaults.js";
import { BEARER_TOKEN_PATTERN } from "../api/identifiers.js";
import { FORGE_VERSION_PATTERN, LATEST_VERSION } from "../api/versions.js";
import { ConfigError } from "./errors.js";
import { HoldWindow } from "./hold-window.js";
import { defaultNetwork } from "./network.js";

/** First retry delay; later ones grow by `factor`, jittered into [d/2, d]. */
export const DEFAULT_RETRY_MIN_DELAY_MS = 500;
export const DEFAULT_RETRY_MAX_DELAY_MS = 30_000;
export const DEFAULT_RETRY_FACTOR = 2;
/** Retries of a single call (get, list, call); a wait retries until its deadline. */
export const DEFAULT_RETRIES = 5;
/** Longest hold asked of the server per long-poll (the server caps it too): `--poll-wait`. */
export const DEFAULT_LONG_POLL_S = DEFAULT_POLL_WAIT_S;
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
  /**
   * The fetch to use (tests, instrumentation). @default undici's fetch through
   * `HTTPS_PROXY` / `HTTP_PROXY` unless `NO_PROXY` or loopback says direct, trusting `caFile`
   */
  readonly fetch?: FetchLike;
  /**
   * A PEM bundle added to the trusted roots, for TLS-inspecting proxies (the CLI's
   * `--ca-file`, `JOBGATE_CA_FILE`). Ignored when `fetch` is given. @default none (Node's roots and `NODE_EXTRA_CA_CERTS`)
   */
  readonly caFile?: string;
  /**
   * How long the client keeps trying an API that has never answered it before giving up
   * with `UnreachableError` (a wrong URL, a missing proxy), in ms. Once it has answered,
   * outages are retried until a wait's deadline. @default 60_000
   */
  readonly connectTimeoutMs?: number;
  /** Retry schedule for network errors, 429 and 5xx. @default { retries: 5, minDelayMs: 500, maxDelayMs: 30_000, factor: 2 } */
  readonly retry?: RetryOptions;
  /**
   * Longest hold asked of the server per long-poll, in seconds (the CLI's `--poll-wait`):
   * below the idle timeout of the proxies and load balancers on the way. A hold they cut
   * anyway shortens it for the rest of the client's life (hold-window.ts). @default 25
   */
  readonly longPollS?: number;
  /** Share what one client learnt about an intermediary's timeout with others (proxy mode shares one per upstream). @default a window of its own, starting at `longPollS` */
  readonly holds?: HoldWindow;
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
  /** The proxy requests to `apiUrl` go through (printable: no credentials), if any. */
  readonly proxy: string | undefined;
  /** Secrets that must never be printed: the token and any proxy credentials. */
  readonly secrets: readonly string[];
  readonly retry: Required<RetryOptions>;
  readonly longPollS: number;
  readonly holds: HoldWindow;
  readonly connectTimeoutMs: number;
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
  if (url.search !== "" || url.hash !== "") throw new ConfigError(`apiUrl must be a base URL without a query or fragment, such as ${url.origin}`);
  // The client adds /v1 itself: https://api/v1 would ask for /v1/v1/jobs/… and read every job as "not found".
  if (/\/v1\/*$/i.test(url.pathname)) {
    throw new ConfigError(
      `apiUrl must be the API's base URL without the version path: the client adds /v1 itself; use ${url.origin}${url.pathname.replace(/\/v1\/*$/i, "")} instead of ${url.origin}${url.pathname}`,
    );
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
  if (options.fetch !== undefined && typeof options.fetch !== "function") throw new ConfigError("fetch must be a function");
  if (options.caFile !== undefined && (typeof options.caFile !== "string" || options.caFile.trim() === ""))
    throw new ConfigError("caFile must be the path of a PEM bundle");
  const network = options.fetch === undefined ? defaultNetwork({ caFile: options.caFile }) : undefined;
  const fetchFn = options.fetch ?? network!.fetch;
  const retry = options.retry ?? {};
  if (typeof retry !== "object" || retry === null) throw new ConfigError("retry must be an object");
  const minDelayMs = number("retry.minDelayMs", retry.minDelayMs, DEFAULT_RETRY_MIN_DELAY_MS, 0, 600_000);
  const maxDelayMs = number("retry.maxDelayMs", retry.maxDelayMs, Math.max(DEFAULT_RETRY_MAX_DELAY_MS, minDelayMs), 0, 3_600_000);
  if (maxDelayMs < minDelayMs) throw new ConfigError(`retry.maxDelayMs (${maxDelayMs}) must not be less than retry.minDelayMs (${minDelayMs})`);
  const longPollS = number("longPollS", options.longPollS, DEFAULT_LONG_POLL_S, 1, 3600, true);
  if (options.holds !== undefined && !(options.holds instanceof HoldWindow)) throw new ConfigError("holds must be a HoldWindow");
  const base = apiUrl.replace(/\/+$/, "");
  return {
    apiUrl: base,
    token: options.token.trim(),
    forgeVersion,
    fetch: fetchFn,
    proxy: network?.proxyFor(base),
    secrets: [options.token.trim(), ...(network?.secrets ?? [])],
    retry: {
      retries: number("retry.retries", retry.retries, DEFAULT_RETRIES, 0, 1000, true),
      minDelayMs,
      maxDelayMs,
      factor: number("retry.factor", retry.factor, DEFAULT_RETRY_FACTOR, 1, 10),
    },
    longPollS,
    holds: options.holds ?? new HoldWindow(longPollS),
    connectTimeoutMs: number("connectTimeoutMs", options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 1, 86_400_000),
    requestTimeoutMs: number("requestTimeoutMs", options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 1, 3_600_000),
    userAgent: text("userAgent", options.userAgent, "jobgate-client"),
  };
}
