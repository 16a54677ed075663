/**
 * Support for the CLI's end-to-end suites (cli-*.test.ts): spawn the BUILT CLI
 * (`npx tsc -p tsconfig.json` first; `npm test` builds), and a TCP relay that can be cut
 * and restored to simulate a network outage.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type AddressInfo, type Server, type Socket, connect } from "node:net";
import { fileURLToPath } from "node:url";
import { splice } from "./splice.js";

export const CLI = fileURLToPath(new URL("../../dist/provider-shim/cli/main.js", import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx tsc -p tsconfig.json\` (npm test builds first)`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit, ms. */
  ms: number;
  /** performance.now() at exit. */
  exitedAt: number;
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
  stderr(): string;
  /** Resolves once stderr matches `pattern` (rejects if the process exits first). */
  waitForStderr(pattern: RegExp): Promise<void>;
}

/** Every output of every CLI run in this process, to check the token never shows. */
export const allOutput: string[] = [];

export function startCli(args: string[], env: Record<string, string | undefined> = {}): RunningCli {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, NODE_OPTIONS: "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin.end();
  let stdout = "";
  let stderr = "";
  const watchers: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const watcher of watchers.splice(0)) {
      if (watcher.pattern.test(stderr)) watcher.resolve();
      else watchers.push(watcher);
    }
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code) => {
      const exitedAt = performance.now();
      allOutput.push(stdout, stderr);
      resolve({ code, stdout, stderr, ms: exitedAt - started, exitedAt });
    });
  });
  return {
    child,
    done,
    stderr: () => stderr,
    waitForStderr(pattern) {
      if (pattern.test(stderr)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        watchers.push({ pattern, resolve });
        void done.then((result) => reject(new Error(`the CLI exited (${result.code}) before stderr matched ${pattern}:\n${result.stderr}`)));
      });
    },
  };
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** Resolves when `condition()` holds, checking every few ms (no blind sleeps). */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A TCP relay to `targetPort`; `cut()` drops every connection and refuses new ones until `restore()`. */
export interface Relay {
  readonly port: number;
  readonly url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
  /** Connections accepted so far. */
  readonly connections: number;
}

export async function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const makeServer = (): Server =>
    createServer((client) => {
      connections++;
      splice(client, connect(targetPort, "127.0.0.1"), sockets);
    });
  const listen = (server: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
    });
  let server: Server | undefined = makeServer();
  const port = await listen(server, 0);
  const stop = async (): Promise<void> => {
    if (server === undefined) return;
    const closing = new Promise<void>((resolve) => server!.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    server = undefined;
    await closing;
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    cut: stop,
    async restore() {
      if (server !== undefined) return;
      server = makeServer();
      await listen(server, port);
    },
    close: stop,
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
