import type { Command } from "commander";
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
} from "../../../api/defaults.js";
import { ENV } from "../../../api/env.js";
import { MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_JSON_DEPTH } from "../../../api/limits.js";
import { formatDuration, parseDuration } from "../../../client/duration.js";
import {
  DEFAULT_ACCESS_TTL_MS,
  DEFAULT_LOG_LEVEL,
  DEFAULT_OPERATION_DURATION_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_SSE_FIRST_BYTE_MS,
  DEFAULT_WATCH_IDLE_MS,
  MEMORY_STORE,
  ServeOptionsError,
  type LogLevel,
  type ServeOptions,
} from "../../../proxy/serve-options.js";
import { KeysFileError } from "../../../proxy/tenancy/keys.js";

interface ServeFlags {
  port: string;
  host: string;
  keys?: string;
  store?: string;
  maxWait: string;
  heartbeat: string;
  maxJobs: string;
  retention: string;
  pollHint: string;
  operationDuration: string;
  shutdownGrace: string;
  logLevel: string;
  upstream?: string;
  accessTtl: string;
  watchIdle: string;
  upstreamSseFirstByte: string;
  maxHoldsPerKey: string;
  streamBuffer: string;
  streamBufferTotal: string;
  maxAccountJobs: string;
  maxIdempotencyKeys: string;
  headersTimeout: string;
  bodyTimeout: string;
  caFile?: string;
}

const SIZE = /^(\d+)(B|KiB|MiB|GiB)?$/;
const SIZE_UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** Bytes of a size flag: a whole number with an optional unit (B, KiB, MiB, GiB). */
function byteSize(text: string, flag: string): number {
  const match = SIZE.exec(text.trim());
  if (match === null)
    throw new ServeOptionsError(`${flag} must be a size such as 1MiB, 256MiB or 65536 (bytes; units B, KiB, MiB, GiB), got ${JSON.stringify(text)}`);
  return Number(match[1]) * SIZE_UNITS[match[2] ?? "B"]!;
}

/** The shortest spelling of a size in bytes (268435456 → "256MiB"). */
function formatSize(bytes: number): string {
  for (const unit of ["GiB", "MiB", "KiB"] as const) if (bytes % SIZE_UNITS[unit]! === 0) return `${bytes / SIZE_UNITS[unit]!}${unit}`;
  return `${bytes}B`;
}

/** Seconds of a Go-style duration flag that must be whole seconds. */
function wholeSeconds(text: string, flag: string): number {
  const ms = parseDuration(text, flag);
  if (ms % 1000 !== 0) throw new ServeOptionsError(`${flag} must be whole seconds, e.g. 60s`);
  return ms / 1000;
}

function wholeNumber(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new ServeOptionsError(`${flag} must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

export function toServeOptions(flags: ServeFlags): ServeOptions {
  const keysFile = flags.keys ?? process.env[ENV.keysFile];
  const store = flags.store ?? (process.env[ENV.storeUrl]?.trim() || undefined);
  // JOBGATE_CA_FILE is the waiters'; in standalone mode it has nothing to do and is not an error.
  const caFile = flags.caFile ?? (flags.upstream !== undefined ? process.env[ENV.caFile]?.trim() || undefined : undefined);
  return {
    port: wholeNumber(flags.port, "--port"),
    host: flags.host,
    ...(keysFile !== undefined ? { keysFile } : {}),
    ...(store !== undefined ? { store } : {}),
    maxWaitS: wholeSeconds(flags.maxWait, "--max-wait"),
    heartbeatMs: parseDuration(flags.heartbeat, "--heartbeat"),
    maxJobs: wholeNumber(flags.maxJobs, "--max-jobs"),
    retentionMs: parseDuration(flags.retention, "--retention"),
    pollHintS: wholeSeconds(flags.pollHint, "--poll-hint"),
    operationDurationMs: parseDuration(flags.operationDuration, "--operation-duration"),
    shutdownGraceMs: parseDuration(flags.shutdownGrace, "--shutdown-grace"),
    logLevel: flags.logLevel as LogLevel,
    ...(flags.upstream !== undefined ? { upstream: flags.upstream } : {}),
    accessTtlMs: parseDuration(flags.accessTtl, "--access-ttl"),
    watchIdleMs: parseDuration(flags.watchIdle, "--watch-idle"),
    sseFirstByteMs: parseDuration(flags.upstreamSseFirstByte, "--upstream-sse-first-byte"),
    maxHoldsPerKey: wholeNumber(flags.maxHoldsPerKey, "--max-holds-per-key"),
    streamBufferBytes: byteSize(flags.streamBuffer, "--stream-buffer"),
    streamBufferTotalBytes: byteSize(flags.streamBufferTotal, "--stream-buffer-total"),
    maxAccountJobs: wholeNumber(flags.maxAccountJobs, "--max-account-jobs"),
    maxIdempotencyKeys: wholeNumber(flags.maxIdempotencyKeys, "--max-idempotency-keys"),
    headersTimeoutMs: parseDuration(flags.headersTimeout, "--headers-timeout"),
    bodyTimeoutMs: parseDuration(flags.bodyTimeout, "--body-timeout"),
    ...(caFile !== undefined ? { caFile } : {}),
  };
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .summary("run the jobs API server (standalone, or a polling proxy with --upstream)")
    .description(
      "Serve the jobs API: list, get with ETag / If-None-Match and long-poll (Prefer: wait=N), and SSE streams.\n\n" +
        "Standalone (--keys): jobs are fed by the producer side (/internal/v1/jobs) and by demo operations that " +
        "answer 202; in-flight jobs are never evicted, finished ones are kept at least --retention within --max-jobs. " +
        "They live in this process's memory (--store memory, the default), or in PostgreSQL (--store postgres://…): " +
        "the shared truth of any number of replicas, woken by LISTEN/NOTIFY, so restarting them loses nothing. " +
        "The schema is created or migrated at start (`jobgate store migrate` does it alone).\n\n" +
        "Proxy (--upstream URL): the same read routes in front of a real jobs API, for pollers that cannot use SSE: " +
        "one upstream watch per job feeds every local long-poll and stream; the upstream judges every token. " +
        "The upstream is reached through HTTPS_PROXY / HTTP_PROXY unless NO_PROXY (or loopback) says direct, trusting --ca-file.\n\n" +
        "Logs are JSON lines on stdout; SIGTERM or SIGINT shut down gracefully.",
    )
    .option("--port <port>", "TCP port (0 picks a free one)", String(DEFAULT_PORT))
    .option("--host <address>", "address to bind", DEFAULT_HOST)
    .option("--keys <file>", `keys file (spec §1); default $${ENV.keysFile}`)
    .option(
      "--store <store>",
      `where jobs live: ${MEMORY_STORE} (this process), or postgres://user:password@host:5432/db (PostgreSQL >= 15, shared by every replica given the same URL); default $${ENV.storeUrl}, else ${MEMORY_STORE}`,
    )
    .option(
      "--max-wait <duration>",
      "longest long-poll hold a client may ask for; keep it under the idle timeout of any proxy or load balancer in front",
      formatDuration(DEFAULT_MAX_WAIT_S * 1000),
    )
    .option("--heartbeat <duration>", "interval of SSE heartbeat comments", formatDuration(HEARTBEAT_MS))
    .option("--max-jobs <n>", "bound on jobs held (in flight + finished)", String(DEFAULT_MAX_JOBS))
    .option("--retention <duration>", "how long finished jobs are kept at least", formatDuration(DEFAULT_RETENTION_MS))
    .option("--poll-hint <duration>", "Retry-After hint on unfinished jobs (raised under load)", formatDuration(DEFAULT_POLL_HINT_S * 1000))
    .option("--operation-duration <duration>", "how long a demo operation runs (body duration_ms overrides)", formatDuration(DEFAULT_OPERATION_DURATION_MS))
    .option("--shutdown-grace <duration>", "how long shutdown waits for requests in progress", formatDuration(DEFAULT_SHUTDOWN_GRACE_MS))
    .option("--log-level <level>", "fatal, error, warn, info, debug (one line per request), trace or silent", DEFAULT_LOG_LEVEL)
    .option("--upstream <url>", "proxy mode: the upstream jobs API's base URL (instead of --keys)")
    .option("--access-ttl <duration>", "proxy mode: how long the upstream's yes to a token for a job is trusted", formatDuration(DEFAULT_ACCESS_TTL_MS))
    .option("--watch-idle <duration>", "proxy mode: end an upstream watch nobody asked about for this long", formatDuration(DEFAULT_WATCH_IDLE_MS))
    .option(
      "--upstream-sse-first-byte <duration>",
      "proxy mode: an upstream stream silent this long is buffered; long-poll instead",
      formatDuration(DEFAULT_SSE_FIRST_BYTE_MS),
    )
    .option("--max-holds-per-key <n>", "limit: long-polls and streams one key may hold at once; 429 past it", String(DEFAULT_MAX_HOLDS_PER_KEY))
    .option("--stream-buffer <size>", "limit: unsent SSE bytes of one stream before its stalled reader is dropped", formatSize(DEFAULT_STREAM_BUFFER_BYTES))
    .option(
      "--stream-buffer-total <size>",
      "limit: unsent SSE bytes of all streams; past it the most-behind streams end first",
      formatSize(DEFAULT_STREAM_BUFFER_TOTAL_BYTES),
    )
    .option("--max-account-jobs <n>", "limit: jobs one account may hold; its own oldest finished jobs make room, else 429", String(DEFAULT_MAX_ACCOUNT_JOBS))
    .option(
      "--max-idempotency-keys <n>",
      "limit: Idempotency-Keys kept per account (at least 24h each, unless this bound forces one out)",
      String(DEFAULT_MAX_IDEMPOTENCY_KEYS),
    )
    .option(
      "--headers-timeout <duration>",
      "limit: a request's headers must arrive within this; 408 and the connection closed",
      formatDuration(DEFAULT_HEADERS_TIMEOUT_MS),
    )
    .option(
      "--body-timeout <duration>",
      "limit: a body must arrive within this of its headers; 408 and the connection closed",
      formatDuration(DEFAULT_BODY_TIMEOUT_MS),
    )
    .option("--ca-file <path>", `proxy mode: trust the certificates in this PEM bundle too, for the upstream (default $${ENV.caFile})`)
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  $ jobgate serve --keys examples/keys.json\n" +
        `  $ ${ENV.keysFile}=/etc/jobgate/keys.json jobgate serve --host 0.0.0.0 --port 9000 --max-wait 120s\n` +
        `  $ ${ENV.storeUrl}=postgres://jobgate:secret@db:5432/jobgate jobgate serve --keys keys.json --host 0.0.0.0   # one of several replicas\n` +
        "  $ jobgate serve --upstream https://api.managed.dev --port 8080   # a polling proxy for a CI fleet\n" +
        "\nLimits (spec §2), besides the flags marked limit: above; each bite is counted in jobgate_limit_hits_total:\n" +
        `  request headers at most ${MAX_HEADER_BYTES / 1024} KiB (431); bodies at most ${MAX_BODY_BYTES / 1024 / 1024} MiB (413), nested at most ${MAX_JSON_DEPTH} levels (400);\n` +
        "  a body is read only after authentication; --max-jobs in flight leaves publishes a 503 with Retry-After.\n",
    )
    .action(async (flags: ServeFlags) => {
      let server;
      try {
        // The server (Express, pino, prom-client) loads only when it is started: the other commands stay fast.
        const { startServer } = await import("../../../proxy/server.js");
        server = await startServer(toServeOptions(flags));
      } catch (error) {
        const name = (error as Error).name;
        if (error instanceof KeysFileError || error instanceof ServeOptionsError || name === "DurationError" || name === "ConfigError") {
          process.stderr.write(`jobgate serve: ${(error as Error).message}\n`);
          process.exit(2);
        }
        if ((error as Error).name === "StoreUnavailableError") {
          // Nothing is served from a store that cannot be opened; a supervisor restarts us once the database is up.
          process.stderr.write(`jobgate serve: --store: ${(error as Error).message}\n`);
          process.exit(6);
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
          process.stderr.write(`jobgate serve: cannot listen on ${flags.host}:${flags.port} (${code}); choose another --port or --host\n`);
          process.exit(2);
        }
        throw error;
      }
      const { describeStoreUrl } = await import("../../../proxy/store/postgres/connection.js");
      process.stderr.write(
        server.options.upstream !== undefined
          ? `jobgate serve: listening on ${server.url}, proxying ${server.options.upstream}\n`
          : server.options.store !== MEMORY_STORE
            ? `jobgate serve: listening on ${server.url}, jobs in ${describeStoreUrl(server.options.store)} (shared by every replica on it)\n`
            : banner(server.url),
      );
      let signals = 0;
      const shutdown = (signal: string): void => {
        if (++signals > 1) process.exit(1); // a second signal: stop waiting
        process.stderr.write(`jobgate serve: ${signal}: answering held requests, ending streams, then exiting\n`);
        void server.close().then(() => process.exit(0));
      };
      process.on("SIGTERM", () => shutdown("SIGTERM"));
      process.on("SIGINT", () => shutdown("SIGINT"));
    });
}

function banner(url: string): string {
  return `
jobgate serve: listening on ${url}

Try it (development tokens are in examples/keys.json; mfk_dev_all may do everything):
  export JOBGATE_API_URL=${url} JOBGATE_TOKEN=<a token from the keys file>
  curl -si -X POST $JOBGATE_API_URL/v1/sites/site_1/deploys -H "Authorization: Bearer $JOBGATE_TOKEN" \\
       -H 'Content-Type: application/json' -d '{"duration_ms": 10000}'
  curl -si $JOBGATE_API_URL/v1/jobs/<job id> -H "Authorization: Bearer $JOBGATE_TOKEN"
  npx jobgate jobs wait <job id>
`;
}
