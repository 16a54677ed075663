/**
 * `jobgate call METHOD PATH` — invoke an operation that answers `202 Accepted` with a job
 * (spec §6, §9), and with --wait follow the job to its end (exit codes as `jobs wait`).
 *
 * Every input can come from the environment instead of argv, so provisioners pass data
 * and never build command strings: $JOBGATE_CALL_METHOD, $JOBGATE_CALL_PATH,
 * $JOBGATE_CALL_BODY, $JOBGATE_IDEMPOTENCY_KEY.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { ENV } from "../../../api/env.js";
import { JobsClient } from "../../../client/client.js";
import { ConfigError } from "../../../client/errors.js";
import { clientOptions, type ConnectionFlags } from "../config.js";
import { EXIT } from "../exit-codes.js";
import { fromArgOrEnv, timeoutMs } from "../flags.js";
import { CONNECTION_ENV_HELP, WAIT_EXIT_HELP } from "../help.js";
import { followJob } from "../follow-job.js";
import { Reporter, reporterMode } from "../reporter.js";
import { runAction } from "../run-action.js";
import { addWaitOptions, finishWait } from "./jobs.js";

interface CallFlags extends ConnectionFlags {
  data?: string;
  idempotencyKey?: string;
  wait?: boolean;
  timeout: string;
  json?: boolean;
  quiet?: boolean;
}

export function registerCall(program: Command): void {
  addWaitOptions(
    program
      .command("call")
      .summary("invoke an operation that answers 202 with a job, and optionally wait on it")
      .description(
        "Invoke an operation of the API that answers 202 Accepted with a job, and print the job id on stdout (the job object with --json). " +
          "With --wait, follow the job to its end by long-poll, as jobs wait does; the exit code says how it ended; --timeout bounds the call and the wait together. " +
          "Retries are safe: an Idempotency-Key is sent on every call (generated when not given).",
      )
      .argument("[method]", `HTTP method, e.g. POST (default $${ENV.callMethod})`)
      .argument("[path]", `path on the API, e.g. /v1/sites/site_1/deploys (default $${ENV.callPath})`)
      .option("--data <json>", `JSON body, @FILE to read it from a file, @- from stdin (default $${ENV.callBody})`)
      .option("--idempotency-key <key>", `Idempotency-Key: repeating a call with it returns the same job (default $${ENV.idempotencyKey})`)
      .option("--wait", "wait until the job finishes (ETag long-poll)"),
  )
    .addHelpText(
      "after",
      `
Examples:
  $ jobgate call POST /v1/sites/site_1/deploys --data '{"duration_ms": 10000}' --wait --timeout 30m
  $ jobgate call POST /v1/sites/site_1/builds --data @build.json --idempotency-key build-$GIT_SHA --json
  $ ${ENV.callMethod}=POST ${ENV.callPath}=/v1/sites/site_1/deploys jobgate call --wait --quiet
${CONNECTION_ENV_HELP}
  ${ENV.callMethod}, ${ENV.callPath}, ${ENV.callBody}, ${ENV.idempotencyKey}: the arguments and flags above
${WAIT_EXIT_HELP}
  Without --wait: 0 once the operation answered with a job; 2, 4, 6 as above;
  5 when the operation's path (or its site) is not found.
`,
    )
    .action(
      runAction(async (signal, methodArg: string | undefined, pathArg: string | undefined, flags: CallFlags) => {
        const method = fromArgOrEnv(methodArg, ENV.callMethod, "METHOD");
        const path = fromArgOrEnv(pathArg, ENV.callPath, "PATH");
        const body = readBody(flags.data ?? (process.env[ENV.callBody]?.trim() || undefined));
        const idempotencyKey = flags.idempotencyKey ?? (process.env[ENV.idempotencyKey]?.trim() || undefined);
        const limitMs = flags.wait === true ? timeoutMs(flags.timeout) : 0;
        const client = new JobsClient(clientOptions(flags));
        const reporter = new Reporter(reporterMode(flags));
        // --timeout bounds the whole command: the call (and its retries), then the wait gets what is left.
        const started = performance.now();
        const { job } = await client.call(method, path, body, {
          ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
          ...(flags.wait === true ? { timeout: limitMs } : {}),
          signal,
        });
        if (flags.wait !== true) {
          if (flags.json === true) process.stdout.write(`${JSON.stringify(job)}\n`);
          else if (flags.quiet !== true) process.stdout.write(`${job.id}\n`);
          return EXIT.succeeded;
        }
        reporter.note(`${method.toUpperCase()} ${path}: job ${job.id}`);
        const leftMs = Math.max(1, limitMs - (performance.now() - started));
        return finishWait(flags, reporter, followJob(client, job.id, { mode: "poll", timeoutMs: leftMs, signal, reporter }));
      }),
    );
}

/** The body as a parsed JSON value (checked here, so a typo is a usage error, not a 400). */
function readBody(data: string | undefined): unknown {
  if (data === undefined) return undefined;
  let text = data;
  let source = "--data";
  if (data.startsWith("@")) {
    source = data === "@-" ? "stdin" : data.slice(1);
    try {
      text = readFileSync(data === "@-" ? 0 : data.slice(1), "utf8");
    } catch (error) {
      throw new ConfigError(`--data ${data}: cannot read ${source} (${(error as NodeJS.ErrnoException).code ?? "error"})`, { cause: error });
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`--data (${source}): not valid JSON (${(error as Error).message}); expected e.g. '{"duration_ms": 10000}' or @body.json`, {
      cause: error,
    });
  }
}
