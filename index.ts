/** The package root: the client, the constructs, and the server for embedding. */
export * from "./client/index.js";
export * from "./provider-shim/constructs/index.js";
export { startServer, type JobgateServer } from "./proxy/server.js";
export type { ServeOptions } from "./proxy/serve-options.js";
