/**
 * The ETag long-poll (spec §4, §9): one conditional GET held by the server until the job
 * changes, paced so that an unchanged answer that comes back early (a server or proxy
 * that does not hold) is followed by a paced retry, never a spin; and the wait built on
 * it, which long-polls until the job is terminal under one deadline and one retrier.
 *
 * A hold that an intermediary cuts (its read timeout: a 502/503/504 that is not this
 * API's, or a reset, after at least 5 s) is not a failure: the next poll goes out at
 * once asking for a shorter wait (hold-window.ts), and `onHoldCut` hears of it.
 */
import { sameEtag } from "../api/etag.js";
import { isIdentifier } from "../api/identifiers.js";
import type { Job } from "../api/job.js";
import { abortableSleep } from "./abortable-sleep.js";
import { parseRetryAfterMs } from "./backoff.js";
import { formatDuration, parseDuration } from "./duration.js";
import { ConfigError, HttpError, JobFailedError, TimeoutError, UnreachableError, isJobFailedError, type JobgateError } from "./errors.js";
import { LONG_POLL_GRACE_MS } from "./options.js";
import { checkJob, describeJob } from "./job-checks.js";
import { HoldWindow, type HoldCut } from "./hold-window.js";
import { isIntermediaryCut } from "./network-errors.js";
import { invalidResponse } from "./response-errors.js";
import type { Retrier } from "./retrier.js";
import type { ApiResponse, Transport } from "./transport.js";

/** Shortest gap between two polls that both came back unchanged. */
export const MIN_POLL_INTERVAL_MS = 1_000;
/** Longest gap the server's poll hint may impose between unchanged polls. */
export const MAX_POLL_INTERVAL_MS = 30_000;

export type GetJobResult =
  | { readonly notModified: false; readonly job: Job; readonly etag: string | undefined }
  | { readonly notModified: true; readonly job: undefined; readonly etag: string };

export interface GetJobOptions {
  /** ETag of the state already held: an unchanged job answers `notModified`. */
  readonly etag?: string | undefined;
  /** With `etag`: hold up to this many seconds for a change (long-poll). @default 0 */
  readonly waitS?: number;
  readonly signal?: AbortSignal | undefined;
  /** A hold was cut by an intermediary and is being asked again, shorter (log `first` ones). */
  readonly onHoldCut?: ((cut: HoldCut) => void) | undefined;
}

export interface WaitForJobOptions {
  /** Give up after this long: ms, or a Go-style duration (`"30m"`). @default no limit */
  readonly timeout?: number | string;
  readonly signal?: AbortSignal;
  /** Called with the first state and every change after it, and that state's ETag. */
  readonly onProgress?: (job: Job, etag: string) => void;
  /** Called when a request fails and will be retried (for status lines). */
  readonly onRetry?: (error: JobgateError, delayMs: number) => void;
  /** A hold was cut by an intermediary (a proxy's timeout) and asked again, shorter: not a failure. */
  readonly onHoldCut?: (cut: HoldCut) => void;
}

/** What the long-poll needs of the client's settings. */
export interface LongPollSettings {
  /** Longest hold asked of the server per request, in seconds. */
  readonly longPollS: number;
  /** The hold asked for now (shorter than `longPollS` once an intermediary cut one). */
  readonly holds: HoldWindow;
  /** Timeout of a request that is not held. */
  readonly requestTimeoutMs: number;
}

const DEADLINE = Symbol("deadline");

/** The job's path, after checking the id is one (so it cannot name another route). */
export function jobRequestPath(id: string): string {
  if (!isIdentifier(id)) throw new ConfigError(`job id must be an id such as job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK, got ${JSON.stringify(id)}`);
  return `/v1/jobs/${id}`;
}

/** One job; with `etag` a conditional GET, with `etag` and `waitS` a long-poll held up to `waitS`. */
export async function pollJob(transport: Transport, settings: LongPollSettings, id: string, options: GetJobOptions, retrier: Retrier): Promise<GetJobResult> {
  const path = jobRequestPath(id);
  const etag = options.etag;
  const waitS = etag === undefined ? 0 : (options.waitS ?? 0);
  if (!Number.isFinite(waitS) || waitS < 0) throw new ConfigError(`waitS must be a number of seconds ≥ 0, got ${waitS}`);
  const holdUntil = performance.now() + waitS * 1000;
  const { holds } = settings;
  for (;;) {
    const started = performance.now();
    const askS = Math.min(settings.longPollS, holds.waitS, Math.ceil((holdUntil - started) / 1000));
    const headers: Record<string, string> = {};
    if (etag !== undefined) headers["If-None-Match"] = etag;
    if (etag !== undefined && askS > 0) headers.Prefer = `wait=${askS}`;
    let res: ApiResponse;
    try {
      res = await transport.send({
        method: "GET",
        path,
        headers,
        timeoutMs: askS > 0 ? askS * 1000 + LONG_POLL_GRACE_MS : settings.requestTimeoutMs,
        signal: options.signal,
      });
      retrier.succeeded();
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      const lastedMs = performance.now() - started;
      if (askS > 0 && HoldWindow.isCutAfter(lastedMs) && isIntermediaryCut(error)) {
        // An intermediary's timeout, not an outage: ask again at once, for less.
        options.onHoldCut?.(holds.cut(lastedMs, (error as Error).message));
        continue;
      }
      await retrier.afterFailure(error);
      continue;
    }
    const newEtag = res.headers.get("etag") ?? undefined;
    if (res.status !== 304) {
      const job = checkJob((res.json as { data?: unknown } | undefined)?.data, res, `GET ${path}`);
      if (job.id !== id) throw invalidResponse(res.status, res.headers, `GET ${path}`, `expected job ${id}, got ${JSON.stringify(job.id)}`);
      // A proxy that drops If-None-Match answers 200 with the same state: unchanged, not news.
      if (etag === undefined || newEtag === undefined || !sameEtag(newEtag, etag)) return { notModified: false, job, etag: newEtag };
    }
    const now = performance.now();
    if (now >= holdUntil) return { notModified: true, job: undefined, etag: newEtag ?? etag! };
    const hint = parseRetryAfterMs(res.headers.get("retry-after")) ?? MIN_POLL_INTERVAL_MS;
    const pace = Math.min(MAX_POLL_INTERVAL_MS, Math.max(MIN_POLL_INTERVAL_MS, hint));
    const early = pace - (now - started);
    if (early > 0) await abortableSleep(Math.min(early, holdUntil - now), options.signal);
    if (performance.now() >= holdUntil) return { notModified: true, job: undefined, etag: newEtag ?? etag! };
  }
}

/** One deadline and one signal for a wait: the caller's signal, or the timer at `timeout`. */
export interface WaitDeadline {
  readonly timeoutMs: number;
  /** `performance.now()` at which the wait times out (Infinity without a timeout). */
  readonly at: number;
  /** Aborted by the caller or by the deadline. */
  readonly signal: AbortSignal;
  /** True when the deadline (not the caller) ended the wait. */
  passed(): boolean;
  clear(): void;
}

export function startDeadline(timeout: number | string | undefined, callerSignal: AbortSignal | undefined): WaitDeadline {
  const timeoutMs = toTimeoutMs(timeout);
  const at = performance.now() + timeoutMs;
  const timer = new AbortController();
  const handle = Number.isFinite(timeoutMs) ? setTimeout(() => timer.abort(DEADLINE), timeoutMs) : undefined;
  const signal = callerSignal === undefined ? timer.signal : AbortSignal.any([callerSignal, timer.signal]);
  return {
    timeoutMs,
    at,
    signal,
    // The retrier may give up at the deadline a moment before the timer fires: time decides, not the timer.
    passed: () => (timer.signal.aborted || performance.now() >= at) && callerSignal?.aborted !== true,
    clear: () => clearTimeout(handle),
  };
}

export interface FollowContext {
  readonly signal: AbortSignal;
  readonly deadline: WaitDeadline;
  readonly retrier: Retrier;
  /** Each state the long-poll returns (the first, then every change). */
  readonly onState: (job: Job, etag: string) => void;
  readonly onHoldCut?: ((cut: HoldCut) => void) | undefined;
}

/**
 * Long-polls `id` until it is terminal: resolves with the succeeded job, throws
 * `JobFailedError` or whatever the requests threw (the deadline's abort among them).
 */
export async function followByLongPoll(transport: Transport, settings: LongPollSettings, id: string, ctx: FollowContext): Promise<Job> {
  let etag: string | undefined;
  for (;;) {
    const waitS =
      etag === undefined ? 0 : Math.max(1, Math.min(settings.longPollS, settings.holds.waitS, Math.ceil((ctx.deadline.at - performance.now()) / 1000)));
    const result = await pollJob(transport, settings, id, { etag, waitS, signal: ctx.signal, onHoldCut: ctx.onHoldCut }, ctx.retrier);
    if (result.notModified) continue;
    etag = result.etag;
    if (etag === undefined && result.job.status !== "succeeded" && result.job.status !== "failed") throw noEtag(id);
    ctx.onState(result.job, etag ?? "");
    if (result.job.status === "succeeded") return result.job;
    if (result.job.status === "failed") throw new JobFailedError(result.job);
  }
}

/**
 * Long-polls until the job is terminal. Resolves with the succeeded job; throws
 * `JobFailedError` (failed), `TimeoutError` (deadline, with the last state),
 * `UnreachableError` (the deadline passed while the API could not be reached, or it never
 * answered within the connect timeout), `NotFoundError`, `AuthError`, `ConfigError`
 * (a certificate that does not verify). Network errors, 429 and 5xx are retried until the deadline.
 */
export async function waitForJob(transport: Transport, settings: LongPollSettings, id: string, options: WaitForJobOptions = {}): Promise<Job> {
  const deadline = startDeadline(options.timeout, options.signal);
  const retrier = transport.retrier({
    retries: Infinity,
    deadline: deadline.at,
    signal: deadline.signal,
    onRetry: options.onRetry,
    what: `GET /v1/jobs/${id}`,
  });
  let last: Job | undefined;
  try {
    return await followByLongPoll(transport, settings, id, {
      signal: deadline.signal,
      deadline,
      retrier,
      onHoldCut: options.onHoldCut,
      onState: (job, etag) => {
        last = job;
        options.onProgress?.(job, etag);
      },
    });
  } catch (error) {
    if (!isJobFailedError(error) && deadline.passed()) throw deadlineError(transport.apiUrl, id, deadline.timeoutMs, last, retrier.failing);
    throw error;
  } finally {
    deadline.clear();
  }
}

/**
 * The error of a wait (or a call) whose deadline passed: timed out with the last state, or
 * unreachable when it was failing then.
 * @param what the job id waited for, or `METHOD /path` called
 */
export function deadlineError(
  apiUrl: string,
  what: string,
  timeoutMs: number,
  last: Job | undefined,
  failing: JobgateError | undefined,
  doing: "waiting for" | "calling" = "waiting for",
): JobgateError {
  if (failing !== undefined) {
    return new UnreachableError(
      `${apiUrl} was unreachable when the ${formatDuration(timeoutMs)} timeout passed ${doing} ${what}: ${failing.message}` +
        (last === undefined ? "" : `; last state: ${describeJob(last)}`),
      { cause: failing, reason: "gave_up" },
    );
  }
  const state = doing === "calling" ? "no answer yet" : `last state: ${last === undefined ? "none seen" : describeJob(last)}`;
  return new TimeoutError(`timed out after ${formatDuration(timeoutMs)} ${doing} ${what}; ${state}`, last);
}

export function noEtag(id: string): HttpError {
  return new HttpError(`GET /v1/jobs/${id}: the answer had no ETag, so it cannot be long-polled`, {
    status: 200,
    code: "invalid_response",
    requestId: undefined,
  });
}

export function toTimeoutMs(timeout: number | string | undefined): number {
  if (timeout === undefined) return Infinity;
  if (typeof timeout === "string") {
    try {
      return parseDuration(timeout, "timeout");
    } catch (error) {
      throw new ConfigError((error as Error).message, { cause: error });
    }
  }
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout <= 0) {
    throw new ConfigError(`timeout must be a positive number of ms or a duration such as "30m", got ${JSON.stringify(timeout)}`);
  }
  return timeout;
}
