/**
 * One tenant must not hurt another (spec §2 "Fair share", §4 list cost, §8 fairness), on a
 * real server: a flood of another account's jobs leaves this account's finished jobs and
 * publishes alone, an account past its quota is told 429, Idempotency-Keys are the
 * account's own, and a page of a pinned key's list costs its size, whatever else is stored.
 */
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import type { MemoryJobStore } from "../proxy/store/memory.js";

const mine = { type: "deployment.deploy", team_id: "team_1", resource: { type: "deployment", site_id: "site_1" } };

describe("another account's volume", () => {
  async function finishedJobs(api: TestServer, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const job = await api.publish();
      await api.patch(job.id, { status: "succeeded" });
      ids.push(job.id);
    }
    return ids;
  }

  async function flood(api: TestServer, count: number): Promise<Array<{ status: number; json: any; headers: Headers }>> {
    const answers = [];
    for (let i = 0; i < count; i++) answers.push(await api.request("/internal/v1/jobs", { method: "POST", token: TOKENS.otherPublisher, body: mine }));
    return answers;
  }

  test("filling the store (--max-jobs) leaves this account's finished jobs and its next publish alone: the flooder gets 503", async () => {
    const api = await startTestServer({ maxJobs: 50 });
    try {
      const finished = await finishedJobs(api, 10);
      const answers = await flood(api, 60);
      expect(answers.filter((res) => res.status === 201)).toHaveLength(40);
      const refused = answers.filter((res) => res.status !== 201);
      expect(refused).toHaveLength(20);
      for (const res of refused) {
        expect(res.status).toBe(503);
        expect(res.json.error.code).toBe("unavailable");
        expect(res.headers.get("retry-after")).toBe("5");
      }
      for (const id of finished) expect((await api.request(`/v1/jobs/${id}`)).status).toBe(200);
      // This account's own oldest finished job makes room for its next job.
      expect((await api.request("/internal/v1/jobs", { method: "POST", body: mine })).status).toBe(201);
      expect((await api.request(`/v1/jobs/${finished[0]}`)).status).toBe(404);
      expect((await api.request(`/v1/jobs/${finished[1]}`)).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  test("an account past its own quota (--max-account-jobs), all in flight, is told 429 naming the limit; others publish on", async () => {
    const api = await startTestServer({ maxAccountJobs: 30 });
    try {
      const answers = await flood(api, 40);
      expect(answers.filter((res) => res.status === 201)).toHaveLength(30);
      const refused = answers.filter((res) => res.status !== 201);
      expect(refused).toHaveLength(10);
      for (const res of refused) {
        expect(res.status).toBe(429);
        expect(res.json.error.code).toBe("rate_limited");
        expect(res.json.error.message).toContain("(--max-account-jobs 30)");
        expect(res.headers.get("retry-after")).toBe("5");
      }
      expect((await api.request("/internal/v1/jobs", { method: "POST", body: mine })).status).toBe(201);
      const metrics = await api.request("/metrics", { token: null });
      expect(metrics.text).toMatch(/jobgate_limit_hits_total\{limit="max_account_jobs"\} 10/);
    } finally {
      await api.close();
    }
  });
});

test("another account's flood of Idempotency-Keys does not flush this account's", async () => {
  const api = await startTestServer({ maxIdempotencyKeys: 5, operationDurationMs: 60_000 });
  try {
    const deploy = (token: string, key: string) =>
      api.request("/v1/sites/site_1/deploys", { method: "POST", token, headers: { "idempotency-key": key }, body: {} });
    const first = await deploy(TOKENS.all, "release-42");
    expect(first.status).toBe(202);
    for (let i = 0; i < 20; i++) expect((await deploy(TOKENS.other, `flood-${i}`)).status).toBe(202);
    const again = await deploy(TOKENS.all, "release-42");
    expect(again.status).toBe(202);
    expect(again.json.data.id).toBe(first.json.data.id);
  } finally {
    await api.close();
  }
});

describe("list cost", () => {
  let api: TestServer;
  let store: MemoryJobStore;
  beforeAll(async () => {
    api = await startTestServer();
    store = api.server.store as MemoryJobStore;
  });
  afterAll(() => api.close());

  async function timeList(token: string, path: string, runs: number): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      expect((await api.request(path, { token })).status).toBe(200);
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
  }

  test("a site-pinned key's page costs its size, not the jobs of other sites beside it", async () => {
    for (let i = 0; i < 25; i++) await api.publish({ resource: { type: "deployment", site_id: "site_1" } });
    const alone = await timeList(TOKENS.site1, "/v1/jobs", 30);
    const before = store.listExamined;
    const page = await api.request("/v1/jobs", { token: TOKENS.site1 });
    const examinedAlone = store.listExamined - before;

    for (let i = 0; i < 3_000; i++) {
      await store.insert({
        id: `job_${String(i).padStart(26, "0")}`,
        account: "acct_1",
        teamId: "team_1",
        type: "deployment.deploy",
        resource: { type: "deployment", id: "site_2", site_id: "site_2" },
      });
    }
    const start = store.listExamined;
    const beside = await api.request("/v1/jobs", { token: TOKENS.site1 });
    // The exact check: the page asks for 21 (20 and one more, to know there is a next page) and looks at 21.
    expect(store.listExamined - start).toBe(examinedAlone);
    expect(store.listExamined - start).toBe(21);
    expect(beside.json.data).toEqual(page.json.data);
    // And so the time does not grow with them either (a generous bound: the machine is shared).
    const besideTime = await timeList(TOKENS.site1, "/v1/jobs", 30);
    expect(besideTime).toBeLessThan(Math.max(5 * alone, 20));
  });

  test("a filter that excludes most jobs costs the page too", async () => {
    for (let i = 0; i < 5; i++) {
      const job = await api.publish({ resource: { type: "build", site_id: "site_1" } });
      await api.patch(job.id, { status: "running" });
    }
    const start = store.listExamined;
    const res = await api.request("/v1/jobs?status=running&resource_type=build", { token: TOKENS.site1 });
    expect(res.json.data).toHaveLength(5);
    expect(store.listExamined - start).toBe(5);
  });
});
