/**
 * The JobStore contract (proxy/store/types.ts, spec §8), run against every backend: a
 * backend's test file calls `describeJobStoreContract(name, fixture)`. Delivery is always
 * waited for, never asserted in the same tick (a networked backend delivers later); the
 * two-instance part runs two stores over one shared backend, as two replicas would be.
 */
import { IdempotencyKeyError, JobExistsError, type JobStore, type NewJob, type StoredJob } from "../proxy/store/types.js";
import { newJobId } from "../proxy/ulid.js";

export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    id: newJobId(),
    account: "acct_1",
    teamId: "team_1",
    type: "deployment.deploy",
    resource: { type: "deployment", id: "site_1", site_id: "site_1" },
    ...overrides,
  };
}

export interface StoreFixture {
  /** A fresh, empty store. */
  create(): Promise<JobStore>;
  /** Two instances over one fresh, empty shared backend. */
  createPair(): Promise<[JobStore, JobStore]>;
}

/** Resolves once `check` holds, polling briefly; fails after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Collects what a subscription delivers. */
function recorder(): { seen: number[]; ended: unknown[]; listener: { onChange(job: StoredJob): void; onEnd(error?: unknown): void } } {
  const seen: number[] = [];
  const ended: unknown[] = [];
  return { seen, ended, listener: { onChange: (job) => seen.push(job.version), onEnd: (error) => ended.push(error) } };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeJobStoreContract(name: string, fixture: StoreFixture): void {
  describe(`JobStore contract: ${name}`, () => {
    let store: JobStore;
    beforeEach(async () => {
      store = await fixture.create();
    });
    afterEach(() => store.close());

    test("insert creates a queued job at version 1 and get returns it", async () => {
      const fresh = newJob();
      const { job, created } = await store.insert(fresh);
      expect(created).toBe(true);
      expect(job).toMatchObject({ ...fresh, status: "queued", progress: 0, result: null, error: null, version: 1 });
      expect(await store.get(fresh.id)).toEqual(job);
      expect(await store.get("job_missing")).toBeUndefined();
    });

    test("insert refuses a taken id", async () => {
      const fresh = newJob();
      await store.insert(fresh);
      await expect(store.insert(fresh)).rejects.toBeInstanceOf(JobExistsError);
    });

    test("creation order is non-decreasing", async () => {
      const jobs: StoredJob[] = [];
      for (let i = 0; i < 20; i++) jobs.push((await store.insert(newJob())).job);
      for (let i = 1; i < jobs.length; i++) expect(jobs[i]!.createdAt).toBeGreaterThanOrEqual(jobs[i - 1]!.createdAt);
    });

    test("an Idempotency-Key returns the first job on a repeat, is a conflict for another request, and is the account's own", async () => {
      const claim = { key: "deploy-abc", fingerprint: "f1" };
      const first = await store.insert(newJob(), claim);
      const again = await store.insert(newJob(), claim);
      expect(again).toEqual({ job: first.job, created: false });
      const other = store.insert(newJob(), { key: "deploy-abc", fingerprint: "f2" });
      await expect(other).rejects.toBeInstanceOf(IdempotencyKeyError);
      await expect(other).rejects.toMatchObject({ reason: "different_request" });
      const elsewhere = await store.insert(newJob({ account: "acct_2" }), claim);
      expect(elsewhere.created).toBe(true);
      expect(elsewhere.job.id).not.toBe(first.job.id);
    });

    test("update bumps the version only when something changes", async () => {
      const { job } = await store.insert(newJob());
      const running = await store.update(job.id, () => ({ status: "running", progress: 0.5 }));
      expect(running).toMatchObject({ status: "running", progress: 0.5, version: 2 });
      const same = await store.update(job.id, () => ({ status: "running", progress: 0.5 }));
      expect(same?.version).toBe(2);
      const nothing = await store.update(job.id, () => undefined);
      expect(nothing?.version).toBe(2);
      expect(await store.update("job_missing", () => ({ progress: 1 }))).toBeUndefined();
    });

    test("update propagates a refusal from mutate and keeps the job", async () => {
      const { job } = await store.insert(newJob());
      await expect(
        store.update(job.id, () => {
          throw new Error("refused");
        }),
      ).rejects.toThrow("refused");
      expect((await store.get(job.id))?.version).toBe(1);
    });

    test("waitForChange resolves at once when the version is already past", async () => {
      const { job } = await store.insert(newJob());
      await store.update(job.id, () => ({ progress: 0.1 }));
      const next = await store.waitForChange(job.id, 1, new AbortController().signal);
      expect(next?.version).toBe(2);
    });

    test("waitForChange wakes every waiter on a change, with the new state", async () => {
      const { job } = await store.insert(newJob());
      const signal = new AbortController().signal;
      const waits = Array.from({ length: 50 }, () => store.waitForChange(job.id, 1, signal));
      await store.update(job.id, () => ({ status: "running", progress: 0.3 }));
      const woken = await Promise.all(waits);
      expect(woken.every((next) => next?.version === 2 && next.progress === 0.3)).toBe(true);
    });

    test("waitForChange resolves undefined on abort, and for a missing job", async () => {
      const { job } = await store.insert(newJob());
      const controller = new AbortController();
      const wait = store.waitForChange(job.id, 1, controller.signal);
      controller.abort();
      await expect(wait).resolves.toBeUndefined();
      await expect(store.waitForChange("job_missing", 0, new AbortController().signal)).resolves.toBeUndefined();
    });

    test("a waiter never misses a change, however soon after the wait starts it lands", async () => {
      const { job } = await store.insert(newJob());
      // Subscribe-before-read: the change may land in the same tick, a microtask, a
      // macrotask or a few ms later — while a networked backend is still subscribing.
      const gaps: (() => Promise<unknown>)[] = [
        async () => undefined,
        () => Promise.resolve(),
        () => new Promise((resolve) => setImmediate(resolve)),
        () => pause(1),
        () => pause(5),
        () => pause(20),
      ];
      let version = 1;
      for (const gap of gaps) {
        const wait = store.waitForChange(job.id, version, new AbortController().signal);
        await gap();
        await store.update(job.id, (current) => ({ progress: Math.min(1, current.progress + 0.1) }));
        version++;
        expect((await wait)?.version).toBe(version);
      }
    });

    test("subscribe delivers every change, in order, until unsubscribed", async () => {
      const { job } = await store.insert(newJob());
      const { seen, ended, listener } = recorder();
      const unsubscribe = store.subscribe(job.id, 1, listener);
      await store.update(job.id, () => ({ progress: 0.1 }));
      await store.update(job.id, () => ({ progress: 0.2 }));
      await eventually(() => seen.length === 2);
      expect(seen).toEqual([2, 3]);
      unsubscribe();
      await store.update(job.id, () => ({ progress: 0.3 }));
      await pause(50);
      expect(seen).toEqual([2, 3]);
      expect(ended).toEqual([]);
    });

    test("subscribe catches up once on a state that was already past, and never repeats it", async () => {
      const { job } = await store.insert(newJob());
      await store.update(job.id, () => ({ progress: 0.5 }));
      const { seen, listener } = recorder();
      const unsubscribe = store.subscribe(job.id, 1, listener);
      await store.update(job.id, () => ({ progress: 0.6 })); // may land before the catch-up runs
      await eventually(() => seen.includes(3));
      await pause(20);
      expect(seen.filter((version) => version === 3)).toEqual([3]);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      unsubscribe();
    });

    test("subscribe to a missing job ends at once, without an error", async () => {
      const { ended, listener } = recorder();
      store.subscribe("job_missing", 0, listener);
      await eventually(() => ended.length === 1);
      expect(ended).toEqual([undefined]);
    });

    test("list returns the scope's jobs newest first, filtered and paged by position", async () => {
      const a = (await store.insert(newJob())).job;
      const b = (await store.insert(newJob({ resource: { type: "build", id: "site_2", site_id: "site_2" } }))).job;
      const c = (await store.insert(newJob({ teamId: "team_2" }))).job;
      await store.insert(newJob({ account: "acct_2" }));
      await store.update(a.id, () => ({ status: "running" }));

      const ids = async (query: Parameters<JobStore["list"]>[0]) => (await store.list(query)).map((job) => job.id);
      expect(await ids({ scope: { account: "acct_1" }, limit: 10 })).toEqual([c.id, b.id, a.id]);
      expect(await ids({ scope: { account: "acct_1" }, status: "running", limit: 10 })).toEqual([a.id]);
      expect(await ids({ scope: { account: "acct_1" }, resourceType: "build", limit: 10 })).toEqual([b.id]);
      expect(await ids({ scope: { account: "acct_1", teamId: "team_2" }, limit: 10 })).toEqual([c.id]);
      expect(await ids({ scope: { account: "acct_1", siteId: "site_2" }, limit: 10 })).toEqual([b.id]);
      const page = await store.list({ scope: { account: "acct_1" }, limit: 2 });
      expect(page.map((job) => job.id)).toEqual([c.id, b.id]);
      expect(await ids({ scope: { account: "acct_1" }, limit: 2, after: page[1]! })).toEqual([a.id]);
    });

    test("list fills a page past jobs the scope or filters exclude: a short page is the last", async () => {
      const mine: string[] = [];
      for (let i = 0; i < 30; i++) {
        const site = i % 3 === 0 ? "site_1" : "site_2";
        const { job } = await store.insert(newJob({ resource: { type: "deployment", id: site, site_id: site } }));
        if (site === "site_1") mine.unshift(job.id);
      }
      const first = await store.list({ scope: { account: "acct_1", siteId: "site_1" }, limit: 6 });
      expect(first.map((job) => job.id)).toEqual(mine.slice(0, 6));
      const rest = await store.list({ scope: { account: "acct_1", siteId: "site_1" }, limit: 6, after: first[5]! });
      expect(rest.map((job) => job.id)).toEqual(mine.slice(6));
    });

    test("stats count jobs by status", async () => {
      const { job } = await store.insert(newJob());
      await store.insert(newJob());
      await store.update(job.id, () => ({ status: "succeeded", progress: 1 }));
      expect(await store.stats()).toMatchObject({ jobs: 2, inFlight: 1, byStatus: { queued: 1, running: 0, succeeded: 1, failed: 0 } });
    });

    test("the cursor secret is stable, and the store reports itself healthy", async () => {
      const secret = await store.cursorSecret();
      expect(secret.length).toBeGreaterThanOrEqual(32);
      expect(Buffer.from(await store.cursorSecret()).equals(Buffer.from(secret))).toBe(true);
      await expect(store.checkHealth()).resolves.toBeUndefined();
    });
  });

  describe(`JobStore contract, two instances over one backend: ${name}`, () => {
    let a: JobStore;
    let b: JobStore;
    beforeEach(async () => {
      [a, b] = await fixture.createPair();
    });
    afterEach(async () => {
      await a.close();
      await b.close();
    });

    test("a job inserted through one is read, listed and updated through the other", async () => {
      const { job } = await a.insert(newJob());
      expect(await b.get(job.id)).toEqual(job);
      expect((await b.list({ scope: { account: "acct_1" }, limit: 10 })).map((listed) => listed.id)).toEqual([job.id]);
      expect((await b.update(job.id, () => ({ progress: 0.4 })))?.version).toBe(2);
      expect((await a.get(job.id))?.progress).toBe(0.4);
    });

    test("a change through one wakes a long-poll and a stream on the other", async () => {
      const { job } = await a.insert(newJob());
      const wait = b.waitForChange(job.id, 1, new AbortController().signal);
      const { seen, listener } = recorder();
      const unsubscribe = b.subscribe(job.id, 1, listener);
      await pause(20); // both registered on b before the change
      await a.update(job.id, () => ({ status: "running", progress: 0.2 }));
      expect((await wait)?.version).toBe(2);
      await eventually(() => seen.length === 1);
      expect(seen).toEqual([2]);
      unsubscribe();
    });

    test("a waiter on one never misses a change through the other, however soon it lands", async () => {
      const { job } = await a.insert(newJob());
      let version = 1;
      for (const gapMs of [0, 0, 1, 2, 5, 10, 20]) {
        const wait = b.waitForChange(job.id, version, new AbortController().signal);
        if (gapMs > 0) await pause(gapMs);
        await a.update(job.id, (current) => ({ progress: Math.min(1, current.progress + 0.1) }));
        version++;
        expect((await wait)?.version).toBe(version);
      }
    });

    test("an Idempotency-Key and the cursor secret are shared", async () => {
      const claim = { key: "build-1", fingerprint: "f" };
      const first = await a.insert(newJob(), claim);
      expect(await b.insert(newJob(), claim)).toEqual({ job: first.job, created: false });
      expect(Buffer.from(await b.cursorSecret()).equals(Buffer.from(await a.cursorSecret()))).toBe(true);
    });
  });
}
