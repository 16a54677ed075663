/**
 * Spec §9: a signal ends a waiting command with the shell's convention — SIGINT 130,
 * SIGTERM 143 — at once, and `--version` prints the package's version.
 */
import { readFileSync } from "node:fs";
import { assertBuilt, runCli, startCli, until } from "./helpers/cli.js";
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let api: TestServer;
beforeAll(async () => {
  assertBuilt();
  api = await startTestServer();
});
afterAll(() => api.close());

test.each([
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const)("%s ends a wait with %i, releasing its held request", async (signal, code) => {
  const job = await api.publish();
  const cli = startCli(["jobs", "wait", job.id], { JOBGATE_API_URL: api.url, JOBGATE_TOKEN: TOKENS.all });
  await until(() => api.server.metrics.heldLongPolls === 1, "the held long-poll");
  cli.child.kill(signal);
  const result = await cli.done;
  expect(result.code).toBe(code);
  await until(() => api.server.metrics.heldLongPolls === 0, "the hold to be released");
});

test("--version prints the package's version", async () => {
  const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  const result = await runCli(["--version"]);
  expect(result.code).toBe(0);
  expect(result.stdout).toBe(`${version}\n`);
});
