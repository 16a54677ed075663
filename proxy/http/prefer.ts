import { invalidRequest } from "./api-error.js";

/**
 * The requested long-poll wait in seconds, from `?wait=N` (wins) or the `wait`
 * preference of `Prefer` (RFC 7240 §4.3), or undefined when neither asks for one.
 * A malformed value is a 400 naming `wait`.
 */
export function requestedWaitSeconds(query: string | undefined, prefer: string | string[] | undefined): number | undefined {
  if (query !== undefined) return parseWait(query, "query parameter wait");
  if (prefer === undefined) return undefined;
  // Several Prefer headers are one comma-separated list (RFC 9110 §5.3).
  const list = Array.isArray(prefer) ? prefer.join(",") : prefer;
  for (const preference of list.split(",")) {
    // Preference parameters after ";" do not apply to wait.
    const token = preference.split(";")[0]!;
    const eq = token.indexOf("=");
    const name = (eq === -1 ? token : token.slice(0, eq)).trim().toLowerCase();
    if (name !== "wait") continue;
    if (eq === -1) throw invalidRequest("Prefer: wait needs a value in seconds, e.g. wait=30");
    return parseWait(unquote(token.slice(eq + 1).trim()), "Prefer: wait");
  }
  return undefined;
}

const DELTA_SECONDS = /^\d{1,10}$/;

function parseWait(value: string, where: string): number {
  if (!DELTA_SECONDS.test(value)) {
    throw invalidRequest(`${where} must be a whole number of seconds (e.g. 30), got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return Number(value);
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
