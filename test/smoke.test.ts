import { startTestServer, type TestServer } from "./helpers/server.js";

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer();
});
afterAll(() => api.close());

test("a published job can be read back", async () => {
  const job = await api.publish();
  const res = await api.request(`/v1/jobs/${job.id}`);
  expect(res.status).toBe(200);
  expect(res.json.data).toEqual(job);
});
