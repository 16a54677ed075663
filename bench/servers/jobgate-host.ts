/**
 * jobgate in-process, for the options `jobgate serve` has no flag for (streamBufferBytes).
 * Usage: node jobgate-host.js '<ServeOptions JSON>'  (prints "listening on URL" on stderr).
 */
import { startServer } from "../../proxy/server.js";
import type { ServeOptions } from "../../proxy/serve-options.js";

const options = JSON.parse(process.argv[2] ?? "{}") as ServeOptions;
const server = await startServer({ port: 0, logLevel: "warn", ...options });
process.stderr.write(`jobgate host: listening on ${server.url}\n`);
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
