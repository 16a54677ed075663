/**
 * Tenancy (spec §1): every read path — list, get, 304, long-poll, stream — obeys one
 * predicate, and an invisible job answers exactly like a missing one.
 */
import { MemoryJobStore } from "../proxy/store/memory.js";
import type { IdempotencyClaim, Inserted, NewJob } from "../proxy/store/types.js";
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { openStream } from "./helpers/sse.js";

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

/**
 * A store where, just before the next insert, someone of acct_2 publishes under the very id
 * the server made for it — as one can who predicts it (job ids are ULIDs, monotonic within a
 * millisecond, so the next id is often the last one plus one).
 */
class SquattedStore extends MemoryJobStore {
  readonly squatted: string[] = [];
  armed = false;

  override async insert(fresh: NewJob, claim?: IdempotencyClaim): Promise<Inserted> {
    if (this.armed) {
      this.armed = false;
      await super.insert({ ...fresh, account: "acct_2" });
      this.squatted.push(fresh.id);
    }
    return super.insert(fresh, claim);
  }
}

describe("a job id the server made, found taken by another account's job", () => {
  const store = new SquattedStore();
  let squattedApi: TestServer;
  beforeAll(async () => {
    squattedApi = await startTestServer({}, { store });
  });
  afterAll(async () => {
    await squattedApi.close();
    await store.close();
  });

  async function expectUntouchedSquat(): Promise<void> {
    const squat = await squattedApi.request(`/v1/jobs/${store.squatted.at(-1)!}`, { token: TOKENS.other });
    expect(squat.json.data).toMatchObject({ status: "queued", progress: 0 });
    expect(squat.headers.get("etag")).toBe('"w/job-1"');
  }

  test("a demo operation is never answered with the other account's job, nor runs it: its job gets a new id", async () => {
    store.armed = true;
    const res = await squattedApi.request("/v1/sites/site_1/deploys", { method: "POST", body: { duration_ms: 0 } });
    expect(res.status).toBe(202);
    expect(store.squatted).toHaveLength(1);
    expect(res.json.data.id).not.toBe(store.squatted[0]);
    expect(res.headers.get("location")).toBe(`/v1/jobs/${res.json.data.id}`);
    expect((await squattedApi.request(`/v1/jobs/${res.json.data.id}`)).status).toBe(200);
    // Its run is over (the stream ends on the terminal event), and it ran under its own id only.
    const stream = await openStream(`${squattedApi.url}/v1/jobs/${res.json.data.id}/stream`, TOKENS.all);
    await stream.ended;
    expect(stream.text()).toContain('"status":"succeeded"');
    await expectUntouchedSquat();
  });

  test("a publish without an id is not refused for it (409): its job gets a new id", async () => {
    store.armed = true;
    const job = await squattedApi.publish();
    expect(store.squatted).toHaveLength(2);
    expect(job.id).not.toBe(store.squatted[1]);
    expect((await squattedApi.request(`/v1/jobs/${job.id}`)).status).toBe(200);
    await expectUntouchedSquat();
  });
});
