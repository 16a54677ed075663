import { spawn, fork, type ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { CLI, KEYS_FILE, benchScript } from "./paths.js";

/**
 * Servers and load generators run as separate processes, so 10 000 sockets fit on each
 * side of the 20 000 descriptor limit and neither steals the other's event loop.
 */
export interface ServerProcess {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The last lines the process wrote to stderr (for error messages). */
  stderrTail(): string;
  stop(): Promise<void>;
}

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:(\d+))/;
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 15_000;

/** `jobgate serve` exactly as a user starts it (the real CLI), on an ephemeral port. */
export function startJobgateCli(extraArgs: readonly string[] = [], nodeArgs: readonly string[] = []): Promise<ServerProcess> {
  return startServerProcess("jobgate", [...nodeArgs, CLI, "serve", "--keys", KEYS_FILE, "--port", "0", "--log-level", "warn", ...extraArgs]);
}

/** `jobgate serve --upstream URL` (proxy mode, the real CLI), on an ephemeral port. */
export function startJobgateProxy(upstreamUrl: string, extraArgs: readonly string[] = []): Promise<ServerProcess> {
  return startServerProcess("jobgate(proxy)", [CLI, "serve", "--upstream", upstreamUrl, "--port", "0", "--log-level", "warn", ...extraArgs]);
}

/** jobgate in-process via startServer (for options the CLI does not expose). */
export function startJobgateHost(options: Record<string, unknown>, nodeArgs: readonly string[] = []): Promise<ServerProcess> {
  return startServerProcess("jobgate(host)", [...nodeArgs, benchScript("servers/jobgate-host"), JSON.stringify({ keysFile: KEYS_FILE, ...options })]);
}

/** The bare node:http baseline (bench/baselines/bare-jobs-server.ts). */
export function startBareServer(nodeArgs: readonly string[] = []): Promise<ServerProcess> {
  return startServerProcess("bare", [...nodeArgs, benchScript("baselines/bare-jobs-server"), KEYS_FILE]);
}

async function startServerProcess(name: string, args: readonly string[]): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let tail = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const listening = new Promise<{ url: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not print "listening on" within ${START_TIMEOUT_MS} ms: ${tail}`)), START_TIMEOUT_MS);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      tail = (tail + chunk).slice(-4000);
      const match = LISTENING.exec(tail);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, port: Number(match[2]) });
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before listening: ${tail}`));
    });
  });
  const { url, port } = await listening;
  return {
    name,
    url,
    port,
    pid: child.pid!,
    child,
    stderrTail: () => tail,
    stop: () => stopChild(child, exited),
  };
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (`getconf CLK_TCK`; 100 on Linux for x86 and arm). */
const CLOCK_TICKS_PER_S = 100;

/** CPU time a process has used, user + system, in seconds (Linux /proc/<pid>/stat fields 14 and 15). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces; the fields after it start past its ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** Resident set size of a process, in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** RSS after it stops moving much (sampled until two reads 200 ms apart agree within 1 %, at most 3 s). */
export async function settledRss(pid: number): Promise<number> {
  let last = rssOf(pid);
  for (let i = 0; i < 15; i++) {
    await sleep(200);
    const now = rssOf(pid);
    if (Math.abs(now - last) <= last * 0.01) return now;
    last = now;
  }
  return last;
}

/** A forked bench script speaking JSON messages over IPC. */
export interface Worker {
  readonly child: ChildProcess;
  next<T>(timeoutMs: number): Promise<T>;
  send(message: unknown): void;
  stop(): Promise<void>;
}

export function forkWorker(relative: string, args: readonly string[], execArgv: readonly string[] = []): Worker {
  const child = fork(benchScript(relative), [...args], { execArgv: [...execArgv], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const queue: unknown[] = [];
  const waiting: Array<(message: unknown) => void> = [];
  let exitError: Error | undefined;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.on("message", (message) => {
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  child.once("exit", (code, signal) => {
    exitError = new Error(`${relative} exited (${code ?? signal})`);
    for (const waiter of waiting.splice(0)) waiter(exitError);
  });
  return {
    child,
    next<T>(timeoutMs: number): Promise<T> {
      if (queue.length > 0) return Promise.resolve(queue.shift() as T);
      if (exitError) return Promise.reject(exitError);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${relative}: no message within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((message) => {
          clearTimeout(timer);
          if (message instanceof Error) reject(message);
          else resolve(message as T);
        });
      });
    },
    send(message: unknown) {
      child.send(message as object);
    },
    stop: () => stopChild(child, exited),
  };
}

/** SIGTERM, then SIGKILL if the process has not exited within STOP_TIMEOUT_MS. */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Calls `onLine` with each line of `stream` and the moment its chunk arrived (for detection latencies). */
export function onLines(stream: Readable, onLine: (line: string, at: number) => void): void {
  let buffer = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const at = performance.now();
    buffer += chunk;
    const lines = buffer.split("\n");
    buffer = lines.pop()!;
    for (const line of lines) onLine(line, at);
  });
}
