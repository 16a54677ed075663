/**
 * The client's one retry mechanism, used by every loop that can fail and try again — a
 * request, a stream reconnecting after a cut, a wait spanning many requests, and proxy
 * mode's upstream watch. Network errors, 429 and 5xx are retried with jittered
 * exponential backoff (backoff.ts), never sooner than `Retry-After` (or an SSE `retry:`),
 * never past the deadline; anything else is thrown at once. A success starts the
 * schedule again. Aborting the signal ends the sleep with the signal's reason.
 *
 * One retrier may be shared by concurrent loops (`waitForJobs`: one long-poll per job):
 * failures that arrive while a backoff is being slept join that sleep instead of counting
 * again, so an outage costs the batch what it costs one waiter — one schedule, one budget.
 * While the API has never answered (`connectDeadline`), no retry is slept past the
 * connect timeout: the retrier gives up with `neverAnswered`.
 */
import { abortableSleep } from "./abortable-sleep.js";
import { retryDelayMs, type BackoffSchedule } from "./backoff.js";
import { isHttpError, isUnreachableError, type JobgateError } from "./errors.js";

export interface RetrierOptions {
  readonly schedule: BackoffSchedule;
  /** Failures in a row after which the retrier gives up; `Infinity` retries until the deadline. */
  readonly retries: number;
  /** `performance.now()` after which no retry is slept for. @default Infinity */
  readonly deadline?: number;
  readonly signal?: AbortSignal | undefined;
  /** Called before each retry's sleep (for status lines). */
  readonly onRetry?: ((error: JobgateError, delayMs: number) => void) | undefined;
  /** The error thrown when the retries run out (the last failure is its cause). */
  readonly giveUp: (last: JobgateError, failures: number) => Error;
  /** `performance.now()` by which the API must have answered, or undefined once it has. */
  readonly connectDeadline?: () => number | undefined;
  /** The error thrown when the connect deadline passes with no answer ever. */
  readonly neverAnswered?: (last: JobgateError) => Error;
}

export class Retrier {
  #failures = 0;
  #failing: JobgateError | undefined;
  /** When the backoff being slept ends: failures before then join it. */
  #sleepingUntil = 0;

  constructor(private readonly options: RetrierOptions) {}

  /** The failure being retried right now, if any: a wait that times out while failing says "unreachable". */
  get failing(): JobgateError | undefined {
    return this.#failing;
  }

  /** A success: the next failure starts the schedule from the beginning. */
  succeeded(): void {
    this.#failures = 0;
    this.#failing = undefined;
    this.#sleepingUntil = 0;
  }

  /**
   * After a failure: sleeps the backoff and returns (the caller tries again), or throws —
   * the error itself when it is not worth retrying, the give-up error when the retries or
   * the time ran out, the signal's reason when it aborted.
   * @param minDelayMs a floor the caller was told to wait, e.g. an SSE stream's `retry:`
   */
  async afterFailure(error: unknown, minDelayMs = 0): Promise<void> {
    const { signal } = this.options;
    if (signal?.aborted) throw signal.reason;
    if (!isRetryable(error)) throw error;
    const now = performance.now();
    const connectBy = this.options.connectDeadline?.();
    if (connectBy !== undefined && connectBy - now <= 0) throw (this.options.neverAnswered ?? this.options.giveUp)(error, this.#failures + 1);
    const remaining = Math.min((this.options.deadline ?? Infinity) - now, connectBy === undefined ? Infinity : connectBy - now);
    this.#failing = error;
    if ((this.options.deadline ?? Infinity) - now <= 0) throw this.options.giveUp(error, this.#failures + 1);
    if (now < this.#sleepingUntil) {
      // Another loop sharing this retrier is already backing off: wake with it.
      await abortableSleep(Math.min(this.#sleepingUntil - now, remaining), signal);
      return;
    }
    this.#failures++;
    if (this.#failures > this.options.retries) throw this.options.giveUp(error, this.#failures);
    const retryAfterMs = isHttpError(error) ? error.retryAfterMs : undefined;
    const delay = retryDelayMs(this.#failures, this.options.schedule, Math.max(retryAfterMs ?? 0, minDelayMs), remaining);
    this.#sleepingUntil = now + delay;
    this.options.onRetry?.(error, delay);
    await abortableSleep(delay, signal);
  }
}

/** 429 and 5xx: answers that may change if asked again. */
export function isRetryableHttp(error: unknown): boolean {
  return isHttpError(error) && (error.status === 429 || error.status >= 500);
}

export function isRetryable(error: unknown): error is JobgateError {
  return isUnreachableError(error) || isRetryableHttp(error);
}
