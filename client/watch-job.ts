/**
 * Following a job live (spec §9, `jobgate jobs watch`): its SSE stream, with an ETag
 * long-poll held beside it that proves whether the stream is current. A proxy may buffer
 * a stream after letting its first events through (nginx with small buffers); then the
 * long-poll sees a change the stream does not, and if the stream has not caught up
 * within STREAM_LAG_MS the stream is dropped and the long-poll alone follows the job.
 * Every state is shown as soon as either side has it, so a change shows within
 * milliseconds even while the stream is being found out. The check costs one held
 * request per change, not a poll loop.
 *
 * Also falls back when the stream sends no event within `firstEventTimeoutMs`, ends, or
 * is cut. Resolves and throws exactly as `waitForJob`.
 */
import { DEFAULT_FIRST_EVENT_TIMEOUT_MS, STREAM_LAG_MS } from "../api/defaults.js";
import { versionOfEtag } from "../api/etag.js";
import type { Job } from "../api/job.js";
import { formatDuration } from "./duration.js";
import { JobFailedError, isJobFailedError, isJobgateError } from "./errors.js";
import { streamJob } from "./job-stream.js";
import { deadlineError, followByLongPoll, startDeadline, type LongPollSettings, type WaitForJobOptions } from "./long-poll.js";
import { isRetryable } from "./retrier.js";
import type { Transport } from "./transport.js";

export interface WatchJobOptions extends Omit<WaitForJobOptions, "onProgress"> {
  /** Called with the first state and every change after it (from the stream or the long-poll, so without an ETag). */
  readonly onProgress?: (job: Job) => void;
  /** Fall back to the long-poll when the stream has sent no event this long, in ms. @default 5_000 */
  readonly firstEventTimeoutMs?: number;
  /** How far the stream may lag behind the long-poll before it counts as buffered, in ms. @default 1_000 */
  readonly streamLagMs?: number;
  /** A fallback from the stream to the long-poll, said once, in words (for status lines). */
  readonly onFallback?: (why: string) => void;
}

export async function watchJob(transport: Transport, settings: LongPollSettings, id: string, options: WatchJobOptions = {}): Promise<Job> {
  const deadline = startDeadline(options.timeout, options.signal);
  const finished = new AbortController();
  const signal = AbortSignal.any([deadline.signal, finished.signal]);
  const retrier = transport.retrier({ retries: Infinity, deadline: deadline.at, signal, onRetry: options.onRetry, what: `GET /v1/jobs/${id}` });
  const lagMs = options.streamLagMs ?? STREAM_LAG_MS;
  let shown = 0;
  let last: Job | undefined;
  let streamed = 0;
  let streaming = true;
  const lagTimers = new Set<ReturnType<typeof setTimeout>>();
  const stopStream = new AbortController();

  let settle!: { resolve: (job: Job) => void; reject: (error: unknown) => void };
  const outcome = new Promise<Job>((resolve, reject) => (settle = { resolve, reject }));

  const show = (job: Job, version: number): void => {
    if (version <= shown) return;
    shown = version;
    last = job;
    options.onProgress?.(job);
    if (job.status === "succeeded") settle.resolve(job);
    else if (job.status === "failed") settle.reject(new JobFailedError(job));
  };
  const fallBack = (why: string | undefined): void => {
    if (!streaming) return;
    streaming = false;
    stopStream.abort();
    if (why !== undefined && !signal.aborted) options.onFallback?.(`${why}; falling back to long-poll`);
  };

  const stream = streamJob(transport, settings.requestTimeoutMs, id, { signal: AbortSignal.any([signal, stopStream.signal]), reconnect: false });
  const firstEventMs = options.firstEventTimeoutMs ?? DEFAULT_FIRST_EVENT_TIMEOUT_MS;
  const firstEvent = setTimeout(() => {
    if (streamed === 0) fallBack(`no event on the stream within ${formatDuration(firstEventMs)} (a buffering proxy?)`);
  }, firstEventMs);
  const streaming$ = (async () => {
    try {
      for await (const job of stream) {
        const version = Number(stream.lastEventId);
        if (!Number.isSafeInteger(version) || version < 1) continue;
        streamed = Math.max(streamed, version);
        show(job, version);
      }
      if (!signal.aborted) fallBack("the stream ended before the job finished");
    } catch (error) {
      if (signal.aborted || stopStream.signal.aborted) return;
      // An answer that is final (404, 401, a bad certificate) reaches the long-poll too, which reports it.
      if (isJobgateError(error) && !isRetryable(error)) return fallBack(undefined);
      fallBack(`the stream was cut (${(error as Error).message})`);
    } finally {
      clearTimeout(firstEvent);
    }
  })();

  const polling = followByLongPoll(transport, settings, id, {
    signal,
    deadline,
    retrier,
    onHoldCut: options.onHoldCut,
    onState: (job, etag) => {
      const version = versionOfEtag(etag);
      if (version === undefined) {
        // Not this API's ETags: nothing to compare the stream with; the long-poll leads.
        fallBack(undefined);
        show(job, shown + 1);
        return;
      }
      if (streaming && version > streamed) {
        const timer = setTimeout(() => {
          lagTimers.delete(timer);
          if (streaming && streamed < version) fallBack(`the stream is over ${formatDuration(lagMs)} behind the long-poll (a proxy buffering it?)`);
        }, lagMs);
        lagTimers.add(timer);
      }
      show(job, version);
    },
  });
  polling.then(settle.resolve, settle.reject);

  try {
    return await outcome;
  } catch (error) {
    if (!isJobFailedError(error) && deadline.passed()) throw deadlineError(transport.apiUrl, id, deadline.timeoutMs, last, retrier.failing);
    throw error;
  } finally {
    finished.abort();
    for (const timer of lagTimers) clearTimeout(timer);
    clearTimeout(firstEvent);
    deadline.clear();
    await streaming$;
    await polling.catch(() => undefined);
  }
}
