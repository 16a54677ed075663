/**
 * What the CLI prints of text it did not write (spec §2 "every bad input answered"): a
 * producer's `error.message` with terminal escapes, bell or carriage returns cannot move
 * the cursor or forge a line in a CI log; a token that could not travel in a header is a
 * usage error (exit 2), not a network failure to retry.
 */
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { assertBuilt, runCli, startCli, until } from "./helpers/cli.js";

let api: TestServer;
beforeAll(async () => {
  assertBuilt();
  api = await startTestServer({ maxWaitS: 30 });
});
afterAll(() => api.close());

test("a failed job's message is printed with control characters escaped, on one line", async () => {
  const job = await api.publish();
  const cli = startCli(["jobs", "wait", job.id], { JOBGATE_API_URL: api.url, JOBGATE_TOKEN: TOKENS.all });
  await until(() => api.server.metrics.heldLongPolls >= 1, "a held long-poll");
  const forged = "disk full\r\njobgate: job_ok succeeded 100%\x1b[2K\x07";
  await api.patch(job.id, { status: "failed", error: { code: "deploy_failed", message: forged } });
  const result = await cli.done;
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`jobgate: job ${job.id} failed: deploy_failed: disk full jobgate: job_ok succeeded 100%\\x1b[2K\\x07\n`);
  expect(result.stderr).not.toMatch(/[\x07\x1b\r]/);
});

test("a succeeded job's result is printed with line separators and C1 controls escaped, on one line", async () => {
  const job = await api.publish();
  const cli = startCli(["jobs", "wait", job.id], { JOBGATE_API_URL: api.url, JOBGATE_TOKEN: TOKENS.all });
  await until(() => api.server.metrics.heldLongPolls >= 1, "a held long-poll");
  // JSON.stringify leaves U+2028/U+2029 and C1 controls (U+009B is a one-character CSI) as they are.
  await api.patch(job.id, { status: "succeeded", result: { release_id: "rel_1\u2028jobgate: job_x failed\u009b2J" } });
  const result = await cli.done;
  expect(result.code).toBe(0);
  expect(result.stderr).toContain(`jobgate: ${job.id} succeeded 100% {"release_id":"rel_1 jobgate: job_x failed\\x9b2J"}\n`);
  expect(result.stderr).not.toMatch(/[\u2028\u2029\u0080-\u009f]/);
});

test("a token with a control character is a usage error (exit 2) naming the problem, not retried", async () => {
  const result = await runCli(["jobs", "wait", "job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK", "--timeout", "30s"], {
    JOBGATE_API_URL: api.url,
    JOBGATE_TOKEN: "mfk_test\x01secret",
  });
  expect(result.code).toBe(2);
  expect(result.stderr).toBe("jobgate: token must be visible ASCII characters, without spaces or control characters\n");
  expect(result.ms).toBeLessThan(10_000);
});
