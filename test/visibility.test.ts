/**
 * Tenancy (spec §1): every read path — list, get, 304, long-poll, stream — obeys one
 * predicate, and an invisible job answers exactly like a missing one.
 */
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer({ maxWaitS: 5 });
});
afterAll(() => api.close());

async function fixtures() {
  const site1 = await api.publish({ team_id: "team_1", resource: { type: "deployment", site_id: "site_1" } });
  const site2 = await api.publish({ team_id: "team_2", resource: { type: "deployment", site_id: "site_2" } });
  const otherTenant = await api.publish({ team_id: "team_1", resource: { type: "deployment", site_id: "site_1" } }, TOKENS.otherPublisher);
  return { site1, site2, otherTenant };
}

const notFoundBody = (id: string) => ({ error: { code: "not_found", message: `job ${id} not found` }, request_id: expect.stringMatching(/^req_/) });

test("get: another account's job and a job outside the key's pins are 404s, like a missing job", async () => {
  const { site1, site2, otherTenant } = await fixtures();
  for (const [token, id] of [
    [TOKENS.reader, otherTenant.id],
    [TOKENS.site1, site2.id],
    [TOKENS.team1, site2.id],
    [TOKENS.other, site1.id],
    [TOKENS.reader, "job_01J00000000000000000000000"],
  ] as const) {
    const res = await api.request(`/v1/jobs/${id}`, { token });
    expect(res.status).toBe(404);
    expect(res.json).toEqual(notFoundBody(id));
    expect(res.headers.get("etag")).toBeNull();
  }
  expect((await api.request(`/v1/jobs/${site1.id}`, { token: TOKENS.site1 })).status).toBe(200);
  expect((await api.request(`/v1/jobs/${site1.id}`, { token: TOKENS.team1 })).status).toBe(200);
  expect((await api.request(`/v1/jobs/${otherTenant.id}`, { token: TOKENS.other })).status).toBe(200);
});

test("304: an invisible job never answers 304, whatever If-None-Match says", async () => {
  const { site2 } = await fixtures();
  for (const inm of ['"w/job-1"', "*", 'W/"w/job-1"']) {
    const res = await api.request(`/v1/jobs/${site2.id}`, { token: TOKENS.site1, headers: { "if-none-match": inm } });
    expect(res.status).toBe(404);
  }
});

test("long-poll: an invisible job never holds — it answers 404 at once", async () => {
  const { site2 } = await fixtures();
  const started = performance.now();
  const res = await api.request(`/v1/jobs/${site2.id}`, {
    token: TOKENS.site1,
    headers: { "if-none-match": '"w/job-1"', prefer: "wait=5" },
  });
  expect(res.status).toBe(404);
  expect(res.headers.get("preference-applied")).toBeNull();
  expect(performance.now() - started).toBeLessThan(2500);
  expect(api.server.metrics.heldLongPolls).toBe(0);
});

test("stream: an invisible job is a JSON 404 before any stream starts", async () => {
  const { site2, otherTenant } = await fixtures();
  for (const [token, id] of [
    [TOKENS.site1, site2.id],
    [TOKENS.reader, otherTenant.id],
  ] as const) {
    const res = await api.request(`/v1/jobs/${id}/stream`, { token });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.json).toEqual(notFoundBody(id));
  }
});

test("list: a key sees only its account's jobs within its pins", async () => {
  const { site1, site2, otherTenant } = await fixtures();
  const ids = async (token: string) => {
    const res = await api.request("/v1/jobs?limit=100", { token });
    expect(res.status).toBe(200);
    return (res.json.data as { id: string }[]).map((job) => job.id);
  };
  const reader = await ids(TOKENS.reader);
  expect(reader).toEqual(expect.arrayContaining([site1.id, site2.id]));
  expect(reader).not.toContain(otherTenant.id);
  const site1Only = await ids(TOKENS.site1);
  expect(site1Only).toContain(site1.id);
  expect(site1Only).not.toContain(site2.id);
  const team1Only = await ids(TOKENS.team1);
  expect(team1Only).toContain(site1.id);
  expect(team1Only).not.toContain(site2.id);
  const other = await ids(TOKENS.other);
  expect(other).toContain(otherTenant.id);
  expect(other).not.toContain(site1.id);
  expect(other).not.toContain(site2.id);
});

test("producer side: PATCH of a job the publisher cannot see is a 404", async () => {
  const { site1, site2 } = await fixtures();
  expect((await api.patch(site1.id, { progress: 0.5 }, TOKENS.otherPublisher)).status).toBe(404);
  expect((await api.patch(site2.id, { progress: 0.5 }, TOKENS.site1Publisher)).status).toBe(404);
  expect((await api.request(`/v1/jobs/${site2.id}`)).json.data.progress).toBe(0);
});
