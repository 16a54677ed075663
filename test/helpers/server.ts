import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { Job } from "../../api/index.js";
import type { ServeOptions } from "../../proxy/serve-options.js";
import { startServer, type JobgateServer, type ServerDeps } from "../../proxy/server.js";
import { TEST_KEYS, TOKENS, testKeyRing } from "./keys.js";

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: any;
}

export interface RequestOptions {
  method?: string;
  token?: string | null;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
}

export interface TestServer {
  readonly url: string;
  readonly server: JobgateServer;
  request(path: string, options?: RequestOptions): Promise<TestResponse>;
  /** Publishes a job (as the all-scopes key unless told otherwise) and returns it. */
  publish(body?: Record<string, unknown>, token?: string): Promise<Job>;
  /** Starts a demo operation (POST `path`, expecting 202) as the all-scopes key and returns its job. */
  startOperation(path: string, body: Record<string, unknown>): Promise<Job>;
  patch(jobId: string, body: Record<string, unknown>, token?: string): Promise<TestResponse>;
  close(): Promise<void>;
}

/** A real server on an ephemeral port with the test keys and silent logs. */
export async function startTestServer(options: ServeOptions = {}, deps: ServerDeps = {}): Promise<TestServer> {
  const server = await startServer({ port: 0, logLevel: "silent", ...options }, { keys: testKeyRing(), logger: pino({ level: "silent" }), ...deps });
  return wrap(server);
}

/** A proxy-mode server (`--upstream`) in front of `upstreamUrl`, silent. */
export async function startTestProxy(upstreamUrl: string, options: ServeOptions = {}): Promise<TestServer> {
  const server = await startServer({ port: 0, logLevel: "silent", upstream: upstreamUrl, ...options }, { logger: pino({ level: "silent" }) });
  return wrap(server);
}

function wrap(server: JobgateServer): TestServer {
  const request = async (path: string, init: RequestOptions = {}): Promise<TestResponse> => {
    const headers: Record<string, string> = { ...init.headers };
    const token = init.token === undefined ? TOKENS.all : init.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(server.url + path, { method: init.method ?? "GET", headers, body, signal: init.signal });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  return {
    url: server.url,
    server,
    request,
    async publish(body = {}, token = TOKENS.all) {
      const res = await request("/internal/v1/jobs", {
        method: "POST",
        token,
        body: { type: "deployment.deploy", team_id: "team_1", resource: { type: "deployment", site_id: "site_1" }, ...body },
      });
      if (res.status !== 201) throw new Error(`publish failed: ${res.status} ${res.text}`);
      return res.json.data as Job;
    },
    async startOperation(path, body) {
      const res = await request(path, { method: "POST", body });
      if (res.status !== 202) throw new Error(`${path}: ${res.status} ${res.text}`);
      return res.json.data as Job;
    },
    patch(jobId, body, token = TOKENS.all) {
      return request(`/internal/v1/jobs/${jobId}`, { method: "PATCH", token, body });
    },
    close: () => server.close(),
  };
}

/** A keys file on disk, for suites that start `jobgate serve` as a process. */
export function writeTestKeysFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "jobgate-keys-"));
  const path = join(dir, "keys.json");
  writeFileSync(path, JSON.stringify(TEST_KEYS));
  return path;
}
