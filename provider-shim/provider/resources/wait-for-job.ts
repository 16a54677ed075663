/**
 * The create-time wait both resources share: the client's ETag long-poll
 * (`JobsClient.waitForJob`) until the job is terminal, the deadline passes or Terraform
 * stops the provider — each ending in the job's last known state and, unless it
 * succeeded, one error diagnostic that says what happened and what to do.
 */
import {
  describeJob,
  formatDuration,
  isAuthError,
  isJobFailedError,
  isJobgateError,
  isNotFoundError,
  isTimeoutError,
  isUnreachableError,
  type Job,
  type JobsClient,
} from "../../../client/index.js";
import { errorDiag, type Diagnostic } from "../diagnostics.js";
import type { Logger } from "../logging.js";

export interface WaitOutcome {
  /** The last state seen (the terminal one when the wait got there). */
  readonly job: Job | undefined;
  readonly etag: string | undefined;
  readonly diagnostics: Diagnostic[];
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Aborted when Terraform stops the provider. */
  readonly stopSignal: AbortSignal;
  readonly logger: Logger;
  /** The resource, for messages: `jobgate_operation`. */
  readonly typeName: string;
  /** A state already seen (the operation's 202 answer). */
  readonly first?: Job;
}

export async function waitForTerminal(client: JobsClient, jobId: string, options: WaitOptions): Promise<WaitOutcome> {
  const { logger, stopSignal } = options;
  let last = options.first;
  // The ETag of `last`, kept in private state whatever the outcome: a refresh of a cut wait asks with it.
  let etag: string | undefined;
  try {
    const done = await client.waitForJob(jobId, {
      timeout: options.timeoutMs,
      signal: stopSignal,
      onProgress: (job, tag) => {
        last = job;
        etag = tag === "" ? undefined : tag;
        logger.info(`${jobId} ${describeJob(job)}`, { job_id: jobId, status: job.status });
      },
      onRetry: (error, delayMs) => logger.warn(`${jobId}: ${error.message}; retrying in ${formatDuration(delayMs)}`, { job_id: jobId }),
    });
    return { job: done, etag, diagnostics: [] };
  } catch (error) {
    if (stopSignal.aborted) {
      return {
        job: last,
        etag,
        diagnostics: [
          errorDiag(
            `Interrupted while waiting for job ${jobId}`,
            `Terraform was interrupted, so ${options.typeName} stopped waiting${last === undefined ? "" : ` (last state: ${describeJob(last)})`}. ` +
              "The job itself goes on in the jobs API. The resource is tainted: the next apply waits again" +
              (options.typeName === "jobgate_operation" ? ", re-attaching to the same job through its idempotency key." : "."),
          ),
        ],
      };
    }
    if (isJobFailedError(error)) {
      return {
        job: error.job,
        etag,
        diagnostics: [
          errorDiag(
            `Job ${jobId} failed: ${error.jobError.code}: ${error.jobError.message}`,
            `The job ended "failed" with ${error.jobError.code}: ${error.jobError.message}\n\n` +
              `The resource is tainted. ${options.typeName === "jobgate_operation" ? "To run the operation again, change its triggers (or idempotency_key): the same key re-attaches to the same failed job." : "Point job_id at a job that succeeds to recover."}`,
          ),
        ],
      };
    }
    if (isTimeoutError(error)) {
      return {
        job: error.lastJob ?? last,
        etag,
        diagnostics: [
          errorDiag(
            `Timed out waiting for job ${jobId}`,
            `${error.message}.\n\nRaise timeouts { create = "…" } if the job needs longer. The job goes on in the jobs API; the resource is tainted, so the next apply waits again.`,
          ),
        ],
      };
    }
    return { job: last, etag, diagnostics: [apiErrorDiag(error, `waiting for job ${jobId}`)] };
  }
}

/** A client error as a diagnostic: what failed, and what to check. */
export function apiErrorDiag(error: unknown, doing: string): Diagnostic {
  const message = (error as Error)?.message ?? String(error);
  if (isAuthError(error)) {
    return errorDiag(`The jobs API refused the token while ${doing}`, `${message}\n\nCheck the provider's token (JOBGATE_TOKEN) and its scopes.`);
  }
  if (isNotFoundError(error))
    return errorDiag(`Not found while ${doing}`, `${message}\n\nA job another account owns, or outside the token's team or site, reads as not found.`);
  if (isUnreachableError(error))
    return errorDiag(`The jobs API is unreachable while ${doing}`, `${message}\n\nCheck api_url (JOBGATE_API_URL) and the network.`);
  if (isJobgateError(error)) return errorDiag(`Error while ${doing}`, message);
  return errorDiag(`Unexpected error while ${doing}`, message);
}
