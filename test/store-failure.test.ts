/**
 * A store that cannot answer (spec §8, store contract): reads and held requests answer
 * 503 unavailable with Retry-After — never 404, which a waiter takes as final — and
 * /healthz says 503.
 */
import { FlakyStore } from "./helpers/flaky-store.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let store: FlakyStore;
let api: TestServer;
beforeEach(async () => {
  store = new FlakyStore();
  api = await startTestServer({ maxWaitS: 30 }, { store });
});
afterEach(async () => {
  await api.close();
  await store.close();
});

function expectUnavailable(res: { status: number; headers: Headers; json: any }): void {
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("5");
  expect(res.json.error.code).toBe("unavailable");
  expect(res.json.error.message).toContain("the job store is unavailable");
}

test("a store failure during a hold answers 503 unavailable, not 404", async () => {
  const job = await api.publish();
  const held = api.request(`/v1/jobs/${job.id}`, { headers: { "if-none-match": '"w/job-1"', prefer: "wait=20" } });
  for (let i = 0; i < 200 && api.server.metrics.heldLongPolls === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(api.server.metrics.heldLongPolls).toBe(1);
  store.down = true;
  expectUnavailable(await held);
});

test("while the store is down, reads, lists, writes and /healthz answer 503; they recover with it", async () => {
  const job = await api.publish();
  store.down = true;
  expectUnavailable(await api.request(`/v1/jobs/${job.id}`));
  expectUnavailable(await api.request("/v1/jobs"));
  expectUnavailable(await api.patch(job.id, { status: "running" }));
  expectUnavailable(await api.request("/healthz", { token: null }));
  store.down = false;
  expect((await api.request(`/v1/jobs/${job.id}`)).status).toBe(200);
  expect((await api.request("/healthz", { token: null })).status).toBe(200);
});

test("a stream whose store fails ends, and the client's next request is told why", async () => {
  const job = await api.publish();
  const res = await fetch(`${api.url}/v1/jobs/${job.id}/stream`, { headers: { authorization: "Bearer mfk_test_all_scopes" } });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  await reader.read(); // the preamble and the current state
  store.down = true;
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
  }
  expectUnavailable(await api.request("/v1/jobs"));
});
