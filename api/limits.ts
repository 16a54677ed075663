/** What a request may ask for and carry (spec §2, §4, §5, §6), with units in the names. */

/** `GET /v1/jobs` page size when `limit` is absent. */
export const DEFAULT_PAGE_SIZE = 20;
/** Largest `limit` of `GET /v1/jobs`. */
export const MAX_PAGE_SIZE = 100;
/** Largest request body (413 `payload_too_large` beyond). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Longest job `error.message` a producer may set. */
export const MAX_ERROR_MESSAGE_CHARS = 4096;
/** Longest simulated run a demo operation's `duration_ms` may ask for. */
export const MAX_OPERATION_DURATION_MS = 3_600_000;
/** Longest `Prefer: wait=N` the server may be configured to honour (`--max-wait`). */
export const MAX_WAIT_CAP_S = 3600;
/** Largest request head (request line and headers): 431 `headers_too_large` beyond. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Deepest JSON body: `{ "a": 1 }` is 1 level; 400 `invalid_request` naming the field beyond. */
export const MAX_JSON_DEPTH = 32;
