/**
 * The JobStore contract (proxy/store/types.ts, spec §8), run against every backend: a
 * backend's test file calls `describeJobStoreContract(name, fixture)`. Delivery is always
 * waited for, never asserted in the same tick (a networked backend delivers later); the
 * two-instance part runs two stores over one shared backend, as two replicas would be.
 */
import {
  AccountFullError,
  IdempotencyKeyError,
  JobExistsError,
  StoreFullError,
  type JobStore,
  type NewJob,
  type StoreBounds,
  type StoredJob,
} from "../proxy/store/types.js";
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
  /** A fresh, empty store with these bounds (the defaults otherwise). */
  create(bounds?: StoreBounds): Promise<JobStore>;
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

  describe(`JobStore contract, bounds and fairness (spec §8): ${name}`, () => {
    const stores: JobStore[] = [];
    const open = async (bounds: StoreBounds): Promise<JobStore> => {
      const opened = await fixture.create(bounds);
      stores.push(opened);
      return opened;
    };
    afterEach(async () => {
      for (const opened of stores.splice(0)) await opened.close();
    });
    const finish = (store: JobStore, id: string) => store.update(id, () => ({ status: "succeeded", progress: 1 }));
    const held = async (store: JobStore, id: string) => (await store.get(id)) !== undefined;

    test("past its quota an account's own oldest finished job makes room; other accounts keep theirs", async () => {
      const store = await open({ maxAccountJobs: 3 });
      const theirs = (await store.insert(newJob({ account: "acct_2" }))).job;
      await finish(store, theirs.id);
      const [a1, a2, a3] = [(await store.insert(newJob())).job, (await store.insert(newJob())).job, (await store.insert(newJob())).job];
      await finish(store, a2.id);
      await finish(store, a1.id); // a2 finished first: it is the oldest finished
      await store.get(a2.id); // and a read does not make it younger
      const a4 = (await store.insert(newJob())).job;
      expect(await held(store, a2.id)).toBe(false);
      for (const id of [a1.id, a3.id, a4.id, theirs.id]) expect(await held(store, id)).toBe(true);
    });

    test("an account whose quota is all in flight is refused (AccountFullError); other accounts are not", async () => {
      const store = await open({ maxAccountJobs: 2 });
      await store.insert(newJob());
      await store.insert(newJob());
      await expect(store.insert(newJob())).rejects.toBeInstanceOf(AccountFullError);
      expect((await store.insert(newJob({ account: "acct_2" }))).created).toBe(true);
    });

    test("at the global bound the heaviest account pays; a lighter one's finished jobs stay", async () => {
      const store = await open({ maxJobs: 6, maxAccountJobs: 100 });
      const light = (await store.insert(newJob({ account: "acct_light" }))).job;
      await finish(store, light.id);
      const heavy: StoredJob[] = [];
      for (let i = 0; i < 5; i++) heavy.push((await store.insert(newJob({ account: "acct_heavy" }))).job);
      await finish(store, heavy[3]!.id);
      await finish(store, heavy[1]!.id);
      await store.insert(newJob({ account: "acct_other" })); // full: the heavy account's oldest finished goes
      expect(await held(store, heavy[3]!.id)).toBe(false);
      expect(await held(store, light.id)).toBe(true);
      await store.insert(newJob({ account: "acct_heavy" })); // its own volume: its next oldest finished goes
      expect(await held(store, heavy[1]!.id)).toBe(false);
      expect(await held(store, light.id)).toBe(true);
    });

    test("at the bound, only jobs in flight and lighter accounts' finished jobs left: StoreFullError, and nothing is evicted", async () => {
      const store = await open({ maxJobs: 4, maxAccountJobs: 100 });
      const light = (await store.insert(newJob({ account: "acct_light" }))).job;
      await finish(store, light.id);
      for (let i = 0; i < 3; i++) await store.insert(newJob({ account: "acct_heavy" }));
      await expect(store.insert(newJob({ account: "acct_heavy" }))).rejects.toBeInstanceOf(StoreFullError);
      expect(await held(store, light.id)).toBe(true); // never the lighter account's finished job
      expect((await store.insert(newJob({ account: "acct_light" }))).created).toBe(true); // its own finished job makes room
      expect(await held(store, light.id)).toBe(false);
      await expect(store.insert(newJob({ account: "acct_third" }))).rejects.toBeInstanceOf(StoreFullError);
    });

    test("another account's Idempotency-Keys never flush this one's", async () => {
      const store = await open({ maxIdempotencyKeysPerAccount: 3 });
      const mine = await store.insert(newJob(), { key: "deploy-1", fingerprint: "f" });
      for (let i = 0; i < 10; i++) await store.insert(newJob({ account: "acct_2" }), { key: `flood-${i}`, fingerprint: "f" });
      expect(await store.insert(newJob(), { key: "deploy-1", fingerprint: "f" })).toEqual({ job: mine.job, created: false });
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

    test("concurrent updates through both lose nothing: each is applied once, to the state before it", async () => {
      const { job } = await a.insert(newJob());
      const step = (current: StoredJob) => ({ progress: Math.round((current.progress + 0.01) * 100) / 100 });
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).update(job.id, step)));
      const final = await b.get(job.id);
      expect(final).toMatchObject({ version: 21, progress: 0.2 });
    });

    test("a change too large for one notification still wakes a waiter on the other, with the full state", async () => {
      const { job } = await a.insert(newJob());
      const wait = b.waitForChange(job.id, 1, new AbortController().signal);
      const { seen, listener } = recorder();
      const unsubscribe = b.subscribe(job.id, 1, listener);
      await pause(20);
      const result = { log: "x".repeat(20_000), release_id: "rel_1" };
      await a.update(job.id, () => ({ status: "succeeded", progress: 1, result }));
      expect((await wait)?.result).toEqual(result);
      await eventually(() => seen.length === 1);
      expect(seen).toEqual([2]);
      unsubscribe();
    });

    test("a demo run is leased to one instance, and taken over by the other once given up or lapsed", async () => {
      const ledgerA = a.demoRuns?.();
      const ledgerB = b.demoRuns?.();
      if (ledgerA === undefined || ledgerB === undefined) return; // runs live and die with the process
      const jobId = newJob().id;
      await ledgerA.add({ jobId, plan: { startedAt: 1, durationMs: 5 } });
      expect(await ledgerB.takeOver()).toEqual([]);
      expect(await ledgerA.renew([jobId])).toEqual(new Set([jobId]));
      await ledgerA.release([jobId]);
      expect(await ledgerB.takeOver()).toEqual([{ jobId, plan: { startedAt: 1, durationMs: 5 } }]);
      expect(await ledgerA.renew([jobId])).toEqual(new Set());
      expect(await ledgerB.renew([jobId])).toEqual(new Set([jobId]));
      await ledgerB.remove(jobId);
      await ledgerB.release([jobId]);
      expect(await ledgerA.takeOver()).toEqual([]);
    });

    test("an Idempotency-Key and the cursor secret are shared", async () => {
      const claim = { key: "build-1", fingerprint: "f" };
      const first = await a.insert(newJob(), claim);
      expect(await b.insert(newJob(), claim)).toEqual({ job: first.job, created: false });
      expect(Buffer.from(await b.cursorSecret()).equals(Buffer.from(await a.cursorSecret()))).toBe(true);
    });
  });
}
