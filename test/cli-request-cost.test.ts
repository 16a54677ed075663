/**
 * What a `jobgate jobs wait` costs the server: one GET per change plus one per hold that
 * runs out (--max-wait), never a poll loop. Counted on the server's own http listener.
 */
import type { IncomingMessage } from "node:http";
import { TOKENS } from "./helpers/keys.js";
import { startTestServer } from "./helpers/server.js";
import { allOutput, assertBuilt, startCli, until } from "./helpers/cli.js";

beforeAll(() => assertBuilt());
afterAll(() => {
  for (const text of allOutput) expect(text).not.toContain(TOKENS.all);
});

test("what a wait costs: one request per change plus one per hold that times out", async () => {
  const short = await startTestServer({ maxWaitS: 2 });
  let requests = 0;
  short.server.http.on("request", (req: IncomingMessage) => {
    if (req.method === "GET" && req.url!.startsWith("/v1/jobs/")) requests++;
  });
  try {
    const job = await short.publish();
    const cli = startCli(["jobs", "wait", job.id, "--quiet"], { JOBGATE_API_URL: short.url, JOBGATE_TOKEN: TOKENS.all });
    const started = performance.now();
    await until(() => short.server.metrics.heldLongPolls === 1, "the first hold");
    for (const progress of [0.2, 0.4, 0.6, 0.8]) {
      await until(() => short.server.metrics.heldLongPolls === 1, "a hold");
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // paces the job's changes (the thing measured)
      await short.patch(job.id, { status: "running", progress });
    }
    await until(() => short.server.metrics.heldLongPolls === 1, "a hold");
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // one hold times out (max wait 2 s)
    await short.patch(job.id, { status: "succeeded" });
    const result = await cli.done;
    expect(result.code).toBe(0);
    const seconds = (performance.now() - started) / 1000;
    // 1 initial GET + 5 changes + holds that timed out (≤ seconds / 2) — never a poll loop.
    console.log(`wait of ${seconds.toFixed(1)} s, 5 changes, max-wait 2 s: ${requests} GET requests`);
    expect(requests).toBeGreaterThanOrEqual(6);
    expect(requests).toBeLessThanOrEqual(6 + Math.ceil(seconds / 2) + 1);
  } finally {
    await short.close();
  }
});
