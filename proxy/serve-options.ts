import {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_MAX_ACCOUNT_JOBS,
  DEFAULT_MAX_HOLDS_PER_KEY,
  DEFAULT_MAX_IDEMPOTENCY_KEYS,
  DEFAULT_MAX_JOBS,
  DEFAULT_MAX_WAIT_S,
  DEFAULT_POLL_HINT_S,
  DEFAULT_PORT,
  DEFAULT_RETENTION_MS,
  DEFAULT_STREAM_BUFFER_BYTES,
  DEFAULT_STREAM_BUFFER_TOTAL_BYTES,
  HEARTBEAT_MS,
} from "../api/defaults.js";
import { MAX_WAIT_CAP_S } from "../api/limits.js";
import { parseStoreUrl } from "./store-url.js";

/** The store when none is named: jobs in this process's memory. */
export const MEMORY_STORE = "memory";

/** Defaults of the server's own knobs, with their units in the name (the spec's are in api/defaults.ts). */
export const DEFAULT_OPERATION_DURATION_MS = 5_000;
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** Proxy mode: how long the upstream's "yes" to a token for a job is trusted. */
export const DEFAULT_ACCESS_TTL_MS = 15_000;
/** Proxy mode: a watch nobody has asked about for this long ends. */
export const DEFAULT_WATCH_IDLE_MS = 30_000;
/** Proxy mode: an upstream stream with no byte after this long is buffered; fall back to long-poll. */
export const DEFAULT_SSE_FIRST_BYTE_MS = 5_000;

/** Errors and lifecycle at `info`; one line per request only at `debug` (most requests are 304s and held polls). */
export const DEFAULT_LOG_LEVEL = "info";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** What `jobgate serve` takes (the CLI's flags map one to one onto these). */
export interface ServeOptions {
  /** TCP port; 0 picks a free one. @default 8080 */
  readonly port?: number;
  /** Address to bind. @default "127.0.0.1" */
  readonly host?: string;
  /** Path of the keys file (spec §1). Required in standalone mode. */
  readonly keysFile?: string;
  /** Standalone mode's store: `"memory"`, or a `postgres://` URL shared by replicas (spec §8). @default "memory" */
  readonly store?: string;
  /** Longest long-poll hold a client may ask for, in seconds. @default 50 */
  readonly maxWaitS?: number;
  /** Interval of SSE heartbeat comments, in ms. @default 15_000 */
  readonly heartbeatMs?: number;
  /** Bound on jobs held in the store. @default 100_000 */
  readonly maxJobs?: number;
  /** How long finished jobs are kept, in ms. @default 24h */
  readonly retentionMs?: number;
  /** `Retry-After` hint on non-terminal jobs at rest, in seconds (raised under load). @default 2 */
  readonly pollHintS?: number;
  /** How long a demo operation runs, in ms (a body's `duration_ms` overrides it). @default 5_000 */
  readonly operationDurationMs?: number;
  /** How long shutdown waits for requests to finish, in ms. @default 10_000 */
  readonly shutdownGraceMs?: number;
  /** Unsent bytes after which a stream consumer counts as stalled and is dropped. @default 1 MiB */
  readonly streamBufferBytes?: number;
  /** Unsent SSE bytes of all streams together; past it the most-behind streams are ended. @default 256 MiB */
  readonly streamBufferTotalBytes?: number;
  /** Long-polls and streams one key may hold at once (429 beyond). @default 1_000 */
  readonly maxHoldsPerKey?: number;
  /** Jobs one account may hold; its oldest finished ones make room, else 429. @default 10_000 */
  readonly maxAccountJobs?: number;
  /** `Idempotency-Key`s kept per account. @default 10_000 */
  readonly maxIdempotencyKeys?: number;
  /** How long a request's head may take to arrive, in ms (408 beyond). @default 10_000 */
  readonly headersTimeoutMs?: number;
  /** How long a body may take to arrive after its head, in ms (408 beyond). @default 30_000 */
  readonly bodyTimeoutMs?: number;
  /** pino log level; per-request lines at `debug`. @default "info" */
  readonly logLevel?: LogLevel;
  /** Proxy mode: the upstream jobs API's base URL (no keys file then). @default none (standalone) */
  readonly upstream?: string;
  /** Proxy mode: how long an upstream "yes" to a token for a job is trusted, in ms. @default 15_000 */
  readonly accessTtlMs?: number;
  /** Proxy mode: an upstream watch without local interest for this long ends, in ms. @default 30_000 */
  readonly watchIdleMs?: number;
  /** Proxy mode: an upstream stream silent this long at start is buffered, in ms. @default 5_000 */
  readonly sseFirstByteMs?: number;
  /** Proxy mode: a PEM bundle added to the roots trusted for the upstream (a TLS-inspecting proxy's CA). @default none */
  readonly caFile?: string;
}

export type NormalizedServeOptions = Required<Omit<ServeOptions, "keysFile" | "upstream" | "store" | "caFile">> & {
  /** Proxy mode's extra CA bundle; empty when none. */
  readonly caFile: string;
  /** `"memory"`, or the store's URL. */
  readonly store: string;
  /** Standalone mode's keys file; empty in proxy mode. */
  readonly keysFile: string;
  /** Proxy mode's upstream base URL; undefined in standalone mode. */
  readonly upstream: string | undefined;
};

export class ServeOptionsError extends Error {
  override name = "ServeOptionsError";
}

function integer(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ServeOptionsError(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

export function normalizeServeOptions(options: ServeOptions): NormalizedServeOptions {
  const upstream = options.upstream === undefined || options.upstream === "" ? undefined : upstreamUrl(options.upstream);
  if (upstream === undefined && (options.keysFile === undefined || options.keysFile === "")) {
    throw new ServeOptionsError(
      "--keys is required (or JOBGATE_KEYS_FILE): a keys file such as examples/keys.json; or serve in proxy mode with --upstream URL",
    );
  }
  if (upstream !== undefined && options.keysFile !== undefined && options.keysFile !== "") {
    throw new ServeOptionsError("--keys and --upstream exclude each other: in proxy mode the upstream judges every token");
  }
  const logLevel = options.logLevel ?? DEFAULT_LOG_LEVEL;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ServeOptionsError(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(logLevel)}`);
  }
  return {
    port: integer("--port", options.port ?? DEFAULT_PORT, 0, 65_535),
    host: options.host ?? DEFAULT_HOST,
    keysFile: options.keysFile ?? "",
    store: storeOption(options.store, upstream !== undefined),
    maxWaitS: integer("--max-wait", options.maxWaitS ?? DEFAULT_MAX_WAIT_S, 0, MAX_WAIT_CAP_S),
    heartbeatMs: integer("--heartbeat", options.heartbeatMs ?? HEARTBEAT_MS, 10, 3_600_000),
    maxJobs: integer("--max-jobs", options.maxJobs ?? DEFAULT_MAX_JOBS, 1),
    retentionMs: integer("--retention", options.retentionMs ?? DEFAULT_RETENTION_MS, 1000),
    pollHintS: integer("--poll-hint", options.pollHintS ?? DEFAULT_POLL_HINT_S, 1, 3600),
    operationDurationMs: integer("--operation-duration", options.operationDurationMs ?? DEFAULT_OPERATION_DURATION_MS, 0, 86_400_000),
    shutdownGraceMs: integer("--shutdown-grace", options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS, 0, 600_000),
    streamBufferBytes: integer("--stream-buffer", options.streamBufferBytes ?? DEFAULT_STREAM_BUFFER_BYTES, 1024),
    streamBufferTotalBytes: integer("--stream-buffer-total", options.streamBufferTotalBytes ?? DEFAULT_STREAM_BUFFER_TOTAL_BYTES, 1024),
    maxHoldsPerKey: integer("--max-holds-per-key", options.maxHoldsPerKey ?? DEFAULT_MAX_HOLDS_PER_KEY, 1),
    maxAccountJobs: integer("--max-account-jobs", options.maxAccountJobs ?? DEFAULT_MAX_ACCOUNT_JOBS, 1),
    maxIdempotencyKeys: integer("--max-idempotency-keys", options.maxIdempotencyKeys ?? DEFAULT_MAX_IDEMPOTENCY_KEYS, 1),
    headersTimeoutMs: integer("--headers-timeout", options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, 100, 600_000),
    bodyTimeoutMs: integer("--body-timeout", options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS, 100, 600_000),
    logLevel,
    upstream,
    accessTtlMs: integer("--access-ttl", options.accessTtlMs ?? DEFAULT_ACCESS_TTL_MS, 0, 3_600_000),
    watchIdleMs: integer("--watch-idle", options.watchIdleMs ?? DEFAULT_WATCH_IDLE_MS, 100, 86_400_000),
    sseFirstByteMs: integer("--upstream-sse-first-byte", options.sseFirstByteMs ?? DEFAULT_SSE_FIRST_BYTE_MS, 10, 600_000),
    caFile: caFileOption(options.caFile, upstream !== undefined),
  };
}

function caFileOption(path: string | undefined, proxyMode: boolean): string {
  if (path === undefined || path === "") return "";
  if (!proxyMode) throw new ServeOptionsError("--ca-file is for proxy mode (--upstream): it adds roots trusted for the upstream");
  return path;
}

function upstreamUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ServeOptionsError(`--upstream must be an absolute http(s) URL such as https://api.managed.dev, got ${JSON.stringify(text)}`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username !== "" || url.password !== "" || url.search !== "") {
    throw new ServeOptionsError(`--upstream must be a plain http(s) base URL without credentials or query, got ${JSON.stringify(text)}`);
  }
  if (/\/v1\/*$/i.test(url.pathname)) {
    throw new ServeOptionsError(`--upstream must be the API's base URL without /v1 (jobgate adds it), such as ${url.origin}, got ${JSON.stringify(text)}`);
  }
  return url.toString().replace(/\/+$/, "");
}

function storeOption(text: string | undefined, proxyMode: boolean): string {
  if (text === undefined || text === "" || text === MEMORY_STORE) return MEMORY_STORE;
  if (proxyMode) throw new ServeOptionsError("--store and --upstream exclude each other: in proxy mode the upstream holds the jobs");
  return postgresStoreUrl(text);
}

/** A `--store` that must be a PostgreSQL URL (`jobgate store migrate`); the message never echoes it (it carries the password). */
export function postgresStoreUrl(text: string): string {
  const url = parseStoreUrl(text);
  if (url === undefined || (url.protocol !== "postgres:" && url.protocol !== "postgresql:")) {
    // Never echo the value: a store URL carries the database password.
    throw new ServeOptionsError('--store must be "memory" or a URL such as postgres://user:password@host:5432/jobgate (JOBGATE_STORE_URL)');
  }
  return text;
}
