/** Defaults the spec names, with their units in the names; flags, help texts and docs read them. */

/** Where the CLI and the client look for the API (spec §9). */
export const DEFAULT_API_URL = "http://127.0.0.1:8080";
/** `jobgate serve`'s address. */
export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = "127.0.0.1";
/** How long a waiter waits before giving up (exit 3): CLI `--timeout`, constructs' `timeout`. */
export const DEFAULT_WAIT_TIMEOUT = "30m";
/** The server's cap on a long-poll hold (`--max-wait`): under the 60 s idle timeout of common proxies. */
export const DEFAULT_MAX_WAIT_S = 50;
/** SSE heartbeat comments (`--heartbeat`). */
export const HEARTBEAT_MS = 15_000;
/** The `retry:` an SSE stream opens with: how soon a cut client reconnects. */
export const SSE_RETRY_MS = 3_000;
/** `Retry-After` poll hint on unfinished jobs at rest (`--poll-hint`), raised under load. */
export const DEFAULT_POLL_HINT_S = 2;
/** Jobs the store holds at most (`--max-jobs`). */
export const DEFAULT_MAX_JOBS = 100_000;
/** Finished jobs are kept at least this long unless the bound forces eviction (`--retention`). */
export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;
/** The team of a demo operation's job when neither the key nor the body names one. */
export const DEFAULT_TEAM = "team_default";
/** The request head must arrive within this (`--headers-timeout`); 408 and the connection closed otherwise. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** A body must arrive within this of its head (`--body-timeout`); 408 and the connection closed otherwise. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
/** Long-polls and streams one key may hold at once (`--max-holds-per-key`); 429 beyond. */
export const DEFAULT_MAX_HOLDS_PER_KEY = 1_000;
/** Unsent SSE bytes of one stream before its consumer counts as stalled and is dropped (`--stream-buffer`). */
export const DEFAULT_STREAM_BUFFER_BYTES = 1024 * 1024;
/** Unsent SSE bytes of all streams together (`--stream-buffer-total`); past it the most-behind streams are ended. */
export const DEFAULT_STREAM_BUFFER_TOTAL_BYTES = 256 * 1024 * 1024;
/** Jobs one account may hold (`--max-account-jobs`): its own oldest finished jobs make room, else 429. */
export const DEFAULT_MAX_ACCOUNT_JOBS = 10_000;
/** `Idempotency-Key`s kept per account (`--max-idempotency-keys`), each at least 24 h unless the bound forces it out. */
export const DEFAULT_MAX_IDEMPOTENCY_KEYS = 10_000;
/** The hold a waiter asks for per long-poll (`--poll-wait`, `JOBGATE_POLL_WAIT`): below the 30–60 s idle timeouts of the usual proxies and load balancers. */
export const DEFAULT_POLL_WAIT_S = 25;
/** A held request that an intermediary ends sooner than this is a failure (backed off from); later, it is that intermediary's timeout. */
export const MIN_HOLD_CUT_MS = 5_000;
/** The shortest hold asked for after cuts: a proxy that cuts sooner makes every hold a failure. */
export const MIN_POLL_WAIT_AFTER_CUT_S = 5;
/** How long a waiter tries an API that has never answered before it gives up, exit 6 (`--connect-timeout`). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;
/** `watch` falls back to the long-poll when the stream sends no event this long (`--first-event-timeout`). */
export const DEFAULT_FIRST_EVENT_TIMEOUT_MS = 5_000;
/** How far `watch`'s stream may lag behind the long-poll held beside it before it counts as buffered. */
export const STREAM_LAG_MS = 1_000;
/** Proxy mode: once an upstream's SSE is found buffered, how long watches long-poll it before SSE is tried again. */
export const UPSTREAM_SSE_RETRY_MS = 10 * 60_000;
