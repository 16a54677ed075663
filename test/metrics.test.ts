/** GET /healthz and GET /metrics (prom-client). */
import { startTestServer, type TestServer } from "./helpers/server.js";
import { openStream } from "./helpers/sse.js";

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer({ maxWaitS: 10 });
});
afterAll(() => api.close());

const metric = (text: string, line: string): number | undefined => {
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
};

test("healthz answers ok", async () => {
  const res = await api.request("/healthz", { token: null });
  expect(res.status).toBe(200);
  expect(res.json).toMatchObject({ status: "ok" });
});

test("metrics count requests by route and status, held long-polls, open streams and jobs by status", async () => {
  const job = await api.publish();
  const done = await api.publish();
  await api.patch(done.id, { status: "succeeded" });
  await api.request(`/v1/jobs/${job.id}`);
  await api.request(`/v1/jobs/${job.id}`, { headers: { "if-none-match": '"w/job-1"' } });
  await api.request("/v1/jobs/job_01J00000000000000000000000");
  const held = api.request(`/v1/jobs/${job.id}`, { headers: { "if-none-match": '"w/job-1"', prefer: "wait=10" } });
  const stream = await openStream(`${api.url}/v1/jobs/${job.id}/stream`, "mfk_test_reader");
  await stream.until((text) => text.includes("event: job"));
  while (api.server.metrics.heldLongPolls < 1) await new Promise((resolve) => setImmediate(resolve));

  const res = await api.request("/metrics", { token: null });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  const text = res.text;
  expect(metric(text, 'jobgate_http_requests_total{route="GET /v1/jobs/:jobID",status="200"}')).toBe(1);
  expect(metric(text, 'jobgate_http_requests_total{route="GET /v1/jobs/:jobID",status="304"}')).toBe(1);
  expect(metric(text, 'jobgate_http_requests_total{route="GET /v1/jobs/:jobID",status="404"}')).toBe(1);
  expect(metric(text, 'jobgate_http_requests_total{route="POST /internal/v1/jobs",status="201"}')).toBe(2);
  expect(metric(text, "jobgate_long_polls_held")).toBe(1);
  expect(metric(text, "jobgate_streams_open")).toBe(1);
  expect(metric(text, 'jobgate_jobs{status="queued"}')).toBe(1);
  expect(metric(text, 'jobgate_jobs{status="succeeded"}')).toBe(1);
  expect(text).not.toContain("mfk_");

  await api.patch(job.id, { progress: 0.5 });
  expect((await held).status).toBe(200);
  stream.close();
});
