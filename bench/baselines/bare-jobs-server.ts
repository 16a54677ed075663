/**
 * The baseline: a bare node:http jobs server doing only what the contract requires of
 * the paths under measurement, and nothing jobgate does beyond it (no Express, no store
 * abstraction, no metrics, no lifecycle):
 *
 * - GET /v1/jobs/{id} with a matching If-None-Match → 304: SHA-256 of the bearer token
 *   and a Map lookup, a fresh `req_<ULID>` (proxy/ulid.ts), the same headers as jobgate's.
 *   With `Prefer: wait=N` the request is held (one timer, one close listener) until a
 *   change answers it 200 with the envelope, or N elapses (304).
 * - GET /v1/jobs/{id}/stream → SSE: the same preamble and events; each change is written
 *   to every open stream.
 * - POST /internal/v1/jobs creates a job; PATCH /internal/v1/jobs/{id} bumps its version
 *   and wakes every hold and stream (the trigger).
 * - GET /stats → `{ "held": n, "streams": n }` so the load generator knows all are in place.
 *
 * Usage: node bare-jobs-server.js KEYS_FILE  (prints "listening on http://127.0.0.1:PORT" on stderr)
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { newJobId, newRequestId } from "../../proxy/ulid.js";

const FORGE_VERSION = "2026-06-23";
const POLL_HINT_S = "2";
const MAX_WAIT_S = 60;

interface BareJob {
  id: string;
  version: number;
  progress: number;
  status: string;
  createdAt: string;
  json: string;
  holds: Set<Hold>;
  streams: Set<ServerResponse>;
}

interface Hold {
  res: ServerResponse;
  timer: NodeJS.Timeout;
  waitS: number;
}

const keysFile = process.argv[2];
if (keysFile === undefined) throw new Error("usage: bare-jobs-server KEYS_FILE");
const accounts = new Map<string, string>();
for (const key of (JSON.parse(readFileSync(keysFile, "utf8")) as { keys: Array<{ token?: string; token_sha256?: string; account: string }> }).keys) {
  const digest = key.token_sha256 ?? createHash("sha256").update(key.token!).digest("hex");
  accounts.set(digest, key.account);
}
const jobs = new Map<string, BareJob>();
let held = 0;
let streams = 0;

function authenticated(req: IncomingMessage): boolean {
  const authorization = req.headers.authorization;
  if (authorization === undefined || !authorization.startsWith("Bearer ")) return false;
  return accounts.has(createHash("sha256").update(authorization.slice(7)).digest("hex"));
}

function serialize(job: BareJob): void {
  const self = `/v1/jobs/${job.id}`;
  job.json = JSON.stringify({
    id: job.id,
    type: "deployment.deploy",
    status: job.status,
    progress: job.progress,
    created_at: job.createdAt,
    resource: { type: "deployment", id: "site_1", site_id: "site_1" },
    result: null,
    error: null,
    links: { self, stream: `${self}/stream` },
  });
}

function sendJob(res: ServerResponse, status: number, job: BareJob, requestId: string, extra?: Record<string, string>): void {
  const body = `{"data":${job.json},"request_id":"${requestId}"}`;
  res.writeHead(status, {
    "X-Request-Id": requestId,
    "Forge-Version": FORGE_VERSION,
    Vary: "Prefer",
    ETag: `"w/job-${job.version}"`,
    "Cache-Control": "private, no-cache",
    "Retry-After": POLL_HINT_S,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}

function notModified(res: ServerResponse, job: BareJob, requestId: string, extra?: Record<string, string>): void {
  res.writeHead(304, {
    "X-Request-Id": requestId,
    "Forge-Version": FORGE_VERSION,
    Vary: "Prefer",
    ETag: `"w/job-${job.version}"`,
    "Cache-Control": "private, no-cache",
    "Retry-After": POLL_HINT_S,
    ...extra,
  });
  res.end();
}

function fail(res: ServerResponse, status: number, requestId: string): void {
  const body = `{"error":{"code":"${status === 401 ? "unauthenticated" : "not_found"}","message":"no"},"request_id":"${requestId}"}`;
  res.writeHead(status, {
    "X-Request-Id": requestId,
    "Forge-Version": FORGE_VERSION,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

function sseEvent(job: BareJob): string {
  return `event: job\nid: ${job.version}\ndata: ${job.json}\n\n`;
}

function change(job: BareJob, progress: number | undefined, status: string | undefined): void {
  job.version++;
  if (progress !== undefined) job.progress = progress;
  if (status !== undefined) job.status = status;
  serialize(job);
  for (const hold of job.holds) {
    clearTimeout(hold.timer);
    held--;
    sendJob(hold.res, 200, job, newRequestId(), { "Preference-Applied": `wait=${hold.waitS}` });
  }
  job.holds.clear();
  const event = sseEvent(job);
  for (const res of job.streams) res.write(event);
}

const server = createServer((req, res) => {
  const requestId = newRequestId();
  const url = req.url!;
  const forgeVersion = req.headers["forge-version"];
  if (forgeVersion !== undefined && forgeVersion !== FORGE_VERSION) return fail(res, 400, requestId);

  if (req.method === "GET" && url.startsWith("/v1/jobs/")) {
    if (!authenticated(req)) return fail(res, 401, requestId);
    const isStream = url.endsWith("/stream");
    const job = jobs.get(url.slice(9, isStream ? -7 : undefined));
    if (job === undefined) return fail(res, 404, requestId);
    if (isStream) {
      res.writeHead(200, {
        "X-Request-Id": requestId,
        "Forge-Version": FORGE_VERSION,
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache, no-transform",
        "X-Accel-Buffering": "no",
        Connection: "keep-alive",
      });
      res.socket?.setNoDelay(true);
      res.write(`retry: 3000\n: bare stream for ${job.id}\n\n${sseEvent(job)}`);
      job.streams.add(res);
      streams++;
      res.once("close", () => {
        job.streams.delete(res);
        streams--;
      });
      return;
    }
    if (req.headers["if-none-match"] !== `"w/job-${job.version}"`) return sendJob(res, 200, job, requestId);
    const prefer = req.headers.prefer;
    if (prefer === undefined) return notModified(res, job, requestId);
    const waitS = Math.min(Number(/wait=(\d+)/.exec(String(prefer))?.[1] ?? 0), MAX_WAIT_S);
    if (waitS === 0) return notModified(res, job, requestId);
    const hold: Hold = {
      res,
      waitS,
      timer: setTimeout(() => {
        job.holds.delete(hold);
        held--;
        notModified(res, job, newRequestId(), { "Preference-Applied": `wait=${waitS}` });
      }, waitS * 1000),
    };
    job.holds.add(hold);
    held++;
    res.once("close", () => {
      if (job.holds.delete(hold)) {
        clearTimeout(hold.timer);
        held--;
      }
    });
    return;
  }

  if (req.method === "GET" && url === "/stats") {
    res.writeHead(200, { "Content-Type": "application/json" });
    return void res.end(JSON.stringify({ held, streams }));
  }

  if (req.method === "POST" && url === "/internal/v1/jobs") {
    if (!authenticated(req)) return fail(res, 401, requestId);
    req.resume();
    req.once("end", () => {
      const job: BareJob = {
        id: newJobId(),
        version: 1,
        progress: 0,
        status: "queued",
        createdAt: new Date().toISOString(),
        json: "",
        holds: new Set(),
        streams: new Set(),
      };
      serialize(job);
      jobs.set(job.id, job);
      sendJob(res, 201, job, requestId);
    });
    return;
  }

  if (req.method === "PATCH" && url.startsWith("/internal/v1/jobs/")) {
    if (!authenticated(req)) return fail(res, 401, requestId);
    const job = jobs.get(url.slice(18));
    if (job === undefined) return fail(res, 404, requestId);
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (text += chunk));
    req.once("end", () => {
      const patch = JSON.parse(text) as { progress?: number; status?: string };
      change(job, patch.progress, patch.status);
      sendJob(res, 200, job, requestId);
    });
    return;
  }
  fail(res, 404, requestId);
});

server.listen(0, "127.0.0.1", () => {
  process.stderr.write(`bare jobs server: listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
