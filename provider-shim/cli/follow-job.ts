/**
 * Follows a job to its end for `jobs wait`, `jobs watch` and `call --wait`.
 *
 * - "poll": the ETag long-poll (`waitForJob`): what CI and Terraform use;
 * - "stream": SSE with a long-poll held beside it (`watchJob`), which falls back to the
 *   long-poll alone when the stream is buffered — even after its first events — or cut.
 *
 * What the client hears on the way (retries, a hold a proxy cut, a fallback) goes to the
 * reporter; a cut hold is said once.
 */
import type { JobsClient } from "../../client/client.js";
import { formatDuration } from "../../client/duration.js";
import type { JobgateError } from "../../client/errors.js";
import type { HoldCut } from "../../client/hold-window.js";
import type { Job } from "../../api/index.js";
import type { Reporter } from "./reporter.js";

export { DEFAULT_FIRST_EVENT_TIMEOUT_MS as FIRST_EVENT_TIMEOUT_MS } from "../../client/watch-job.js";

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
