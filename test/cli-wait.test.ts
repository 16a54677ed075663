/**
 * `jobgate jobs wait` end to end: the built CLI against a real server. Every exit code of
 * spec §9, prompt wake-up after a change, a failed job's error, --timeout, data from the
 * environment, plain output off a terminal, and a token that never shows.
 */
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { allOutput, assertBuilt, closedPort, median, runCli, startCli, until } from "./helpers/cli.js";

let api: TestServer;
let env: Record<string, string>;
const WRONG_TOKEN = "mfk_wrong_secret_value";

beforeAll(async () => {
  assertBuilt();
  api = await startTestServer({ maxWaitS: 60 });
  env = { JOBGATE_API_URL: api.url, JOBGATE_TOKEN: TOKENS.all };
});
afterAll(async () => {
  await api.close();
  for (const text of allOutput) {
    expect(text).not.toContain(TOKENS.all);
    expect(text).not.toContain(WRONG_TOKEN);
  }
});

/** Resolves once the waiter holds a long-poll on the server (so a change must wake it). */
const held = (count = 1) => until(() => api.server.metrics.heldLongPolls >= count, "a held long-poll");

test("exit 0 when the job succeeds; one plain line per state change; --json prints the final job", async () => {
  const job = await api.publish();
  const cli = startCli(["jobs", "wait", job.id, "--json"], env);
  await cli.waitForStderr(/queued 0%/);
  await held();
  await api.patch(job.id, { status: "running", progress: 0.5 });
  await cli.waitForStderr(/running 50%/);
  await api.patch(job.id, { status: "succeeded", result: { release_id: "rel_1" } });
  const result = await cli.done;
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ id: job.id, status: "succeeded", progress: 1, result: { release_id: "rel_1" } });
  expect(result.stderr).toBe(`jobgate: ${job.id} queued 0%\njobgate: ${job.id} running 50%\njobgate: ${job.id} succeeded 100% {"release_id":"rel_1"}\n`);
  expect(result.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/); // no control characters off a terminal
});

test("wakes promptly after a change (median of 5)", async () => {
  const toLine: number[] = [];
  const toExit: number[] = [];
  for (let i = 0; i < 5; i++) {
    const job = await api.publish();
    const cli = startCli(["jobs", "wait", job.id], env);
    await held(1);
    const changedAt = performance.now();
    const patched = api.patch(job.id, { status: "succeeded" });
    await cli.waitForStderr(/succeeded 100%/);
    toLine.push(performance.now() - changedAt);
    await patched;
    const result = await cli.done;
    expect(result.code).toBe(0);
    toExit.push(result.exitedAt - changedAt);
    await until(() => api.server.metrics.heldLongPolls === 0, "holds released");
  }
  const show = (values: number[]) => `${values.map((l) => l.toFixed(0)).join(", ")} (median ${median(values).toFixed(0)})`;
  console.log(`jobs wait wake latency, ms — change → status line: ${show(toLine)}; change → process exit: ${show(toExit)}`);
  expect(median(toLine)).toBeLessThan(1_000); // typically tens of ms
  expect(median(toExit)).toBeLessThan(2_000);
});

test("exit 1 when the job fails, with error.code: error.message on stderr", async () => {
  const job = await api.publish();
  const cli = startCli(["jobs", "wait", job.id], env);
  await held();
  await api.patch(job.id, { status: "failed", error: { code: "deploy_failed", message: "health check timed out on env_1" } });
  const result = await cli.done;
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`jobgate: job ${job.id} failed: deploy_failed: health check timed out on env_1\n`);
  expect(result.stdout).toBe("");
});

test("exit 3 when --timeout passes, with the last state on stderr; the timeout is honoured", async () => {
  const job = await api.publish();
  await api.patch(job.id, { status: "running", progress: 0.3 });
  const result = await runCli(["jobs", "wait", job.id, "--timeout", "1500ms"], env);
  expect(result.code).toBe(3);
  expect(result.stderr).toContain(`jobgate: timed out after 1s500ms waiting for ${job.id}; last state: running 30%`);
  expect(result.ms).toBeGreaterThanOrEqual(1_400);
  expect(result.ms).toBeLessThan(15_000);
});

test("the job id comes from $JOBGATE_JOB_ID when the argument is omitted", async () => {
  const job = await api.publish();
  await api.patch(job.id, { status: "succeeded" });
  const result = await runCli(["jobs", "wait", "--quiet"], { ...env, JOBGATE_JOB_ID: job.id });
  expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
});

describe("exit 2: usage and configuration", () => {
  test.each([
    [["jobs", "wait", "job_x", "--timeout", "5"], {}, '--timeout: "5" is not a duration; expected a number with a unit, such as 90s, 30m or 1h30m'],
    [["jobs", "wait", "job_x", "--timeout", "0s"], {}, "--timeout: must be more than zero"],
    [["jobs", "wait"], {}, "a job id is required: pass it as an argument, or set JOBGATE_JOB_IDS (several, comma- or space-separated) or JOBGATE_JOB_ID"],
    [["jobs", "wait", "job_x"], { JOBGATE_TOKEN: "" }, "no token: set JOBGATE_TOKEN (or pass --token-file PATH)"],
    [["jobs", "wait", "job_x", `--token=${WRONG_TOKEN}`], {}, "--token is not accepted"],
    [["jobs", "wait", "job_x", "--token-file", "/nonexistent/token"], {}, "--token-file /nonexistent/token: cannot read it (ENOENT)"],
    [["jobs", "wait", "job_x", "--api-url", "localhost:8080"], {}, '--api-url: "localhost:8080" is not an http(s) URL; expected e.g. http://127.0.0.1:8080'],
    [["jobs", "wait", "job_x", "--forge-version", "1999-01-01"], {}, "unsupported_version"],
    [["jobs", "wait", "job_x", "--no-such-flag"], {}, "unknown option '--no-such-flag'"],
  ])("%j", async (args, extra, message) => {
    const result = await runCli(args, { ...env, ...extra });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

test("exit 4 for an unknown token and for a token without jobs:read", async () => {
  const job = await api.publish();
  const unknown = await runCli(["jobs", "wait", job.id], { ...env, JOBGATE_TOKEN: WRONG_TOKEN });
  expect(unknown.code).toBe(4);
  expect(unknown.stderr).toContain("401 unauthenticated");
  const noScope = await runCli(["jobs", "wait", job.id], { ...env, JOBGATE_TOKEN: TOKENS.publisher });
  expect(noScope.code).toBe(4);
  expect(noScope.stderr).toContain("403 insufficient_scope");
});

test("exit 5 for a missing job and for one the token cannot see", async () => {
  const missing = await runCli(["jobs", "wait", "job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK"], env);
  expect(missing.code).toBe(5);
  expect(missing.stderr).toContain("404 not_found");
  const job = await api.publish();
  const invisible = await runCli(["jobs", "wait", job.id], { ...env, JOBGATE_TOKEN: TOKENS.other });
  expect(invisible.code).toBe(5);
});

test("exit 6 when the API is unreachable until the deadline", async () => {
  const port = await closedPort();
  const result = await runCli(["jobs", "wait", "job_x", "--timeout", "2s"], { ...env, JOBGATE_API_URL: `http://127.0.0.1:${port}` });
  expect(result.code).toBe(6);
  expect(result.stderr).toContain(`http://127.0.0.1:${port} was unreachable when the 2s timeout passed waiting for job_x`);
  expect(result.stderr).toContain("ECONNREFUSED");
  expect(result.ms).toBeLessThan(15_000);
});

test("the token file works and its content never shows", async () => {
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const file = join(mkdtempSync(join(tmpdir(), "jobgate-token-")), "token");
  writeFileSync(file, `${TOKENS.all}\n`);
  const job = await api.publish();
  await api.patch(job.id, { status: "succeeded" });
  const result = await runCli(["jobs", "wait", job.id, "--token-file", file], { JOBGATE_API_URL: api.url });
  expect(result.code).toBe(0);
});
