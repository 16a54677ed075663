import type { ClientConfig, PoolConfig } from "pg";

/** Connections per replica for queries (the LISTEN connection is one more). */
export const DEFAULT_POOL_SIZE = 10;
/** How long a query may wait for a connection before the store says it is unavailable. */
const CONNECT_TIMEOUT_MS = 3_000;
/** Server-side bound on one statement: nothing the store asks takes near this long. */
const STATEMENT_TIMEOUT_MS = 10_000;
/** Client-side bound on one query, for a server that went silent (no RST). */
const QUERY_TIMEOUT_MS = 15_000;

/** What stands in for the host a unix-socket store URL leaves out (`postgres://user@/db?host=/run/postgresql`), as pg reads it. */
const STORE_URL_NO_HOST = "___DUMMY___";

/**
 * A store URL read as PostgreSQL's client (pg-connection-string) reads it, or undefined when
 * it cannot be. A WHATWG URL alone refuses some that it takes: a unix socket's `user@/db` (a
 * user but no host), a space or a bare `%` in the password.
 */
export function parseStoreUrl(text: string): URL | undefined {
  const encoded = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(text) ? encodeURI(text).replace(/%25(\d\d)/g, "%$1") : text;
  for (const candidate of [encoded, encoded.replace("@/", `@${STORE_URL_NO_HOST}/`)]) {
    try {
      return new URL(candidate);
    } catch {
      // not a URL this way: the next
    }
  }
  return undefined;
}

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
