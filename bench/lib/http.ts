import { request as httpRequest } from "node:http";
import { FORGE_VERSION, TOKEN } from "./paths.js";

/** A plain one-shot HTTP client for setup and triggers (never on a measured path). */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

const REQUEST_TIMEOUT_MS = 30_000;

export function call(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        agent: false,
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          "Forge-Version": FORGE_VERSION,
          ...(payload !== undefined ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } : {}),
          ...headers,
        },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

export const NEW_JOB = { type: "deployment.deploy", team_id: "team_1", resource: { type: "deployment", site_id: "site_1" } };

/** Publishes a job (POST /internal/v1/jobs) and returns its id. */
export async function createJob(baseUrl: string, body: unknown = NEW_JOB): Promise<string> {
  const reply = await call(`${baseUrl}/internal/v1/jobs`, "POST", body);
  if (reply.status !== 201) throw new Error(`POST /internal/v1/jobs: expected 201, got ${reply.status} ${reply.body}`);
  return (JSON.parse(reply.body) as { data: { id: string } }).data.id;
}

export async function patchJob(baseUrl: string, jobId: string, change: Record<string, unknown>): Promise<Reply> {
  const reply = await call(`${baseUrl}/internal/v1/jobs/${jobId}`, "PATCH", change);
  if (reply.status !== 200) throw new Error(`PATCH ${jobId}: expected 200, got ${reply.status} ${reply.body}`);
  return reply;
}

/** A gauge or counter sum from jobgate's Prometheus text (all label sets matching `labels` added up). */
export async function metricValue(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const reply = await call(`${baseUrl}/metrics`, "GET");
  let sum = 0;
  for (const line of reply.body.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    if (Object.entries(labels).some(([k, v]) => !rest.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
