/**
 * Several replicas of `jobgate serve` over one PostgreSQL database behave as one API
 * (spec §8): in process, a change through one wakes the long-polls and streams of the
 * other, a cursor or an Idempotency-Key from one works on the other; as processes behind a
 * round-robin balancer, `kill -9` of every replica mid-wait loses nothing, the database
 * stopped and started mid-wait is answered 503 (never 404) and healed, and a demo job whose
 * replica is killed is taken over by another within 30 s. Plus `jobgate store migrate`.
 */
import { spawn } from "node:child_process";
import type { PostgresJobStore } from "../proxy/store/postgres/store.js";
import { allOutput, assertBuilt, CLI, runCli, startCli, until } from "./helpers/cli.js";
import { TOKENS } from "./helpers/keys.js";
import { describeWithPostgres, TEST_DB_USER, usePostgresCluster } from "./helpers/postgres.js";
import { startBalancer, startReplica, type ReplicaProcess } from "./helpers/replicas.js";
import { startTestServer, writeTestKeysFile, type TestServer } from "./helpers/server.js";
import { jobEvents, openStream } from "./helpers/sse.js";

const postgres = usePostgresCluster();
const auth = { authorization: `Bearer ${TOKENS.all}` };

beforeAll(() => assertBuilt());
afterAll(() => {
  for (const text of allOutput) expect(text).not.toContain(TOKENS.all);
});

/** Resolves once `url` holds `count` long-polls (its /metrics says so). */
async function untilHeld(url: string, count = 1): Promise<void> {
  for (const until = Date.now() + 10_000; ;) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (new RegExp(`^jobgate_long_polls_held ${count}$`, "m").test(text)) return;
    if (Date.now() > until) throw new Error(`${url} never held ${count} long-poll(s)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function publishVia(url: string): Promise<{ id: string }> {
  const res = await fetch(`${url}/internal/v1/jobs`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ type: "deployment.deploy", team_id: "team_1", resource: { type: "deployment", site_id: "site_1" } }),
  });
  if (res.status !== 201) throw new Error(`publish: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: { id: string } }).data;
}

async function patchVia(url: string, id: string, body: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${url}/internal/v1/jobs/${id}`, {
    method: "PATCH",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.text();
  return res.status;
}

describeWithPostgres("two replicas in one process, one database", () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const store = await postgres().createDatabase();
    [a, b] = [await startTestServer({ store, maxWaitS: 10, heartbeatMs: 200 }), await startTestServer({ store, maxWaitS: 10, heartbeatMs: 200 })];
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  test("a change through one answers a long-poll held on the other within milliseconds", async () => {
    const job = await a.publish();
    const held = b.request(`/v1/jobs/${job.id}`, { headers: { "if-none-match": '"w/job-1"', prefer: "wait=10" } });
    await untilHeld(b.url);
    const changedAt = performance.now();
    expect((await a.patch(job.id, { status: "running", progress: 0.4 })).status).toBe(200);
    const res = await held;
    const latency = performance.now() - changedAt;
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe('"w/job-2"');
    expect(res.json.data).toMatchObject({ status: "running", progress: 0.4 });
    expect(latency).toBeLessThan(1_000); // woken by the notice, not polled: typically a few ms
  });

  test("a change through one reaches an SSE stream on the other; the terminal event ends it", async () => {
    const job = await a.publish();
    const stream = await openStream(`${b.url}/v1/jobs/${job.id}/stream`, TOKENS.reader);
    await stream.until((text) => jobEvents(text).length === 1);
    await a.patch(job.id, { status: "running", progress: 0.5 });
    await stream.until((text) => jobEvents(text).length === 2);
    await b.patch(job.id, { status: "succeeded", result: { release_id: "rel_9" } });
    await stream.ended;
    expect(jobEvents(stream.text()).map((event) => [event.id, event.data.status])).toEqual([
      ["1", "queued"],
      ["2", "running"],
      ["3", "succeeded"],
    ]);
  });

  test("a list cursor from one pages on the other: a walk that alternates replicas sees each job once", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push((await (i % 2 === 0 ? a : b).publish({ type: "build.run", resource: { type: "build", site_id: "site_7" } })).id);
    const walked: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page === 0 || cursor !== null; page++) {
      const replica = page % 2 === 0 ? a : b;
      const res = await replica.request(`/v1/jobs?resource_type=build&limit=2${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`);
      expect(res.status).toBe(200);
      walked.push(...res.json.data.filter((job: { resource: { site_id: string } }) => job.resource.site_id === "site_7").map((job: { id: string }) => job.id));
      cursor = res.json.next_cursor;
    }
    expect(walked).toEqual([...ids].reverse());
  });

  test("an Idempotency-Key used on one repeats on the other; calls on both at once make one job; another request is a 409", async () => {
    const operate = (api: TestServer, key: string, body: unknown) =>
      api.request("/v1/sites/site_1/deploys", { method: "POST", headers: { "idempotency-key": key }, body });
    const first = await operate(a, "deploy-across", { duration_ms: 0 });
    const again = await operate(b, "deploy-across", { duration_ms: 0 });
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    const racing = await Promise.all([a, b, a, b].map((api) => operate(api, "deploy-race", { duration_ms: 0 })));
    expect(racing.map((res) => res.status)).toEqual([202, 202, 202, 202]);
    expect(new Set(racing.map((res) => res.json.data.id)).size).toBe(1);
    const different = await operate(b, "deploy-across", { duration_ms: 1 });
    expect(different.status).toBe(409);
    expect(different.json.error).toEqual({ code: "conflict", message: "this Idempotency-Key was used for a different request" });
  });

  test("304s come from the replica's cache, with no query; an invisible job is read like a missing one", async () => {
    const job = await a.publish();
    const store = b.server.store as PostgresJobStore;
    expect((await b.request(`/v1/jobs/${job.id}`)).status).toBe(200); // the first look reads the row
    const reads = store.jobReads;
    for (let i = 0; i < 20; i++) expect((await b.request(`/v1/jobs/${job.id}`, { headers: { "if-none-match": '"w/job-1"' } })).status).toBe(304);
    expect(store.jobReads).toBe(reads);
    await a.patch(job.id, { progress: 0.2 });
    for (const until = Date.now() + 5_000; (await b.request(`/v1/jobs/${job.id}`, { headers: { "if-none-match": '"w/job-1"' } })).status === 304;) {
      if (Date.now() > until) throw new Error("the change never reached b");
    }
    expect(store.jobReads).toBe(reads); // the change came with its notice
    // Another tenant asking for it, and anyone asking for a job that does not exist: the same path, a read each.
    const other = await b.request(`/v1/jobs/${job.id}`, { token: TOKENS.other });
    const missing = await b.request("/v1/jobs/job_01J00000000000000000000000", { token: TOKENS.other });
    expect([other.status, missing.status]).toEqual([404, 404]);
    expect(other.json.error.message).toBe(`job ${job.id} not found`);
    expect(store.jobReads).toBe(reads + 2);
  });

  test("reading a job a key cannot see leaves the replica's cache as it was (spec §2), on every path that reads it", async () => {
    const store = b.server.store as PostgresJobStore;
    const job = await a.publish(); // acct_1, site_1: another account's job for TOKENS.other
    const site2 = await a.publish({ resource: { type: "deployment", site_id: "site_2" } }); // outside TOKENS.site1's pin
    // b has never read either (an insert sends no notice): nothing of them is in its cache.
    expect([store.getCached(job.id), store.getCached(site2.id)]).toEqual([undefined, undefined]);
    for (const [id, token] of [
      [job.id, TOKENS.other],
      [site2.id, TOKENS.site1],
    ] as const) {
      expect((await b.request(`/v1/jobs/${id}`, { token })).status).toBe(404);
      expect((await b.request(`/v1/jobs/${id}`, { token, headers: { "if-none-match": '"w/job-1"', prefer: "wait=5" } })).status).toBe(404);
      expect((await b.request(`/v1/jobs/${id}/stream`, { token })).status).toBe(404);
      expect(store.getCached(id)).toBeUndefined();
    }
    const publishTaken = await b.request("/internal/v1/jobs", {
      method: "POST",
      token: TOKENS.otherPublisher,
      body: { id: job.id, type: "deployment.deploy", team_id: "team_1", resource: { type: "deployment", site_id: "site_1" } },
    });
    expect(publishTaken.status).toBe(409);
    expect((await b.patch(job.id, { progress: 0.5 }, TOKENS.otherPublisher)).status).toBe(404);
    expect(store.getCached(job.id)).toBeUndefined();
    // A reader who may see it: its first look fills the cache, so its 304s need no query.
    expect((await b.request(`/v1/jobs/${job.id}`)).status).toBe(200);
    expect(store.getCached(job.id)?.version).toBe(1);
  });

  test("a job id with a NUL (%00), which PostgreSQL text cannot hold, names no job: 404 on every path, never a 500", async () => {
    for (const id of ["job_%00", "%00", `job_01J00000000000000000000000%00`]) {
      const decoded = decodeURIComponent(id);
      for (const [path, init] of [
        [`/v1/jobs/${id}`, {}],
        [`/v1/jobs/${id}`, { headers: { "if-none-match": '"w/job-1"', prefer: "wait=5" } }],
        [`/v1/jobs/${id}/stream`, {}],
        [`/internal/v1/jobs/${id}`, { method: "PATCH", body: { progress: 0.5 } }],
      ] as const) {
        const res = await b.request(path, init);
        expect([path, res.status]).toEqual([path, 404]);
        expect(res.json.error).toEqual({ code: "not_found", message: `job ${decoded} not found` });
      }
    }
    const store = b.server.store as PostgresJobStore;
    expect(await store.get("job_\u0000")).toBeUndefined();
    expect(await store.update("job_\u0000", () => ({ progress: 1 }))).toBeUndefined();
    await expect(store.waitForChange("job_\u0000", 0, new AbortController().signal)).resolves.toBeUndefined();
    const ended = await new Promise<unknown[]>((resolve) =>
      store.subscribe("job_\u0000", 0, { onChange: () => resolve(["change"]), onEnd: (...args) => resolve(args) }),
    );
    expect(ended).toEqual([]);
  });

  test("a client that saw a newer state through one is never answered an older one by the other, whose cache has not heard yet", async () => {
    const job = await a.publish();
    await a.patch(job.id, { status: "running", progress: 0.5 });
    const store = b.server.store as PostgresJobStore;
    const stale = { ...(await store.get(job.id))!, status: "queued" as const, progress: 0, version: 1 };
    const getCached = store.getCached.bind(store);
    store.getCached = (id) => (id === job.id ? stale : getCached(id)); // the notice of v2 still on its way to b
    try {
      const poll = await b.request(`/v1/jobs/${job.id}`, { headers: { "if-none-match": '"w/job-2"' } });
      expect(poll.status).toBe(304);
      expect(poll.headers.get("etag")).toBe('"w/job-2"');
      const stream = await openStream(`${b.url}/v1/jobs/${job.id}/stream`, TOKENS.reader, { "last-event-id": "2" });
      await stream.until((text) => text.includes(": jobgate stream"));
      await a.patch(job.id, { progress: 0.7 });
      await stream.until((text) => jobEvents(text).length === 1);
      expect(jobEvents(stream.text()).map((event) => event.id)).toEqual(["3"]);
      stream.close();
    } finally {
      store.getCached = getCached;
    }
  });

  test("both are healthy and count the same jobs in /metrics", async () => {
    expect((await a.request("/healthz")).status).toBe(200);
    expect((await b.request("/healthz")).status).toBe(200);
    const counts = async (api: TestServer) => (await (await fetch(`${api.url}/metrics`)).text()).split("\n").filter((line) => line.startsWith("jobgate_jobs{"));
    expect(await counts(a)).toEqual(await counts(b));
    expect((await counts(a)).length).toBeGreaterThan(0);
  });
});

describeWithPostgres("replicas as processes behind a balancer", () => {
  const keysFile = writeTestKeysFile();
  const running = new Set<ReplicaProcess>();
  async function replica(store: string, port = 0, args: string[] = []): Promise<ReplicaProcess> {
    const started = await startReplica({ store, keysFile, port, args });
    running.add(started);
    void started.exited.then(() => running.delete(started));
    return started;
  }
  afterEach(async () => {
    await Promise.all([...running].map((process) => process.kill9()));
  });

  test("kill -9 of both replicas mid-wait: jobgate jobs wait carries on, never sees a 404, and exits 0 when the job succeeds", async () => {
    const store = await postgres().createDatabase();
    const [first, second] = [await replica(store), await replica(store)];
    const balancer = await startBalancer([first.port, second.port]);
    try {
      const job = await publishVia(first.url);
      const cli = startCli(["jobs", "wait", job.id, "--timeout", "2m"], { JOBGATE_API_URL: balancer.url, JOBGATE_TOKEN: TOKENS.all });
      await cli.waitForStderr(/queued 0%/);
      await until(() => /retrying|queued/.test(cli.stderr()), "the wait to start");
      await Promise.race([untilHeld(first.url), untilHeld(second.url)]);
      await Promise.all([first.kill9(), second.kill9()]);
      await cli.waitForStderr(/retrying in/); // it noticed, and keeps going
      const [again1, again2] = [await replica(store, first.port), await replica(store, second.port)];
      expect(await patchVia(again1.url, job.id, { status: "running", progress: 0.6 })).toBe(200);
      await cli.waitForStderr(/running 60%/);
      expect(await patchVia(again2.url, job.id, { status: "succeeded", result: { release_id: "rel_after_restart" } })).toBe(200);
      const result = await cli.done;
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(`jobgate: ${job.id} succeeded 100%`);
      expect(result.stderr).not.toMatch(/not found|404/);
    } finally {
      await balancer.close();
    }
  });

  test("a demo job whose replica is killed -9 is taken over by the other within 30 s, and the wait exits 0", async () => {
    const store = await postgres().createDatabase();
    const [first, second] = [await replica(store), await replica(store)];
    const balancer = await startBalancer([first.port, second.port]);
    try {
      const res = await fetch(`${first.url}/v1/sites/site_1/deploys`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ duration_ms: 3_000 }),
      });
      expect(res.status).toBe(202);
      const job = ((await res.json()) as { data: { id: string } }).data;
      const cli = startCli(["jobs", "wait", job.id, "--timeout", "2m"], { JOBGATE_API_URL: balancer.url, JOBGATE_TOKEN: TOKENS.all });
      await cli.waitForStderr(/running 10%/); // the first replica is running it
      await first.kill9();
      const killedAt = performance.now();
      const result = await cli.done;
      const takenOverIn = result.exitedAt - killedAt;
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(`jobgate: ${job.id} succeeded 100%`);
      expect(takenOverIn).toBeLessThan(30_000);
      expect(second.stdout()).toContain("demo run taken over");
      const final = (await (await fetch(`${second.url}/v1/jobs/${job.id}`, { headers: auth })).json()) as { data: { result: { release_id: string } } };
      expect(final.data.result.release_id).toMatch(/^rel_[0-9A-Z]{26}$/);
      console.log(`demo job taken over and finished ${(takenOverIn / 1000).toFixed(1)} s after kill -9 of its replica`);
    } finally {
      await balancer.close();
    }
  }, 60_000);

  test("the database stopped and started mid-wait: 503 with Retry-After (never 404), /healthz 503; the wait and a stream stay open and see the change after", async () => {
    const store = await postgres().createDatabase();
    const server = await replica(store, 0, ["--max-wait", "3s", "--heartbeat", "200ms"]);
    const job = await publishVia(server.url);
    const cli = startCli(["jobs", "wait", job.id, "--timeout", "2m"], { JOBGATE_API_URL: server.url, JOBGATE_TOKEN: TOKENS.all });
    await cli.waitForStderr(/queued 0%/);
    const stream = await openStream(`${server.url}/v1/jobs/${job.id}/stream`, TOKENS.all);
    await stream.until((text) => jobEvents(text).length === 1);
    await postgres().stop("fast");
    try {
      // Reads answer 503 unavailable with Retry-After, for as long as it lasts.
      for (const until = Date.now() + 10_000; ;) {
        const res = await fetch(`${server.url}/v1/jobs/${job.id}`, { headers: auth });
        const body = (await res.json()) as { error?: { code: string } };
        expect(res.status).not.toBe(404);
        if (res.status === 503) {
          expect(res.headers.get("retry-after")).toBe("5");
          expect(body.error?.code).toBe("unavailable");
          break;
        }
        if (Date.now() > until) throw new Error(`still ${res.status} with the database down`);
      }
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { error: { code: string } }).error.code).toBe("unavailable");
      const listed = await fetch(`${server.url}/v1/jobs`, { headers: auth });
      expect(listed.status).toBe(503);
      // /metrics still answers, without job counts it cannot vouch for.
      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).not.toMatch(/^jobgate_jobs\{/m);
      const publish = await fetch(`${server.url}/internal/v1/jobs`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ type: "deployment.deploy", team_id: "team_1", resource: { type: "deployment", site_id: "site_1" } }),
      });
      expect(publish.status).toBe(503);
      // The stream is still open: heartbeats keep coming.
      const beats = stream.text().split(": heartbeat").length;
      await stream.until((text) => text.split(": heartbeat").length >= beats + 2);
      expect(cli.child.exitCode).toBeNull();
    } finally {
      await postgres().start();
    }
    for (const until = Date.now() + 15_000; (await fetch(`${server.url}/healthz`)).status !== 200;) {
      if (Date.now() > until) throw new Error("/healthz never came back after the database did");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await patchVia(server.url, job.id, { status: "succeeded" })).toBe(200);
    await stream.ended;
    expect(jobEvents(stream.text()).map((event) => event.data.status)).toEqual(["queued", "succeeded"]);
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`jobgate: ${job.id} succeeded 100%`);
    expect(result.stderr).not.toMatch(/not found|404/);
  }, 60_000);
});

describeWithPostgres("the store over a unix socket (postgres://user@/db?host=DIR, as the README gives it)", () => {
  /** The URL of a fresh database, through the cluster's socket in `socketDir`. */
  const socketUrl = async (socketDir = postgres().socketDir) => {
    const db = new URL(await postgres().createDatabase()).pathname.slice(1);
    return { db, url: `postgres://${TEST_DB_USER}@/${db}?host=${encodeURIComponent(socketDir)}&port=${postgres().port}` };
  };

  test("jobgate store migrate takes it; a socket that is not there is unreachable (exit 6), as a refused port is", async () => {
    const { db, url } = await socketUrl();
    const migrated = await runCli(["store", "migrate"], { JOBGATE_STORE_URL: url });
    expect(migrated).toMatchObject({ code: 0, stderr: "" });
    expect(migrated.stdout).toMatch(
      new RegExp(`^jobgate store migrate: postgres://${TEST_DB_USER}@${postgres().socketDir}/${db}: migrated from version 0 to 1`),
    );
    const missing = await runCli(["store", "migrate", "--store", `postgres://${TEST_DB_USER}@/${db}?host=/nonexistent-jobgate-socket-dir`]);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toBe(
      `jobgate store migrate: cannot reach postgres://${TEST_DB_USER}@/nonexistent-jobgate-socket-dir/${db}: the database cannot be reached (ENOENT)\n`,
    );
  });

  test("a server on it answers 503 with Retry-After while the database is stopped (its socket gone) — never a 500 — and recovers", async () => {
    const api = await startTestServer({ store: (await socketUrl()).url });
    try {
      const job = await api.publish();
      await postgres().stop("fast");
      try {
        for (const until = Date.now() + 10_000; ;) {
          const res = await api.request(`/v1/jobs/${job.id}`);
          expect(res.status).not.toBe(500);
          expect(res.status).not.toBe(404);
          if (res.status === 503) {
            expect(res.headers.get("retry-after")).toBe("5");
            expect(res.json.error.message).toBe("the job store is unavailable (the database cannot be reached (ENOENT)); try again shortly");
            break;
          }
          if (Date.now() > until) throw new Error(`still ${res.status} with the database down`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect((await api.patch(job.id, { progress: 0.5 })).status).toBe(503);
        expect((await api.request("/v1/jobs")).status).toBe(503);
      } finally {
        await postgres().start();
      }
      for (const until = Date.now() + 15_000; (await api.request("/healthz")).status !== 200;) {
        if (Date.now() > until) throw new Error("/healthz never came back after the database did");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await api.patch(job.id, { progress: 0.5 })).status).toBe(200);
    } finally {
      await api.close();
    }
  }, 60_000);
});

describeWithPostgres("jobgate store migrate", () => {
  test("creates the schema, then finds nothing to do; three at once on a fresh database: one applies, all succeed", async () => {
    const url = await postgres().createDatabase();
    const first = await runCli(["store", "migrate"], { JOBGATE_STORE_URL: url });
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toBe(
      `jobgate store migrate: ${url}: migrated from version 0 to 1: applied 1 (jobs with list indexes, job and account counts, idempotency keys, settings, demo runs)\n`,
    );
    const second = await runCli(["store", "migrate", "--store", url]);
    expect(second).toMatchObject({ code: 0, stdout: `jobgate store migrate: ${url}: already at version 1; nothing to do\n` });

    const fresh = await postgres().createDatabase();
    const racing = await Promise.all([1, 2, 3].map(() => runCli(["store", "migrate", "--store", fresh])));
    expect(racing.map((run) => run.code)).toEqual([0, 0, 0]);
    expect(racing.filter((run) => run.stdout.includes("migrated from version 0 to 1"))).toHaveLength(1);
    expect(racing.filter((run) => run.stdout.includes("already at version 1"))).toHaveLength(2);
  });

  test("a store that cannot be reached exits 6 naming it without its password; no store exits 2", async () => {
    const unreachable = await runCli(["store", "migrate", "--store", "postgres://jobgate:s3cret@127.0.0.1:1/jobgate"]);
    expect(unreachable.code).toBe(6);
    expect(unreachable.stderr).toBe(
      "jobgate store migrate: cannot reach postgres://jobgate@127.0.0.1:1/jobgate: the database cannot be reached (ECONNREFUSED)\n",
    );
    const none = await runCli(["store", "migrate"], { JOBGATE_STORE_URL: "" });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--store (or JOBGATE_STORE_URL) must be a URL such as postgres://user:password@host:5432/jobgate");
  });

  test("jobgate serve on a store that cannot be reached exits 6; the waiter commands and a server on memory never load the PostgreSQL client", async () => {
    const serve = await runCli(["serve", "--keys", "examples/keys.json", "--port", "0", "--store", "postgres://jobgate:s3cret@127.0.0.1:1/jobgate"]);
    expect(serve.code).toBe(6);
    expect(serve.stderr).toBe("jobgate serve: --store: cannot open the store at postgres://jobgate@127.0.0.1:1/jobgate: ECONNREFUSED\n");
    // Which modules `jobgate jobs wait --help` loads: a resolve hook lists them.
    const hook = `data:text/javascript,${encodeURIComponent(
      'import { register } from "node:module"; register("data:text/javascript," + encodeURIComponent("export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write(\\"loaded \\" + r.url + \\"\\\\n\\"); return r; }"));',
    )}`;
    /** The modules a CLI run loads; a server is stopped once it listens. */
    const modulesOf = (...args: string[]) =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ["--import", hook, CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        child.stderr.on("data", (chunk: Buffer) => {
          err += chunk.toString();
          if (err.includes("listening on")) child.kill("SIGTERM");
        });
        child.on("close", () => resolve(err));
      });
    const waiter = await modulesOf("jobs", "wait", "--help");
    expect(waiter).toContain("/client/");
    expect(waiter).not.toMatch(/node_modules\/(pg|pg-pool|express|pino)\//);
    expect(waiter).not.toContain("/proxy/store/");
    // A server on memory loads Express, never the PostgreSQL client.
    const server = await modulesOf("serve", "--keys", "examples/keys.json", "--port", "0");
    expect(server).toContain("listening on");
    expect(server).toMatch(/node_modules\/express\//);
    expect(server).not.toMatch(/node_modules\/(pg|pg-pool)\//);
  });
});
