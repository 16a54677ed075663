/**
 * A `--store` URL read the way PostgreSQL's client reads it — in one place for the options
 * (serve-options.ts, which must not load the store to check a flag) and the store's own
 * messages (store/postgres/connection.ts).
 */
/** What stands in for the host a unix-socket store URL leaves out (`postgres://user@/db?host=/run/postgresql`), as pg reads it. */
export const STORE_URL_NO_HOST = "___DUMMY___";

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
