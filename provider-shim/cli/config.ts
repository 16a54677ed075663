/**
 * The CLI's connection settings: environment first, flags override.
 *
 *   JOBGATE_API_URL        --api-url        default DEFAULT_API_URL
 *   JOBGATE_FORGE_VERSION  --forge-version  default the client's
 *   JOBGATE_TOKEN          --token-file     required
 *
 * The token is taken only from the environment or a file, never from argv: argv shows in
 * process lists, shell history and Terraform logs.
 */
import { readFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { ConfigError } from "../../client/errors.js";
import { DEFAULT_API_URL } from "../../api/defaults.js";
import { ENV } from "../../api/env.js";
import type { JobsClientOptions } from "../../client/options.js";

export interface ConnectionFlags {
  apiUrl?: string;
  forgeVersion?: string;
  tokenFile?: string;
  /** Refused: present only to say why. */
  token?: string;
}

/** Adds the connection flags to a subcommand. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option("--api-url <url>", `jobs API base URL (default $${ENV.apiUrl}, else ${DEFAULT_API_URL})`)
    .option("--forge-version <date>", `Forge-Version to send (default $${ENV.forgeVersion}, else the latest)`)
    .option("--token-file <path>", `read the bearer token from this file (default $${ENV.token})`)
    .addOption(new Option("--token <token>").hideHelp());
}

export function clientOptions(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): JobsClientOptions {
  if (flags.token !== undefined) {
    throw new ConfigError(
      `--token is not accepted: a token on the command line shows in process lists and logs; set ${ENV.token} or use --token-file PATH`,
    );
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
  return { apiUrl, token, ...(forgeVersion !== undefined ? { forgeVersion } : {}), userAgent: "jobgate-cli" };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
