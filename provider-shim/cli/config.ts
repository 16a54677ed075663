/**
 * The CLI's connection settings: environment first, flags override.
 *
 *   JOBGATE_API_URL        --api-url          default DEFAULT_API_URL
 *   JOBGATE_FORGE_VERSION  --forge-version    default the client's
 *   JOBGATE_TOKEN          --token-file       required
 *   JOBGATE_CA_FILE        --ca-file          a PEM bundle added to the trusted roots
 *                          --connect-timeout  default DEFAULT_CONNECT_TIMEOUT_MS
 *   JOBGATE_POLL_WAIT      --poll-wait        default DEFAULT_POLL_WAIT_S (waiting commands)
 *
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY are read by the client's network (client/network.ts).
 *
 * The token is taken only from the environment or a file, never from argv: argv shows in
 * process lists, shell history and Terraform logs.
 */
import { readFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { ConfigError } from "../../client/errors.js";
import { DEFAULT_API_URL, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_POLL_WAIT_S } from "../../api/defaults.js";
import { ENV } from "../../api/env.js";
import type { JobsClientOptions } from "../../client/options.js";
import { timeoutMs } from "./flags.js";
import { CLI_VERSION } from "./version.js";

export interface ConnectionFlags {
  apiUrl?: string;
  forgeVersion?: string;
  tokenFile?: string;
  caFile?: string;
  connectTimeout?: string;
  /** Waiting commands only. */
  pollWait?: string;
  /** Refused: present only to say why. */
  token?: string;
}

/** Adds the connection flags to a subcommand. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option("--api-url <url>", `jobs API base URL (default $${ENV.apiUrl}, else ${DEFAULT_API_URL})`)
    .option("--forge-version <date>", `Forge-Version to send (default $${ENV.forgeVersion}, else the latest)`)
    .option("--token-file <path>", `read the bearer token from this file (default $${ENV.token})`)
    .option(
      "--ca-file <path>",
      `trust the certificates in this PEM bundle too, e.g. a TLS-inspecting proxy's CA (default $${ENV.caFile}; NODE_EXTRA_CA_CERTS works too)`,
    )
    .option(
      "--connect-timeout <duration>",
      "give up (exit 6) when the API has not answered once in this long: a wrong URL or a missing proxy fails fast; outages after it has answered are retried as the command does (a wait: until --timeout)",
      `${DEFAULT_CONNECT_TIMEOUT_MS / 1000}s`,
    )
    .addOption(new Option("--token <token>").hideHelp());
}

/** `--poll-wait`, for the commands that long-poll. */
export function addPollWaitOption(command: Command): Command {
  return command.option(
    "--poll-wait <duration>",
    `hold asked of the server per long-poll (default $${ENV.pollWait}, else ${DEFAULT_POLL_WAIT_S}s): below the idle timeout of the proxies on the way; a hold a proxy cuts anyway is asked again at once, shorter`,
  );
}

export function clientOptions(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): JobsClientOptions {
  if (flags.token !== undefined) {
    throw new ConfigError(`--token is not accepted: a token on the command line shows in process lists and logs; set ${ENV.token} or use --token-file PATH`);
  }
  const apiUrl = flags.apiUrl ?? nonEmpty(env[ENV.apiUrl]) ?? DEFAULT_API_URL;
  if (!/^https?:\/\/[^/]/i.test(apiUrl)) {
    const source = flags.apiUrl !== undefined ? "--api-url" : ENV.apiUrl;
    throw new ConfigError(`${source}: ${JSON.stringify(apiUrl)} is not an http(s) URL; expected e.g. ${DEFAULT_API_URL}`);
  }
  const forgeVersion = flags.forgeVersion ?? nonEmpty(env[ENV.forgeVersion]);
  let token: string | undefined;
  if (flags.tokenFile !== undefined) {
    try {
      token = readFileSync(flags.tokenFile, "utf8").trim();
    } catch (error) {
      throw new ConfigError(`--token-file ${flags.tokenFile}: cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"})`, { cause: error });
    }
    if (token === "") throw new ConfigError(`--token-file ${flags.tokenFile}: the file is empty; it should hold the bearer token`);
  } else {
    token = nonEmpty(env[ENV.token]);
    if (token === undefined) throw new ConfigError(`no token: set ${ENV.token} (or pass --token-file PATH) to the API's bearer token`);
  }
  const caFile = flags.caFile ?? nonEmpty(env[ENV.caFile]);
  const connectTimeoutMs = timeoutMs(flags.connectTimeout ?? `${DEFAULT_CONNECT_TIMEOUT_MS / 1000}s`, "--connect-timeout");
  const pollWaitText = flags.pollWait ?? nonEmpty(env[ENV.pollWait]);
  let longPollS: number | undefined;
  if (pollWaitText !== undefined) {
    const source = flags.pollWait !== undefined ? "--poll-wait" : ENV.pollWait;
    const ms = timeoutMs(pollWaitText, source);
    if (ms % 1000 !== 0 || ms > 3_600_000)
      throw new ConfigError(`${source}: must be whole seconds from 1s to 1h, such as 25s, got ${JSON.stringify(pollWaitText)}`);
    longPollS = ms / 1000;
  }
  return {
    apiUrl,
    token,
    ...(forgeVersion !== undefined ? { forgeVersion } : {}),
    ...(caFile !== undefined ? { caFile } : {}),
    ...(longPollS !== undefined ? { longPollS } : {}),
    connectTimeoutMs,
    userAgent: `jobgate-cli/${CLI_VERSION}`,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
