/**
 * Follows jobs to their end for `jobs wait`, `jobs watch` and `call --wait`.
 *
 * - "poll": the ETag long-poll (`waitForJob`, `waitForJobs` for several): what CI and
 *   Terraform use;
 * - "stream": SSE with a long-poll held beside it (`watchJob`), which falls back to the
 *   long-poll alone when the stream is buffered — even after its first events — or cut.
 *
 * What the client hears on the way (retries, a hold a proxy cut, a fallback) goes to the
 * reporter; a cut hold is said once.
 */
import type { JobsClient } from "../../client/client.js";
import { formatDuration } from "../../client/duration.js";
import { isJobFailedError, isJobgateError, type JobgateError } from "../../client/errors.js";
import type { HoldCut } from "../../client/hold-window.js";
import type { JobWaitOutcome } from "../../client/wait-for-jobs.js";
import type { Job } from "../../api/index.js";
import type { Reporter } from "./reporter.js";

export interface FollowOptions {
  readonly mode: "poll" | "stream";
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly reporter: Reporter;
  readonly firstEventTimeoutMs?: number;
}

/** Says the first cut hold once: later cuts only shorten the window further. */
function holdCutNote(reporter: Reporter): (cut: HoldCut) => void {
  return (cut) => {
    if (!cut.first) return;
    reporter.note(
      `a held request was cut after ${formatDuration(Math.round(cut.lastedMs / 100) * 100)} by something on the way (${cut.how}) — a proxy's or load balancer's timeout; ` +
        `asking for ${cut.waitS}s holds from now on (set --poll-wait below that timeout to skip this)`,
    );
  };
}

/** Resolves with the succeeded job; throws JobFailedError, TimeoutError, … (see exit-codes.ts). */
export function followJob(client: JobsClient, id: string, options: FollowOptions): Promise<Job> {
  const { reporter } = options;
  const common = {
    timeout: options.timeoutMs,
    signal: options.signal,
    onProgress: (job: Job) => reporter.update(job),
    onRetry: (error: JobgateError, delayMs: number) => reporter.retrying(error, delayMs),
    onHoldCut: holdCutNote(reporter),
  };
  if (options.mode === "poll") return client.waitForJob(id, common);
  return client.watchJob(id, {
    ...common,
    ...(options.firstEventTimeoutMs !== undefined ? { firstEventTimeoutMs: options.firstEventTimeoutMs } : {}),
    onFallback: (why) => reporter.note(why),
  });
}

export interface FollowJobsOptions extends FollowOptions {
  /** End at the first job that finishes (`--any`), else when all have. */
  readonly any: boolean;
}

/** Several jobs at once: one outcome per id, in the order given (see client/wait-for-jobs.ts). */
export async function followJobs(client: JobsClient, ids: readonly string[], options: FollowJobsOptions): Promise<JobWaitOutcome[]> {
  const { reporter } = options;
  const onOutcome = (outcome: JobWaitOutcome): void => {
    if (outcome.error !== undefined && !isJobFailedError(outcome.error)) reporter.ended(outcome.id, shortReason(outcome.error));
  };
  if (options.mode === "poll") {
    return client.waitForJobs(ids, {
      mode: options.any ? "any" : "all",
      timeout: options.timeoutMs,
      signal: options.signal,
      onProgress: (job) => reporter.update(job),
      onRetry: (error, delayMs) => reporter.retrying(error, delayMs),
      onHoldCut: holdCutNote(reporter),
      onOutcome,
    });
  }
  // watch: one stream (with its long-poll) per job, under one signal.
  const firstDone = new AbortController();
  const signal = AbortSignal.any([options.signal, firstDone.signal]);
  const outcomes: (JobWaitOutcome | undefined)[] = ids.map(() => undefined);
  const lastSeen = new Map<string, Job>();
  const cut = holdCutNote(reporter);
  await Promise.all(
    ids.map(async (id, index) => {
      let outcome: JobWaitOutcome;
      try {
        const job = await client.watchJob(id, {
          timeout: options.timeoutMs,
          signal,
          onProgress: (state) => {
            lastSeen.set(id, state);
            reporter.update(state);
          },
          onRetry: (error, delayMs) => reporter.retrying(error, delayMs),
          onHoldCut: cut,
          onFallback: (why) => reporter.note(`${id}: ${why}`),
          ...(options.firstEventTimeoutMs !== undefined ? { firstEventTimeoutMs: options.firstEventTimeoutMs } : {}),
        });
        outcome = { id, done: true, job, error: undefined };
      } catch (error) {
        if (options.signal.aborted) throw error;
        if (firstDone.signal.aborted) return;
        if (!isJobgateError(error)) throw error;
        outcome = { id, done: true, job: isJobFailedError(error) ? error.job : lastSeen.get(id), error };
      }
      if (firstDone.signal.aborted) return;
      outcomes[index] = outcome;
      onOutcome(outcome);
      if (options.any) firstDone.abort();
    }),
  ).finally(() => firstDone.abort());
  return outcomes.map((outcome, index) => outcome ?? { id: ids[index]!, done: false, job: lastSeen.get(ids[index]!), error: undefined });
}

/** What a job's line says when its wait ended without success. */
function shortReason(error: JobgateError): string {
  switch (error.name) {
    case "NotFoundError":
      return "not found";
    case "AuthError":
      return "not allowed";
    case "TimeoutError":
      return "timed out";
    case "UnreachableError":
      return "unreachable";
    default:
      return "error";
  }
}
