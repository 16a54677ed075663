/**
 * Follows a job to its end for `jobs wait`, `jobs watch` and `call --wait`.
 *
 * - "poll": the ETag long-poll (`waitForJob`): what CI and Terraform use;
 * - "stream": SSE, falling back to the long-poll when no first event arrives within
 *   FIRST_EVENT_TIMEOUT_MS (a buffering proxy) or the stream is cut. The deadline spans
 *   both.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { JobsClient } from "../../client/client.js";
import { describeJob } from "../../client/job-checks.js";
import { formatDuration } from "../../client/duration.js";
import { JobFailedError, TimeoutError, isAuthError, isConfigError, isJobFailedError, isNotFoundError, isTimeoutError } from "../../client/errors.js";
import type { Job } from "../../api/index.js";
import type { Reporter } from "./reporter.js";

/** How long `watch` waits for the first event before assuming a buffering proxy. */
export const FIRST_EVENT_TIMEOUT_MS = 5_000;

export interface FollowOptions {
  readonly mode: "poll" | "stream";
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly reporter: Reporter;
  readonly firstEventTimeoutMs?: number;
}

/** Resolves with the succeeded job; throws JobFailedError, TimeoutError, … (see exit-codes.ts). */
export async function followJob(client: JobsClient, id: string, options: FollowOptions): Promise<Job> {
  const { reporter } = options;
  const started = performance.now();
  const poll = (lastSeen: Job | undefined): Promise<Job> =>
    client
      .waitForJob(id, {
        timeout: Math.max(1, options.timeoutMs - (performance.now() - started)),
        signal: options.signal,
        onProgress: (job) => reporter.update(job),
        onRetry: (error, delayMs) => reporter.retrying(error, delayMs),
      })
      .catch((error: unknown) => {
        // The stream saw a state the long-poll never did: a timeout reports the latest.
        if (isTimeoutError(error) && error.lastJob === undefined && lastSeen !== undefined) {
          throw new TimeoutError(`timed out after ${formatDuration(options.timeoutMs)} waiting for ${id}; last state: ${describeJob(lastSeen)}`, lastSeen);
        }
        throw error;
      });
  if (options.mode === "poll") return poll(undefined);

  const streamAbort = new AbortController();
  const deadline = setTimeout(() => streamAbort.abort("deadline"), options.timeoutMs);
  const stream = client.streamJob(id, { signal: AbortSignal.any([options.signal, streamAbort.signal]), reconnect: false });
  const events = stream[Symbol.asyncIterator]();
  let last: Job | undefined;
  let fallback: string;
  const timer = new AbortController();
  try {
    const firstEventMs = options.firstEventTimeoutMs ?? FIRST_EVENT_TIMEOUT_MS;
    const next = events.next();
    const first = await Promise.race([next, delay(firstEventMs, "silent" as const, { signal: timer.signal }).catch(() => "aborted" as const)]);
    timer.abort();
    if (first === "silent" || first === "aborted") {
      next.catch(() => undefined);
      fallback = `no event on the stream within ${formatDuration(firstEventMs)} (a buffering proxy?); falling back to long-poll`;
    } else {
      let result: IteratorResult<Job> = first;
      for (;;) {
        if (result.done === true) break;
        last = result.value;
        reporter.update(last);
        if (last.status === "succeeded") return last;
        if (last.status === "failed") throw new JobFailedError(last);
        result = await events.next();
      }
      fallback = "the stream ended before the job finished; falling back to long-poll";
    }
  } catch (error) {
    if (options.signal.aborted) throw error;
    if (streamAbort.signal.aborted) {
      throw new TimeoutError(`timed out after ${formatDuration(options.timeoutMs)} waiting for ${id}; last state: ${last === undefined ? "none seen" : describeJob(last)}`, last);
    }
    if (isJobFailedError(error) || isAuthError(error) || isNotFoundError(error) || isConfigError(error)) throw error;
    fallback = `the stream was cut (${(error as Error).message}); falling back to long-poll`;
  } finally {
    timer.abort();
    clearTimeout(deadline);
    streamAbort.abort();
  }
  reporter.note(fallback);
  return poll(last);
}
