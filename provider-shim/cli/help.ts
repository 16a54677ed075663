/**
 * The help sections the commands share: the environment they read and their exit codes
 * (spec §9). Tables, one short line per entry; prose goes in descriptions, which
 * commander wraps to the terminal's width.
 */
import { DEFAULT_API_URL, DEFAULT_POLL_WAIT_S } from "../../api/defaults.js";
import { ENV } from "../../api/env.js";

const row = (name: string, text: string): string => `  ${name.padEnd(24)} ${text}`;

export const CONNECTION_ENV_HELP = [
  "",
  "Environment:",
  row(ENV.apiUrl, `API base URL, without /v1 (default ${DEFAULT_API_URL})`),
  row(ENV.token, "bearer token (never taken from argv; or --token-file)"),
  row(ENV.forgeVersion, "Forge-Version header"),
  row(ENV.caFile, "PEM bundle added to the trusted roots (--ca-file)"),
  row("HTTPS_PROXY, HTTP_PROXY", "proxy for https / http URLs; lowercase forms win"),
  row("NO_PROXY", "direct for: host, .suffix, host:port, * (loopback always)"),
  row("NODE_EXTRA_CA_CERTS", "more trusted roots, as for any Node program"),
].join("\n");

export const WAIT_ENV_HELP = [
  CONNECTION_ENV_HELP,
  row(ENV.jobId, "the job, when no argument names one"),
  row(ENV.jobIds, "several jobs, comma- or space-separated"),
  row(ENV.pollWait, `hold per long-poll (--poll-wait, default ${DEFAULT_POLL_WAIT_S}s)`),
].join("\n");

export const WAIT_EXIT_HELP = `
Exit codes:
  0    the job succeeded (with several: all of them)
  1    the job failed; error.code: error.message on stderr
  2    usage or configuration: a bad flag, no token, an API URL ending
       in /v1, a TLS certificate that does not verify
  3    timed out (--timeout); the last state on stderr
  4    unauthenticated or forbidden
  5    job not found
  6    API unreachable: no answer at all within --connect-timeout, or
       unreachable when --timeout passed
  130  interrupted (SIGINT, Ctrl-C); 143 terminated (SIGTERM)
  With several jobs: the code of the first job, in the order given,
  that did not succeed; with --any, the code of the first to finish.`;

export const READ_EXIT_HELP = `
Exit codes:
  0    done
  2    usage or configuration (see wait --help)
  4    unauthenticated or forbidden
  5    job not found
  6    API unreachable after retries, or no answer at all within
       --connect-timeout
  130  interrupted (SIGINT); 143 terminated (SIGTERM)`;
