/**
 * A waiter on one job, until it is terminal (exit 0 succeeded, 1 failed):
 * - `long-poll`: what `jobgate jobs wait` does — GET, then `If-None-Match: <ETag>` with
 *   `Prefer: wait=60`, at once again after each answer (a held 304 just re-arms it);
 * - `seed`: the reference page's loop — `If-None-Match`, and on 304 sleep 2 s.
 * Usage: node poll-waiter.js long-poll|seed BASE_URL JOB_ID  (token: JOBGATE_TOKEN)
 */
import { Agent, request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { FORGE_VERSION } from "../lib/paths.js";

const SEED_SLEEP_MS = 2_000;
const WAIT_S = 60;
const MAX_REQUESTS = 10_000;
const RETRY_MS = 500;

const [mode, baseUrl, jobId] = process.argv.slice(2) as ["long-poll" | "seed", string, string];
const token = process.env.JOBGATE_TOKEN ?? "";
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function get(etag: string | undefined): Promise<{ status: number; etag: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, "Forge-Version": FORGE_VERSION };
    if (etag !== undefined) headers["If-None-Match"] = etag;
    if (etag !== undefined && mode === "long-poll") headers.Prefer = `wait=${WAIT_S}`;
    const req = request(`${baseUrl}/v1/jobs/${jobId}`, { agent, headers, timeout: (WAIT_S + 30) * 1000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, etag: res.headers.etag, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

let etag: string | undefined;
for (let i = 0; i < MAX_REQUESTS; i++) {
  let reply;
  try {
    reply = await get(etag);
  } catch {
    await sleep(RETRY_MS);
    continue;
  }
  if (reply.status === 304) {
    if (mode === "seed") await sleep(SEED_SLEEP_MS);
    continue;
  }
  if (reply.status !== 200) {
    await sleep(RETRY_MS);
    continue;
  }
  etag = reply.etag;
  const status = (JSON.parse(reply.body) as { data: { status: string } }).data.status;
  if (status === "succeeded") process.exit(0);
  if (status === "failed") process.exit(1);
}
process.exit(3);
