/** Graceful shutdown: held long-polls answered with the current state, streams ended, then closed. */
import { startTestServer } from "./helpers/server.js";
import { openStream } from "./helpers/sse.js";

test("close answers held long-polls at once, ends streams, and stops listening", async () => {
  const api = await startTestServer({ maxWaitS: 60 });
  const job = await api.publish();
  const held = api.request(`/v1/jobs/${job.id}`, { headers: { "if-none-match": '"w/job-1"', prefer: "wait=60" } });
  const stream = await openStream(`${api.url}/v1/jobs/${job.id}/stream`, "mfk_test_reader");
  await stream.until((text) => text.includes("event: job"));
  while (api.server.metrics.heldLongPolls < 1) await new Promise((resolve) => setImmediate(resolve));

  const started = performance.now();
  await api.close();
  const res = await held;
  expect(performance.now() - started).toBeLessThan(5000);
  expect(res.status).toBe(200);
  expect(res.json.data).toMatchObject({ id: job.id, status: "queued" });
  expect(res.headers.get("etag")).toBe('"w/job-1"');
  await stream.ended;
  await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
});
