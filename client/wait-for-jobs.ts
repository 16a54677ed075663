/**
 * Waiting on several jobs at once (spec §9 "Several jobs"): one long-poll per job, all
 * under one deadline and one abort signal, sharing one retrier — an outage costs the
 * batch one backoff schedule, not one per job — and the client's connection pool.
 *
 * - `mode: "all"` (the default) waits until every job has an outcome, even after one
 *   failed, so nothing is left running;
 * - `mode: "any"` ends at the first outcome, leaving the others unfinished.
 *
 * It resolves with one outcome per id, in the order given, and throws only what ends the
 * whole wait: bad ids (`ConfigError`) and the caller's abort (its `signal.reason`). A job
 * that failed, was not found, timed out or could not be reached is an outcome, with the
 * error `waitForJob` would have thrown for it.
 */
import type { Job } from "../api/job.js";
import { ConfigError, isJobFailedError, isJobgateError, type JobgateError } from "./errors.js";
import { checkJobIds } from "./job-ids.js";
import type { HoldCut } from "./hold-window.js";
import { deadlineError, followByLongPoll, startDeadline, type LongPollSettings } from "./long-poll.js";
import type { Transport } from "./transport.js";

export type WaitMode = "all" | "any";

export interface WaitForJobsOptions {
  /** `"all"`: until every job has an outcome; `"any"`: until the first has. @default "all" */
  readonly mode?: WaitMode;
  /** Give up after this long (all jobs share it): ms, or a Go-style duration (`"30m"`). @default no limit */
  readonly timeout?: number | string;
  readonly signal?: AbortSignal;
  /** Called with each job's first state and every change after it. */
  readonly onProgress?: (job: Job) => void;
  /** Called when a job's wait has its outcome (before the others end, in `"all"` mode). */
  readonly onOutcome?: (outcome: JobWaitOutcome, index: number) => void;
  /** Called when a request fails and will be retried (once per backoff of the shared schedule). */
  readonly onRetry?: (error: JobgateError, delayMs: number) => void;
  /** A hold was cut by an intermediary and asked again, shorter (not a failure). */
  readonly onHoldCut?: (cut: HoldCut) => void;
}

export interface JobWaitOutcome {
  readonly id: string;
  /** True when the wait on this job ended (terminal, or an error); false for the ones `"any"` left. */
  readonly done: boolean;
  /** The last state seen, if any. */
  readonly job: Job | undefined;
  /** Why it did not succeed: `JobFailedError`, `TimeoutError`, `NotFoundError`, …; undefined when it succeeded or is unfinished. */
  readonly error: JobgateError | undefined;
}

const ANY_DONE = Symbol("another job finished first");

export async function waitForJobs(
  transport: Transport,
  settings: LongPollSettings,
  ids: readonly string[],
  options: WaitForJobsOptions = {},
): Promise<JobWaitOutcome[]> {
  const list = checkJobIds(ids);
  const mode = options.mode ?? "all";
  if (mode !== "all" && mode !== "any") throw new ConfigError(`mode must be "all" or "any", got ${JSON.stringify(mode)}`);
  const deadline = startDeadline(options.timeout, options.signal);
  const firstDone = new AbortController();
  const signal = AbortSignal.any([deadline.signal, firstDone.signal]);
  const retrier = transport.retrier({ retries: Infinity, deadline: deadline.at, signal, onRetry: options.onRetry, what: `GET /v1/jobs/{${list.length} jobs}` });
  const outcomes: (JobWaitOutcome | undefined)[] = list.map(() => undefined);
  const lastSeen: (Job | undefined)[] = list.map(() => undefined);

  const settle = (index: number, job: Job | undefined, error: JobgateError | undefined): void => {
    const outcome: JobWaitOutcome = { id: list[index]!, done: true, job, error };
    outcomes[index] = outcome;
    options.onOutcome?.(outcome, index);
    if (mode === "any") firstDone.abort(ANY_DONE);
  };

  try {
    await Promise.all(
      list.map(async (id, index) => {
        try {
          const job = await followByLongPoll(transport, settings, id, {
            signal,
            deadline,
            retrier,
            onHoldCut: options.onHoldCut,
            onState: (state) => {
              lastSeen[index] = state;
              options.onProgress?.(state);
            },
          });
          if (!firstDone.signal.aborted) settle(index, job, undefined);
        } catch (error) {
          if (options.signal?.aborted) throw error;
          if (firstDone.signal.aborted && !isJobFailedError(error)) return; // "any": another job ended the wait
          if (isJobFailedError(error)) {
            if (!firstDone.signal.aborted) settle(index, error.job, error);
            return;
          }
          if (deadline.passed())
            return settle(index, lastSeen[index], deadlineError(transport.apiUrl, id, deadline.timeoutMs, lastSeen[index], retrier.failing));
          if (isJobgateError(error)) return settle(index, lastSeen[index], error);
          throw error;
        }
      }),
    );
  } finally {
    firstDone.abort(ANY_DONE); // nothing of this wait outlives it
    deadline.clear();
  }
  return outcomes.map((outcome, index) => outcome ?? { id: list[index]!, done: false, job: lastSeen[index], error: undefined });
}
