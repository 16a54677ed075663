/**
 * Replicas of `jobgate serve` as processes (the built CLI), for the suites that kill them
 * (`kill -9`) and start them again, and a round-robin TCP balancer in front of them that
 * skips a replica it cannot connect to — as nginx or a cloud load balancer does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { CLI } from "./cli.js";
import { splice } from "./splice.js";

export interface ReplicaProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<number | null>;
  /** SIGKILL: no shutdown, no lease handed over, connections reset. */
  kill9(): Promise<void>;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
}

/** Starts `jobgate serve --keys keysFile --store store --port port …args`; resolves once it listens. */
export async function startReplica(options: { store: string; keysFile: string; port?: number; args?: string[] }): Promise<ReplicaProcess> {
  const child = spawn(
    process.execPath,
    [CLI, "serve", "--keys", options.keysFile, "--store", options.store, "--port", String(options.port ?? 0), "--log-level", "info", ...(options.args ?? [])],
    { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH, NODE_OPTIONS: "" } },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      const match = /listening on (http:\/\/\S+?),/.exec(err);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`jobgate serve exited (${code}) before listening:\n${err}\n${out}`)));
  });
  return {
    child,
    url,
    port: Number(new URL(url).port),
    stdout: () => out,
    stderr: () => err,
    exited,
    async kill9() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export interface Balancer {
  readonly url: string;
  close(): Promise<void>;
}

/** Round-robin over `ports` on 127.0.0.1; a replica that refuses the connection is skipped for the next. */
export async function startBalancer(ports: readonly number[]): Promise<Balancer> {
  const sockets = new Set<Socket>();
  let next = 0;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.pause();
    const attempt = (tries: number): void => {
      const port = ports[next++ % ports.length]!;
      const upstream = connect(port, "127.0.0.1");
      upstream.once("error", () => {
        upstream.destroy();
        if (tries + 1 < ports.length && !client.destroyed) attempt(tries + 1);
        else client.destroy();
      });
      upstream.once("connect", () => {
        upstream.removeAllListeners("error");
        splice(client, upstream, sockets);
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closing;
    },
  };
}
