/**
 * The retry schedule, as pure arithmetic (no timers) so it can be tested exactly.
 *
 * Attempt n (1-based) waits `base = min(max, min · factor^(n-1))`, jittered into
 * [base/2, base] ("equal jitter": spreads a herd of waiters without ever retrying at once),
 * never less than what the server asked for with `Retry-After`, and never past the deadline.
 */
export interface BackoffSchedule {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
}

/** Delay before retry number `attempt` (1 = the first retry); `random` in [0, 1). */
export function backoffDelayMs(attempt: number, schedule: BackoffSchedule, random: number = Math.random()): number {
  const base = Math.min(schedule.maxDelayMs, schedule.minDelayMs * schedule.factor ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (base / 2) * random);
}

/** The longest `Retry-After` honoured: a server asking for more is waited on in steps. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * `Retry-After` in ms (RFC 9110 §10.2.3: delay-seconds or an HTTP-date), or undefined when
 * absent or unreadable. Capped at MAX_RETRY_AFTER_MS.
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - nowMs);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** The wait before the next retry: backoff, raised to `Retry-After`, cut at the deadline. */
export function retryDelayMs(attempt: number, schedule: BackoffSchedule, retryAfterMs: number | undefined, remainingMs: number, random?: number): number {
  const delay = Math.max(backoffDelayMs(attempt, schedule, random), retryAfterMs ?? 0);
  return Math.max(0, Math.min(delay, remainingMs));
}
