/**
 * terraform-provider-jobgate's entry point: check the handshake environment, serve, print
 * the handshake line — the only thing that ever reaches stdout — and run until the host
 * says Shutdown (or goes away).
 *
 * Like every go-plugin plugin, it ignores SIGINT: Ctrl-C reaches the whole process group,
 * and it is Terraform that decides what stops (it calls StopProvider, which ends every wait
 * at once). SIGTERM ends it. If Terraform dies without a word (the parent process changes)
 * the provider exits too, rather than linger.
 */
import { codeCacheReport } from "./code-cache.js";
import { HandshakeError, readHandshakeEnv } from "./handshake.js";
import { Logger, logLevelFromEnv } from "./logging.js";
import { startPluginServer } from "./plugin-server.js";
import { createProvider } from "./provider.js";
import { PROVIDER_VERSION } from "./version.js";

const PARENT_CHECK_MS = 1000;

export async function main(): Promise<void> {
  const logger = new Logger(logLevelFromEnv());
  let env;
  try {
    env = readHandshakeEnv(process.env);
  } catch (error) {
    if (error instanceof HandshakeError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // Anything printed after the handshake by a dependency goes to stderr, never stdout.
  const writeStdout = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr);

  const provider = createProvider({ logger });
  const server = await startPluginServer({ env, provider: provider.handlers, logger, onShutdown: () => provider.stop() });
  const exit = (code: number): void => {
    void server.close().finally(() => process.exit(code));
  };
  process.on("SIGINT", () => logger.debug("SIGINT ignored: Terraform stops the provider through StopProvider"));
  process.on("SIGTERM", () => {
    provider.stop();
    exit(0);
  });
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      logger.warn("Terraform went away; exiting");
      provider.stop();
      exit(0);
    }
  }, PARENT_CHECK_MS).unref();

  writeStdout(server.line);
  logger.info(`terraform-provider-jobgate ${PROVIDER_VERSION} serving`, { pid: process.pid });
  const codeCache = codeCacheReport();
  if (codeCache !== undefined) logger.debug(`code cache ${codeCache.use}`, { file: codeCache.file ?? "none" });
  await server.closed;
  process.exit(0);
}
