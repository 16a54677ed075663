/**
 * `jobgate jobs watch` (SSE, and its fallback to long-poll behind a buffering proxy or a
 * cut stream), `jobgate call` (args, @file, the environment contract of the constructs),
 * `jobs get|list`.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { allOutput, assertBuilt, runCli, startCli, until } from "./helpers/cli.js";

let api: TestServer;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  api = await startTestServer({ maxWaitS: 60, heartbeatMs: 60_000 });
  env = { JOBGATE_API_URL: api.url, JOBGATE_TOKEN: TOKENS.all };
});
afterAll(async () => {
  await api.close();
  for (const text of allOutput) expect(text).not.toContain(TOKENS.all);
});

/** An HTTP proxy that passes everything but mistreats SSE: buffers it whole, or cuts it after the first event. */
async function startSseHostileProxy(mode: "buffer" | "cut"): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const upstream = request({ host: "127.0.0.1", port: api.server.port, method: req.method, path: req.url, headers: req.headers }, (up: IncomingMessage) => {
      if (!req.url!.endsWith("/stream")) {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
        return;
      }
      if (mode === "buffer") {
        const chunks: Buffer[] = [];
        up.on("data", (c: Buffer) => chunks.push(c));
        up.on("end", () => res.writeHead(up.statusCode!, up.headers).end(Buffer.concat(chunks)));
        res.on("close", () => up.destroy());
        return;
      }
      res.writeHead(up.statusCode!, up.headers);
      let seen = "";
      up.on("data", (c: Buffer) => {
        seen += c.toString();
        if (seen.includes("event: job")) {
          up.destroy();
          res.write(c, () => res.destroy());
        } else res.write(c);
      });
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => undefined).finally(() => server.closeAllConnections()),
  };
}

describe("jobs watch", () => {
  test("follows the job over SSE to its end", async () => {
    const job = await api.publish();
    const cli = startCli(["jobs", "watch", job.id, "--json"], env);
    await cli.waitForStderr(/queued 0%/);
    await until(() => api.server.metrics.openStreams === 1, "the stream to be open");
    await api.patch(job.id, { status: "running", progress: 0.25 });
    await cli.waitForStderr(/running 25%/);
    await api.patch(job.id, { status: "succeeded", result: { release_id: "rel_9" } });
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: job.id, status: "succeeded" });
    expect(result.stderr).not.toContain("falling back");
    expect(api.server.metrics.heldLongPolls).toBe(0);
  });

  test("a failed job exits 1 with its error", async () => {
    const job = await api.publish();
    const cli = startCli(["jobs", "watch", job.id], env);
    await until(() => api.server.metrics.openStreams === 1, "the stream to be open");
    await api.patch(job.id, { status: "failed", error: { code: "build_failed", message: "npm ci exited 1" } });
    const result = await cli.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`failed: build_failed: npm ci exited 1`);
  });

  test("behind a proxy that buffers SSE, falls back to long-poll after --first-event-timeout", async () => {
    const proxy = await startSseHostileProxy("buffer");
    try {
      const job = await api.publish();
      const cli = startCli(["jobs", "watch", job.id, "--first-event-timeout", "1s"], { ...env, JOBGATE_API_URL: proxy.url });
      await cli.waitForStderr(/falling back to long-poll/);
      await until(() => api.server.metrics.heldLongPolls === 1, "the fallback long-poll");
      await api.patch(job.id, { status: "succeeded" });
      const result = await cli.done;
      expect(result.code).toBe(0);
      expect(result.stderr).toContain("no event on the stream within 1s (a buffering proxy?); falling back to long-poll");
    } finally {
      await proxy.close();
    }
  });

  test("when the stream is cut, falls back to long-poll", async () => {
    const proxy = await startSseHostileProxy("cut");
    try {
      const job = await api.publish();
      const cli = startCli(["jobs", "watch", job.id], { ...env, JOBGATE_API_URL: proxy.url });
      await cli.waitForStderr(/falling back to long-poll/);
      await until(() => api.server.metrics.heldLongPolls === 1, "the fallback long-poll");
      await api.patch(job.id, { status: "succeeded" });
      const result = await cli.done;
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/the stream (was cut|ended before the job finished)/);
    } finally {
      await proxy.close();
    }
  });

  test("--timeout is honoured while streaming (exit 3, last state)", async () => {
    const job = await api.publish();
    await api.patch(job.id, { status: "running", progress: 0.4 });
    const result = await runCli(["jobs", "watch", job.id, "--timeout", "1s"], env);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`timed out after 1s waiting for ${job.id}; last state: running 40%`);
  });
});

describe("call", () => {
  test("prints the job id without --wait", async () => {
    const result = await runCli(["call", "POST", "/v1/sites/site_1/deploys", "--data", '{"duration_ms": 60000}'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^job_[0-9A-HJKMNP-TV-Z]{26}\n$/);
  });

  test("--wait follows the job: exit 0 on success", async () => {
    const result = await runCli(["call", "POST", "/v1/sites/site_1/deploys", "--data", '{"duration_ms": 300}', "--wait", "--json"], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: "succeeded", result: { release_id: expect.stringMatching(/^rel_/) } });
  });

  test("takes METHOD, PATH, body and idempotency key from the environment (the constructs' contract)", async () => {
    const callEnv = {
      ...env,
      JOBGATE_CALL_METHOD: "POST",
      JOBGATE_CALL_PATH: "/v1/sites/site_1/builds",
      JOBGATE_CALL_BODY: '{"duration_ms": 200, "fail": true}',
      JOBGATE_IDEMPOTENCY_KEY: `build-${Date.now()}`,
    };
    const first = await runCli(["call", "--wait"], callEnv);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/failed: build_failed: /);
    // The same key again: the same job, not a new one.
    const again = await runCli(["call", "--json"], callEnv);
    expect(again.code).toBe(0);
    const id = /job (job_\w+)/.exec(first.stderr)![1];
    expect(JSON.parse(again.stdout).id).toBe(id);
  });

  test("--data @file", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "jobgate-body-")), "body.json");
    writeFileSync(file, '{"duration_ms": 100}');
    const result = await runCli(["call", "POST", "/v1/sites/site_1/deploys", "--data", `@${file}`, "--wait", "--quiet"], env);
    expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });

  test.each([
    [["call", "POST", "/v1/sites/site_1/deploys", "--data", "{nope"], "--data (--data): not valid JSON"],
    [["call", "POST"], "PATH is required: pass it as an argument or set JOBGATE_CALL_PATH"],
    [["call", "POST", "https://example.test/v1/x"], 'path must be a path on the API starting with "/"'],
    [["call", "POST", "/v1/sites/site_1/deploys", "--wait", "--timeout", "soon"], '--timeout: "soon" is not a duration'],
    [["call", "POST", "/v1/sites/site_1/deploys", "--data", '{"duration_ms": -1}'], "400 invalid_request: duration_ms must be"],
  ])("%j exits 2", async (args, message) => {
    const result = await runCli(args, env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  test.each([
    [
      "answers 503 with Retry-After: 30 (retried past it before)",
      "unavailable",
      6,
      "was unreachable when the 2s timeout passed calling POST /v1/sites/site_1/deploys",
    ],
    ["never answers", "hang", 3, "timed out after 2s calling POST /v1/sites/site_1/deploys; no answer yet"],
  ] as const)("--wait --timeout bounds the call too: an API that %s ends at the deadline", async (_what, mode, code, message) => {
    const held = new Set<ServerResponse>();
    const server = createServer((req, res) => {
      req.resume();
      if (mode === "hang") return void held.add(res);
      res
        .writeHead(503, { "Content-Type": "application/json", "Retry-After": "30", "X-Request-Id": "req_1" })
        .end(JSON.stringify({ error: { code: "unavailable", message: "try again later" }, request_id: "req_1" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const cli = startCli(["call", "POST", "/v1/sites/site_1/deploys", "--wait", "--timeout", "2s"], { ...env, JOBGATE_API_URL: url });
      // Without the deadline the first retry alone would sleep 30 s (or the request would wait 30 s for its own timeout).
      const guard = setTimeout(() => cli.child.kill("SIGKILL"), 20_000);
      const result = await cli.done;
      clearTimeout(guard);
      expect(result.stderr).toContain(message);
      expect(result.code).toBe(code);
    } finally {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test("a token without the operation's scope exits 4; an unknown operation path exits 5", async () => {
    const noScope = await runCli(["call", "POST", "/v1/sites/site_1/deploys"], { ...env, JOBGATE_TOKEN: TOKENS.publisher });
    expect(noScope.code).toBe(4);
    expect(noScope.stderr).toContain("403 insufficient_scope");
    const unknown = await runCli(["call", "POST", "/v1/sites/site_1/nothing-here"], env);
    expect(unknown.code).toBe(5);
  });
});

describe("jobs get and list", () => {
  test("get prints the job (--json: the object)", async () => {
    const job = await api.publish();
    const human = await runCli(["jobs", "get", job.id], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`id          ${job.id}`);
    const json = await runCli(["jobs", "get", job.id, "--json"], env);
    expect(JSON.parse(json.stdout)).toEqual(job);
    expect((await runCli(["jobs", "get", "job_missing"], env)).code).toBe(5);
  });

  test("list: a table, --json, filters, --limit and --all", async () => {
    for (let i = 0; i < 3; i++) await api.publish({ resource: { type: "build", site_id: "site_1" }, type: "build.run" });
    const table = await runCli(["jobs", "list", "--resource-type", "build", "--limit", "2"], env);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+TYPE\s+STATUS\s+PROGRESS\s+RESOURCE\s+CREATED$/);
    expect(table.stdout.trim().split("\n")).toHaveLength(3);
    expect(table.stderr).toMatch(/more jobs: --all, or --cursor \S+/);
    const all = await runCli(["jobs", "list", "--resource-type", "build", "--limit", "2", "--all", "--json"], env);
    const parsed = JSON.parse(all.stdout);
    expect(parsed.data.length).toBeGreaterThanOrEqual(3);
    expect(parsed.next_cursor).toBeNull();
    expect(parsed.data.every((j: { type: string }) => j.type === "build.run")).toBe(true);
    const bad = await runCli(["jobs", "list", "--status", "done"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--status must be one of queued, running, succeeded, failed, got "done"');
  });
});
