/**
 * The package root: the client, the constructs and the server for embedding. Each is
 * also its own entry point, which loads only what it needs: `jobgate/client` (no
 * Express, no cdktf), `jobgate/constructs` (needs the cdktf and constructs peers),
 * `jobgate/server`.
 */
export * from "./client/index.js";
export * from "./provider-shim/constructs/index.js";
export { startServer, type JobgateServer } from "./proxy/server.js";
export type { ServeOptions } from "./proxy/serve-options.js";
