import { StoreUnavailableError } from "../types.js";

/**
 * Which failures of PostgreSQL mean "cannot answer now" (a 503 with Retry-After, spec §8)
 * rather than a bug: the connection (refused, reset, cut, timed out, a unix socket gone), the server (starting,
 * shutting down, out of connections, read-only after a failover), and who we are (a
 * password or database that went away). Everything else travels on as it is (a 500).
 */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE", "ECONNABORTED"]);
const SQLSTATES = new Set([
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down, in recovery)
  "57014", // query_canceled (statement_timeout)
  "53300", // too_many_connections
  "53400", // configuration_limit_exceeded
  "25006", // read_only_sql_transaction (a standby after a failover)
  "3D000", // invalid_catalog_name (the database is gone)
  "55000", // object_not_in_prerequisite_state (e.g. during recovery)
]);
/** pg's own messages for a connection that ended or never came. */
const MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Cannot use a pool after calling end|not queryable|Connection ended/i;

/** A unix socket that is not there (`connect ENOENT …/.s.PGSQL.5432`): the server is down, and took its socket with it. */
function isMissingSocket(error: unknown): boolean {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  return code === "ENOENT" && syscall === "connect";
}

export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (isMissingSocket(error)) return true;
  if (typeof code === "string") {
    if (NETWORK_CODES.has(code) || SQLSTATES.has(code)) return true;
    // Connection exceptions (08…) and invalid authorization (28…).
    if (/^(08|28)[0-9A-Z]{3}$/.test(code)) return true;
  }
  return typeof message === "string" && MESSAGES.test(message);
}

/** Serialization failures and deadlocks: the transaction is retried as a whole. */
export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "40001" || code === "40P01";
}

/**
 * A failure as the store reports it: unavailability as a StoreUnavailableError whose
 * message names no host (it reaches API clients; the log has the cause), the rest as is.
 */
export function storeError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error;
  return new StoreUnavailableError(`the database cannot be reached (${reason(error)})`, { cause: error });
}

/** A short, host-free reason: the errno or SQLSTATE, or pg's message. */
export function reason(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === "string" && (NETWORK_CODES.has(code) || isMissingSocket(error))) return code;
  if (typeof code === "string") return `SQLSTATE ${code}`;
  return typeof message === "string" ? message.replace(/\s+\d{1,3}(\.\d{1,3}){3}:\d+/g, "") : String(error);
}
