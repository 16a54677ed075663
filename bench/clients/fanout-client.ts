/**
 * The fan-out load generator (forked, IPC): opens N raw sockets on one job — held
 * long-polls (`If-None-Match: "w/job-1"`, `Prefer: wait=60`) or SSE streams — waits
 * until the server holds them all, reports "ready", and on "go" sends one PATCH and
 * times every socket from the moment the PATCH is written until its answer (the 200's
 * last byte, or the SSE event with the new id) is in. Raw sockets, not http.Agent: the
 * generator should cost little per socket so that it measures the server.
 *
 * Config (argv[2], JSON): see FanoutConfig. Messages out: {type:"ready"}, {type:"result"}.
 * Stall mode (SSE only): one extra socket stops reading; the generator then drives
 * changes itself until the server drops it (see runStall).
 */
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { FORGE_VERSION, TOKEN } from "../lib/paths.js";

export interface FanoutConfig {
  /** Where the PATCH goes (and the only server, unless `ports` spreads the sockets). */
  readonly port: number;
  /** Several servers (replicas over one store): sockets are spread over them round-robin, and probes add them up. */
  readonly ports?: readonly number[];
  readonly jobId: string;
  readonly n: number;
  readonly mode: "long-poll" | "sse";
  /** How to ask the server how many it holds: jobgate's /metrics or the bare server's /stats. */
  readonly probe: "metrics" | "stats";
  /** Stall mode: changes to drive at most while waiting for the stalled consumer to be dropped. */
  readonly stallMaxChanges?: number;
}

const CONNECT_BATCH = 500;
const READY_TIMEOUT_MS = 180_000;
const ANSWER_TIMEOUT_MS = 90_000;
const PROBE_INTERVAL_MS = 250;
const STALL_TIME_LIMIT_MS = 120_000;
/** Stall mode: pipelined PATCHes in flight while pumping, changes per pump, timed changes after the drop. */
const PUMP_WINDOW = 16;
const PUMP_BATCH = 100;
const AFTER_DROP_TIMED = 30;

const config = JSON.parse(process.argv[2]!) as FanoutConfig;
const host = `127.0.0.1:${config.port}`;
const send = (message: unknown): void => void process.send!(message);

interface Conn {
  socket: Socket;
  buffer: string;
  /** Long-poll: status of the (first) complete answer; SSE: highest event id seen. */
  status: number;
  maxId: number;
  doneAt: number;
  error?: string;
}

const requestText =
  config.mode === "long-poll"
    ? `GET /v1/jobs/${config.jobId} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\nForge-Version: ${FORGE_VERSION}\r\nIf-None-Match: "w/job-1"\r\nPrefer: wait=60\r\n\r\n`
    : `GET /v1/jobs/${config.jobId}/stream HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\nForge-Version: ${FORGE_VERSION}\r\nAccept: text/event-stream\r\n\r\n`;

let t0 = 0;
let answered = 0;
/** SSE: time each version was triggered (stall mode drives several). */
const triggeredAt = new Map<number, number>();
const sseLatencies: number[] = [];
let watchedVersion = 2;
let reachedWatched = 0;

const ID_LINE = /\nid: (\d+)\n/g;

function onData(conn: Conn, chunk: string): void {
  const now = performance.now();
  if (config.mode === "long-poll") {
    conn.buffer += chunk;
    if (conn.doneAt !== 0) return;
    const headerEnd = conn.buffer.indexOf("\r\n\r\n");
    if (headerEnd === -1) return;
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(conn.buffer.slice(0, headerEnd))?.[1] ?? 0);
    if (conn.buffer.length < headerEnd + 4 + length) return;
    conn.status = Number(conn.buffer.slice(9, 12));
    conn.doneAt = now;
    conn.buffer = "";
    answered++;
    return;
  }
  const text = conn.buffer + chunk;
  ID_LINE.lastIndex = 0;
  for (let match = ID_LINE.exec(text); match !== null; match = ID_LINE.exec(text)) {
    const id = Number(match[1]);
    if (id <= conn.maxId) continue;
    const sent = triggeredAt.get(id);
    if (sent !== undefined) sseLatencies.push(now - sent);
    if (conn.maxId < watchedVersion && id >= watchedVersion) reachedWatched++;
    conn.maxId = id;
    if (id === 2 && conn.doneAt === 0) {
      conn.doneAt = now;
      answered++;
    }
  }
  conn.buffer = text.slice(-40);
}

const ports = config.ports ?? [config.port];
let opened = 0;

function open(): Promise<Conn> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: ports[opened++ % ports.length]! });
    const conn: Conn = { socket, buffer: "", status: 0, maxId: 0, doneAt: 0 };
    socket.setEncoding("latin1");
    socket.setNoDelay(true);
    socket.on("data", (chunk: string) => onData(conn, chunk));
    socket.on("error", (error) => {
      conn.error = (error as NodeJS.ErrnoException).code ?? error.message;
      resolve(conn);
    });
    socket.once("connect", () => {
      socket.write(requestText);
      resolve(conn);
    });
  });
}

async function probe(): Promise<number> {
  let sum = 0;
  for (const port of ports) sum += await probeOne(port);
  return sum;
}

async function probeOne(port: number): Promise<number> {
  const path = config.probe === "metrics" ? "/metrics" : "/stats";
  const text = await fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.text());
  if (config.probe === "stats") {
    const stats = JSON.parse(text) as { held: number; streams: number };
    return config.mode === "long-poll" ? stats.held : stats.streams;
  }
  const name = config.mode === "long-poll" ? "jobgate_long_polls_held " : "jobgate_streams_open ";
  const line = text.split("\n").find((l) => l.startsWith(name));
  return Number(line?.slice(name.length) ?? 0);
}

async function waitUntil(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = PROBE_INTERVAL_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** A keep-alive socket for PATCHes, connected before the clock starts. */
async function patcher(): Promise<(body: string) => Promise<number>> {
  const socket = connect({ host: "127.0.0.1", port: config.port });
  socket.setNoDelay(true);
  socket.setEncoding("latin1");
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let buffer = "";
  // FIFO: PATCHes may be pipelined on this one socket; answers come back in order.
  const pending: Array<(status: number) => void> = [];
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    for (;;) {
      const headerEnd = buffer.indexOf("\r\n\r\n");
      if (headerEnd === -1) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buffer.slice(0, headerEnd))?.[1] ?? 0);
      if (buffer.length < headerEnd + 4 + length) return;
      const status = Number(buffer.slice(9, 12));
      buffer = buffer.slice(headerEnd + 4 + length);
      pending.shift()?.(status);
    }
  });
  return (body) =>
    new Promise((resolve) => {
      pending.push(resolve);
      socket.write(
        `PATCH /internal/v1/jobs/${config.jobId} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\nForge-Version: ${FORGE_VERSION}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
}

async function openAll(count: number): Promise<Conn[]> {
  const conns: Conn[] = [];
  for (let i = 0; i < count; i += CONNECT_BATCH) {
    conns.push(...(await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, count - i) }, open))));
  }
  return conns;
}

async function runFanout(): Promise<void> {
  const conns = await openAll(config.n);
  const openedAt = performance.now();
  await waitUntil(`${config.n} held on the server`, async () => (await probe()) >= config.n, READY_TIMEOUT_MS);
  if (config.mode === "sse")
    await waitUntil("every stream's first event", () => conns.every((c) => c.maxId >= 1 || c.error !== undefined), READY_TIMEOUT_MS, 50);
  const patch = await patcher();
  send({ type: "ready", settleMs: performance.now() - openedAt, errors: conns.filter((c) => c.error !== undefined).length });
  await new Promise<void>((resolve) => process.once("message", () => resolve()));

  t0 = performance.now();
  triggeredAt.set(2, t0);
  const patchStatus = await patch(JSON.stringify({ progress: 0.5 }));
  const patchMs = performance.now() - t0;
  await waitUntil(
    "every answer",
    () => answered + conns.filter((c) => c.error !== undefined && c.doneAt === 0).length >= conns.length,
    ANSWER_TIMEOUT_MS,
    5,
  ).catch(() => undefined);
  const latencies = conns.filter((c) => c.doneAt !== 0).map((c) => c.doneAt - t0);
  const statuses: Record<string, number> = {};
  for (const c of conns)
    statuses[c.doneAt === 0 ? (c.error ?? "unanswered") : String(c.status || 200)] =
      (statuses[c.doneAt === 0 ? (c.error ?? "unanswered") : String(c.status || 200)] ?? 0) + 1;
  send({
    type: "result",
    latencies,
    answered,
    ok: config.mode === "sse" ? answered : conns.filter((c) => c.status === 200).length,
    statuses,
    patchStatus,
    patchMs,
  });
  for (const c of conns) c.socket.destroy();
}

/**
 * SSE stall: n healthy streams plus one that stops reading after its first event.
 * Changes are pumped (pipelined PATCHes, not timed) to fill the stalled consumer's
 * buffers — the kernel takes a few MiB before the server's own buffer grows — and
 * between batches one change is timed alone: PATCH, then until every healthy stream has
 * it. The server's open-stream gauge tells when the stalled one is dropped; after the
 * drop the same pattern (a batch, then a timed change) goes on for a while as the control.
 */
async function runStall(): Promise<void> {
  const conns = await openAll(config.n);
  const stalled = await open();
  await waitUntil("streams open", async () => (await probe()) >= config.n + 1, READY_TIMEOUT_MS);
  await waitUntil("every stream's first event", () => conns.every((c) => c.maxId >= 1) && stalled.maxId >= 1, READY_TIMEOUT_MS, 50);
  stalled.socket.pause();
  const patch = await patcher();
  send({ type: "ready" });
  await new Promise<void>((resolve) => process.once("message", () => resolve()));

  const started = performance.now();
  const maxChanges = config.stallMaxChanges ?? 40_000;
  let step = 0;
  let version = 1;
  let refused = 0;
  const change = async (): Promise<void> => {
    step++;
    const status = await patch(JSON.stringify({ progress: step / (maxChanges + 1000) }));
    if (status === 200) version++;
    else refused++;
  };
  const pump = async (count: number): Promise<void> => {
    const inFlight: Array<Promise<void>> = [];
    for (let i = 0; i < count; i++) {
      inFlight.push(change());
      if (inFlight.length >= PUMP_WINDOW) await inFlight.shift();
    }
    await Promise.all(inFlight);
  };
  const timed = async (): Promise<number> => {
    watchedVersion = version;
    reachedWatched = conns.filter((c) => c.maxId >= version).length;
    await waitUntil(`event ${version} on every healthy stream`, () => reachedWatched >= conns.length, 60_000, 0);
    const sent = performance.now();
    triggeredAt.set(version + 1, sent);
    await change();
    watchedVersion = version;
    reachedWatched = conns.filter((c) => c.maxId >= version).length;
    await waitUntil(`event ${version} on every healthy stream`, () => reachedWatched >= conns.length, 60_000, 0);
    return performance.now() - sent;
  };
  const during: number[] = [];
  const after: number[] = [];
  let droppedAtChange: number | undefined;
  let droppedAfterMs: number | undefined;
  while (step < maxChanges && performance.now() - started < STALL_TIME_LIMIT_MS) {
    await pump(PUMP_BATCH);
    during.push(await timed());
    if ((await probe()) <= config.n) {
      droppedAtChange = step;
      droppedAfterMs = performance.now() - started;
      break;
    }
  }
  // The control runs under the same load as the stall phase (a pumped batch before each
  // timed change), so the only difference is the stalled consumer.
  if (droppedAtChange !== undefined) {
    for (let i = 0; i < AFTER_DROP_TIMED; i++) {
      await pump(PUMP_BATCH);
      after.push(await timed());
    }
  }
  const missed = conns.filter((c) => c.maxId !== version).length;
  send({
    type: "result",
    droppedAtChange,
    droppedAfterMs,
    changes: step,
    refused,
    version,
    during,
    after,
    missed,
    healthyErrors: conns.filter((c) => c.error !== undefined).length,
  });
  for (const c of conns) c.socket.destroy();
  stalled.socket.destroy();
}

try {
  if (config.stallMaxChanges !== undefined) await runStall();
  else await runFanout();
} catch (error) {
  send({ type: "error", message: (error as Error).message });
}
process.disconnect();
process.exit(0);
