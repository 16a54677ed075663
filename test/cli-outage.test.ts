/**
 * A network outage in the middle of `jobgate jobs wait` (a TCP relay cut and restored)
 * does not end the wait; one that outlasts --timeout exits 6.
 */
import { MemoryJobStore } from "../proxy/store/memory.js";
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { allOutput, assertBuilt, startCli, startRelay, until, type Relay } from "./helpers/cli.js";

let api: TestServer;
let relay: Relay;

beforeAll(async () => {
  assertBuilt();
  api = await startTestServer({ maxWaitS: 60 });
});
afterEach(() => relay?.close());
afterAll(async () => {
  await api.close();
  for (const text of allOutput) expect(text).not.toContain(TOKENS.all);
});

test("an outage of a few seconds mid-wait does not end it; the wait then sees the change", async () => {
  relay = await startRelay(api.server.port);
  const job = await api.publish();
  const cli = startCli(["jobs", "wait", job.id, "--timeout", "2m"], { JOBGATE_API_URL: relay.url, JOBGATE_TOKEN: TOKENS.all });
  await cli.waitForStderr(/queued 0%/);
  await until(() => api.server.metrics.heldLongPolls === 1, "the wait's long-poll to be held");

  const cutAt = performance.now();
  await relay.cut();
  await cli.waitForStderr(/retrying in/); // it noticed, and keeps going
  await api.patch(job.id, { status: "running", progress: 0.7 }); // a change it cannot see yet
  await until(() => performance.now() - cutAt > 3_000, "three seconds of outage", 10_000);
  expect(cli.child.exitCode).toBeNull();
  await relay.restore();

  await cli.waitForStderr(/running 70%/);
  await until(() => api.server.metrics.heldLongPolls === 1, "the wait to hold again after the outage");
  await api.patch(job.id, { status: "succeeded" });
  const result = await cli.done;
  expect(result.code).toBe(0);
  expect(result.stderr).toMatch(/ECONNREFUSED|socket|other side closed|fetch failed/);
  expect(result.stderr).toContain(`jobgate: ${job.id} succeeded 100%`);
});

test("a server restart mid-wait does not end it (the jobs outlive the process in a shared store)", async () => {
  const store = new MemoryJobStore();
  let first: TestServer | undefined = await startTestServer({ maxWaitS: 60, shutdownGraceMs: 1000 }, { store });
  const port = first.server.port;
  let second: TestServer | undefined;
  try {
    const job = await first.publish();
    const cli = startCli(["jobs", "wait", job.id, "--timeout", "2m"], { JOBGATE_API_URL: first.url, JOBGATE_TOKEN: TOKENS.all });
    await cli.waitForStderr(/queued 0%/);
    await until(() => first!.server.metrics.heldLongPolls === 1, "the wait's long-poll to be held");
    await first.close(); // answers the held poll, then stops listening
    first = undefined;
    await store.update(job.id, () => ({ status: "running", progress: 0.5 }));
    second = await startTestServer({ port, maxWaitS: 60 }, { store });
    await cli.waitForStderr(/running 50%/);
    await until(() => second!.server.metrics.heldLongPolls === 1, "the wait to hold on the new server");
    await second.patch(job.id, { status: "succeeded" });
    const result = await cli.done;
    expect(result.code).toBe(0);
  } finally {
    await first?.close();
    await second?.close();
  }
});

test("an outage that outlasts --timeout exits 6 (unreachable), naming the last state", async () => {
  relay = await startRelay(api.server.port);
  const job = await api.publish();
  const cli = startCli(["jobs", "wait", job.id, "--timeout", "3s"], { JOBGATE_API_URL: relay.url, JOBGATE_TOKEN: TOKENS.all });
  await cli.waitForStderr(/queued 0%/);
  await relay.cut();
  const result = await cli.done;
  expect(result.code).toBe(6);
  expect(result.stderr).toContain(`was unreachable when the 3s timeout passed waiting for ${job.id}`);
  expect(result.stderr).toContain("last state: queued 0%");
  expect(result.ms).toBeLessThan(20_000);
});
