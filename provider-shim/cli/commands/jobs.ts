/**
 * `jobgate jobs get|list|wait|watch` — read and wait on jobs (spec §4, §9).
 *
 * `wait` and `watch` exit with spec §9's codes (exit-codes.ts): 0 succeeded, 1 failed,
 * 2 usage, 3 timeout, 4 auth, 5 not found, 6 unreachable. They take the job ids from
 * $JOBGATE_JOB_IDS or $JOBGATE_JOB_ID when no argument names one, so provisioners pass
 * data through the environment rather than by building command strings. With several
 * jobs they wait on all at once ("Several jobs"): the exit code is the first job's, in
 * the order given, that did not succeed; `--any` ends at the first to finish.
 */
import type { Command } from "commander";
import { DEFAULT_FIRST_EVENT_TIMEOUT_MS, DEFAULT_WAIT_TIMEOUT } from "../../../api/defaults.js";
import { ENV } from "../../../api/env.js";
import { RESOURCE_TYPE_PATTERN } from "../../../api/identifiers.js";
import { isJobStatus } from "../../../api/job.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../../../api/limits.js";
import { JobsClient } from "../../../client/client.js";
import { ConfigError, isJobFailedError } from "../../../client/errors.js";
import { checkJobIds } from "../../../client/job-ids.js";
import type { JobWaitOutcome } from "../../../client/wait-for-jobs.js";
import { JOB_STATUSES, type Job, type JobStatus } from "../../../api/index.js";
import { addConnectionOptions, addPollWaitOption, clientOptions, type ConnectionFlags } from "../config.js";
import { EXIT, errorLine, exitCodeOf, type ExitCode } from "../exit-codes.js";
import { followJob, followJobs } from "../follow-job.js";
import { timeoutMs } from "../flags.js";
import { CONNECTION_ENV_HELP, READ_EXIT_HELP, WAIT_ENV_HELP, WAIT_EXIT_HELP } from "../help.js";
import { Reporter, reporterMode } from "../reporter.js";
import { runAction } from "../run-action.js";
import { formatJob, formatTable } from "../table.js";

interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
}

interface WaitFlags extends ConnectionFlags, OutputFlags {
  timeout: string;
  firstEventTimeout?: string;
  any?: boolean;
}

interface ListFlags extends ConnectionFlags, OutputFlags {
  status?: string;
  resourceType?: string;
  limit?: string;
  cursor?: string;
  all?: boolean;
}

export function registerJobs(program: Command): void {
  const jobs = program.command("jobs").summary("get, list, wait on and watch jobs").description("Read and wait on jobs of the jobs API.");

  addConnectionOptions(
    jobs
      .command("get")
      .summary("show one job")
      .description("Show one job's current state, once (no waiting).")
      .argument("<id>", "job id, e.g. job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK")
      .option("--json", "print the job object as JSON on stdout"),
  )
    .addHelpText(
      "after",
      `\nExamples:\n  $ jobgate jobs get job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK\n  $ jobgate jobs get job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK --json | jq .status\n${CONNECTION_ENV_HELP}\n${READ_EXIT_HELP}\n`,
    )
    .action(
      runAction(async (_signal, id: string, flags: ConnectionFlags & OutputFlags) => {
        const client = new JobsClient(clientOptions(flags));
        const { job } = await client.getJob(id, { signal: _signal });
        if (job === undefined) throw new ConfigError(`job ${id}: no state in the answer`);
        process.stdout.write(flags.json === true ? `${JSON.stringify(job)}\n` : formatJob(job));
      }),
    );

  addConnectionOptions(
    jobs
      .command("list")
      .summary("list jobs, newest first")
      .description("List the jobs this token can see, newest first: one page, or every page with --all.")
      .option("--status <status>", `only jobs in this status (${JOB_STATUSES.join(", ")})`)
      .option("--resource-type <type>", "only jobs on this kind of resource (deployment, build, environment, site)")
      .option("--limit <n>", `jobs per page, 1–${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE})`)
      .option("--cursor <cursor>", "start at this page (a next_cursor of an earlier list)")
      .option("--all", "follow next_cursor through every page")
      .option("--json", 'print { "data": [...], "next_cursor": ... } as JSON on stdout'),
  )
    .addHelpText(
      "after",
      `\nExamples:\n  $ jobgate jobs list --status running\n  $ jobgate jobs list --resource-type deployment --all --json | jq -r '.data[].id'\n${CONNECTION_ENV_HELP}\n${READ_EXIT_HELP}\n`,
    )
    .action(
      runAction(async (signal, flags: ListFlags) => {
        const filters = listFilters(flags);
        const client = new JobsClient(clientOptions(flags));
        let jobsOut: Job[];
        let nextCursor: string | null = null;
        if (flags.all === true) {
          jobsOut = [];
          for await (const job of client.listJobs({ ...filters, signal })) jobsOut.push(job);
        } else {
          const page = await client.listJobsPage({ ...filters, signal });
          jobsOut = page.jobs;
          nextCursor = page.nextCursor;
        }
        if (flags.json === true) process.stdout.write(`${JSON.stringify({ data: jobsOut, next_cursor: nextCursor })}\n`);
        else {
          process.stdout.write(formatTable(jobsOut));
          if (nextCursor !== null) process.stderr.write(`jobgate: more jobs: --all, or --cursor ${nextCursor}\n`);
        }
      }),
    );

  addWaitOptions(
    jobs
      .command("wait")
      .summary("long-poll jobs until they finish; the exit code says how they ended")
      .description(
        "Wait until the job succeeds or fails, by ETag long-poll: it works behind proxies that break or buffer SSE. " +
          "Network errors, 429 and 5xx are retried with backoff until --timeout, so a server restart does not end the wait; " +
          "a held request that a proxy cuts (its read timeout) is asked again at once, for a shorter hold.\n\n" +
          "Several ids wait on all of them at once, one long-poll each, until every one has finished (or, with --any, until the first has). " +
          "On a terminal each job has its own progress line; elsewhere each state change is one line starting with the job id.",
      )
      .argument("[ids...]", `job ids (default $${ENV.jobIds}, else $${ENV.jobId})`)
      .option("--any", "with several jobs: return when the first one finishes, with its exit code"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  $ jobgate jobs wait job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK --timeout 30m\n" +
        `  $ ${ENV.jobId}=job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK jobgate jobs wait --quiet\n` +
        "  $ jobgate jobs wait $BUILD_API $BUILD_WEB $BUILD_WORKER    # three builds, one exit code\n" +
        "  $ jobgate jobs wait job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK --json | jq .result\n" +
        `${WAIT_ENV_HELP}\n${WAIT_EXIT_HELP}\n`,
    )
    .action(runAction(async (signal, ids: string[], flags: WaitFlags) => waitOn("poll", signal, ids, flags)));

  addWaitOptions(
    jobs
      .command("watch")
      .summary("follow jobs live over SSE, with a progress bar")
      .description(
        "Follow the job over Server-Sent Events until it finishes, with a progress bar on a terminal. " +
          "A long-poll held beside the stream proves that the stream is current: when it sees a change the stream has not shown within a second " +
          "(a proxy buffering the stream after its first events), or the stream is silent for --first-event-timeout, ends or is cut, " +
          "the long-poll alone follows the job. Every change shows as soon as either has it. Several ids are watched at once, as with wait.",
      )
      .argument("[ids...]", `job ids (default $${ENV.jobIds}, else $${ENV.jobId})`)
      .option("--any", "with several jobs: return when the first one finishes, with its exit code")
      .option(
        "--first-event-timeout <duration>",
        "fall back to long-poll when the stream sends no event this long",
        `${DEFAULT_FIRST_EVENT_TIMEOUT_MS / 1000}s`,
      ),
  )
    .addHelpText(
      "after",
      `\nExamples:\n  $ jobgate jobs watch job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK\n  $ jobgate jobs watch --timeout 1h30m     # ids from $${ENV.jobIds} or $${ENV.jobId}\n${WAIT_ENV_HELP}\n${WAIT_EXIT_HELP}\n`,
    )
    .action(runAction(async (signal, ids: string[], flags: WaitFlags) => waitOn("stream", signal, ids, flags)));
}

export function addWaitOptions(command: Command): Command {
  return addPollWaitOption(
    addConnectionOptions(
      command
        .option("--timeout <duration>", "give up after this long (Go style: 90s, 30m, 1h30m); exit 3", DEFAULT_WAIT_TIMEOUT)
        .option("--json", "print the final job object as JSON on stdout (with several jobs, an array of them in the order given)")
        .option("--quiet", "print nothing but errors"),
    ),
  );
}

/** The ids to wait on: the arguments, else $JOBGATE_JOB_IDS (comma- or space-separated), else $JOBGATE_JOB_ID. */
export function jobIdsFrom(args: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  let ids: string[];
  let source: string;
  if (args.length > 0) {
    ids = [...args];
    source = "the arguments";
  } else if ((env[ENV.jobIds] ?? "").trim() !== "") {
    ids = env[ENV.jobIds]!.split(/[\s,]+/).filter((id) => id !== "");
    source = ENV.jobIds;
  } else if ((env[ENV.jobId] ?? "").trim() !== "") {
    ids = [env[ENV.jobId]!.trim()];
    source = ENV.jobId;
  } else {
    throw new ConfigError(`a job id is required: pass it as an argument, or set ${ENV.jobIds} (several, comma- or space-separated) or ${ENV.jobId}`);
  }
  try {
    return checkJobIds(ids);
  } catch (error) {
    throw new ConfigError(`${source}: ${(error as Error).message}`, { cause: error });
  }
}

async function waitOn(mode: "poll" | "stream", signal: AbortSignal, args: string[], flags: WaitFlags): Promise<ExitCode> {
  const ids = jobIdsFrom(args);
  const limitMs = timeoutMs(flags.timeout);
  const firstEventTimeoutMs = flags.firstEventTimeout === undefined ? undefined : timeoutMs(flags.firstEventTimeout, "--first-event-timeout");
  const client = new JobsClient(clientOptions(flags));
  const follow = { mode, timeoutMs: limitMs, signal, ...(firstEventTimeoutMs !== undefined ? { firstEventTimeoutMs } : {}) };
  if (ids.length === 1) {
    if (flags.any === true) throw new ConfigError("--any needs several job ids");
    const reporter = new Reporter(reporterMode(flags));
    return finishWait(flags, reporter, followJob(client, ids[0]!, { ...follow, reporter }));
  }
  const reporter = new Reporter(reporterMode(flags), process.stderr, ids);
  let outcomes: JobWaitOutcome[];
  try {
    outcomes = await followJobs(client, ids, { ...follow, reporter, any: flags.any === true });
  } finally {
    reporter.finish();
  }
  return finishWaits(flags, outcomes);
}

/**
 * Several jobs' outcomes: each one that did not succeed has its line on stderr; `--json`
 * prints the jobs in the order given; the exit code is the first job's, in that order,
 * that did not succeed (with --any, the one that finished).
 */
export function finishWaits(flags: OutputFlags, outcomes: readonly JobWaitOutcome[]): ExitCode {
  for (const outcome of outcomes) if (outcome.error !== undefined) process.stderr.write(`${errorLine(outcome.error)}\n`);
  if (flags.json === true) process.stdout.write(`${JSON.stringify(outcomes.map((outcome) => outcome.job ?? null))}\n`);
  const first = outcomes.find((outcome) => outcome.done && outcome.error !== undefined);
  return first === undefined ? EXIT.succeeded : exitCodeOf(first.error);
}

/** Prints the outcome of a wait (the final job with --json) and passes errors on. */
export async function finishWait(flags: OutputFlags, reporter: Reporter, waiting: Promise<Job>): Promise<ExitCode> {
  try {
    const job = await waiting;
    reporter.finish(); // the status line ends before anything else reaches the terminal
    if (flags.json === true) process.stdout.write(`${JSON.stringify(job)}\n`);
    return EXIT.succeeded;
  } catch (error) {
    reporter.finish();
    if (isJobFailedError(error) && flags.json === true) process.stdout.write(`${JSON.stringify(error.job)}\n`);
    throw error;
  } finally {
    reporter.finish();
  }
}

function listFilters(flags: ListFlags): { status?: JobStatus; resourceType?: string; limit?: number; cursor?: string } {
  if (flags.status !== undefined && !isJobStatus(flags.status)) {
    throw new ConfigError(`--status must be one of ${JOB_STATUSES.join(", ")}, got ${JSON.stringify(flags.status)}`);
  }
  if (flags.resourceType !== undefined && !RESOURCE_TYPE_PATTERN.test(flags.resourceType)) {
    throw new ConfigError(`--resource-type must be a lowercase identifier such as deployment or build, got ${JSON.stringify(flags.resourceType)}`);
  }
  let limit: number | undefined;
  if (flags.limit !== undefined) {
    limit = /^\d{1,3}$/.test(flags.limit) ? Number(flags.limit) : NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE_SIZE))
      throw new ConfigError(`--limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${JSON.stringify(flags.limit)}`);
  }
  return {
    ...(flags.status !== undefined ? { status: flags.status } : {}),
    ...(flags.resourceType !== undefined ? { resourceType: flags.resourceType } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
  };
}
