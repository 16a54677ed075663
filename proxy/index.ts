/** `jobgate/server`: `jobgate serve` for embedding (standalone or proxy mode), and the store contract. */
export { startServer, type JobgateServer, type ServerDeps } from "./server.js";
export type { ServeOptions } from "./serve-options.js";
export { MemoryJobStore } from "./store/memory.js";
export * from "./store/types.js";
