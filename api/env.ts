/**
 * The `JOBGATE_*` environment variables, named once. The CLI reads them; the constructs
 * and the provider set or document them; nothing spells them as string literals elsewhere.
 */
export const ENV = {
  /** The jobs API's base URL (CLI, constructs, provider). */
  apiUrl: "JOBGATE_API_URL",
  /** The bearer token: only ever from the environment or a file, never argv. */
  token: "JOBGATE_TOKEN",
  forgeVersion: "JOBGATE_FORGE_VERSION",
  /** The job `jobs wait` / `jobs watch` wait on when no argument names one. */
  jobId: "JOBGATE_JOB_ID",
  /** Several jobs to wait on, comma- or space-separated. */
  jobIds: "JOBGATE_JOB_IDS",
  callMethod: "JOBGATE_CALL_METHOD",
  callPath: "JOBGATE_CALL_PATH",
  callBody: "JOBGATE_CALL_BODY",
  idempotencyKey: "JOBGATE_IDEMPOTENCY_KEY",
  /** The argv that starts the CLI in a provisioner (split on spaces by the shell). */
  cli: "JOBGATE_CLI",
  /** `jobgate serve`'s keys file. */
  keysFile: "JOBGATE_KEYS_FILE",
  /** `jobgate serve`'s store: `memory` or a `postgres://` URL. */
  storeUrl: "JOBGATE_STORE_URL",
  /** A PEM bundle added to the trusted roots. */
  caFile: "JOBGATE_CA_FILE",
  /** The hold a waiter asks for per long-poll. */
  pollWait: "JOBGATE_POLL_WAIT",
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
