/**
 * The contract as code (spec §1–§11): the job shape and its state machine, the shapes of
 * ids and names, limits, versions, the ETag, error codes, scopes, the `JOBGATE_*`
 * environment and the defaults. It imports nothing (no Node, Express or cdktf), so the
 * client, the server, the CLI, the constructs and the provider can all stand on it.
 */
export * from "./defaults.js";
export * from "./env.js";
export * from "./error-codes.js";
export * from "./etag.js";
export * from "./identifiers.js";
export * from "./job.js";
export * from "./limits.js";
export * from "./scopes.js";
export * from "./versions.js";
