import type { ClientConfig, PoolConfig } from "pg";
import { parseStoreUrl, STORE_URL_NO_HOST } from "../../store-url.js";

/** Connections per replica for queries (the LISTEN connection is one more). */
export const DEFAULT_POOL_SIZE = 10;
/** How long a query may wait for a connection before the store says it is unavailable. */
const CONNECT_TIMEOUT_MS = 3_000;
/** Server-side bound on one statement: nothing the store asks takes near this long. */
const STATEMENT_TIMEOUT_MS = 10_000;
/** Client-side bound on one query, for a server that went silent (no RST). */
const QUERY_TIMEOUT_MS = 15_000;

/** `postgres://user@host:port/db` — the store URL without its password or query, for logs and messages. */
export function describeStoreUrl(url: string): string {
  const parsed = parseStoreUrl(url);
  if (parsed === undefined) return "the --store URL";
  try {
    const user = parsed.username === "" ? "" : `${decodeURIComponent(parsed.username)}@`;
    const host = parsed.host === "" || parsed.host === STORE_URL_NO_HOST ? (parsed.searchParams.get("host") ?? "localhost") : parsed.host;
    return `${parsed.protocol}//${user}${host}${parsed.pathname}`;
  } catch {
    return "the --store URL";
  }
}

/** The connection settings shared by the pool and the LISTEN connection. */
export function clientConfig(url: string): ClientConfig {
  return {
    connectionString: url,
    application_name: "jobgate",
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

export function poolConfig(url: string, size: number): PoolConfig {
  return { ...clientConfig(url), max: size, idleTimeoutMillis: 30_000 };
}
