import { etagOf } from "../../api/etag.js";
import { isTerminal } from "../../api/job.js";
import { notFound } from "../http/api-error.js";
import type { JobSource, JobView, ReadSide } from "../job-source.js";
import type { StoredJob, JobStore } from "../store/types.js";
import { authorize, type RequestCredentials } from "../tenancy/auth.js";
import type { KeyRing, Principal } from "../tenancy/keys.js";
import { canSee } from "../tenancy/visibility.js";
import { jobJson } from "./job-json.js";

/** One view per immutable snapshot: a 304 costs a WeakMap lookup, not an allocation. */
const views = new WeakMap<StoredJob, JobView>();

export function viewOf(job: StoredJob): JobView {
  let view = views.get(job);
  if (view === undefined) {
    view = { version: job.version, etag: etagOf(job.version), terminal: isTerminal(job.status), json: () => jobJson(job) };
    views.set(job, view);
  }
  return view;
}

/** Standalone mode's read side: the keys file decides who the caller is; the store holds the truth. */
export function standaloneReadSide(keys: KeyRing, store: JobStore): ReadSide<Principal> {
  return {
    authenticate: (credentials: RequestCredentials) => authorize(keys, credentials.authorization, "jobs:read"),
    // One principal per key in the keys file.
    holdKey: (principal) => principal,
    source: new StandaloneJobSource(store),
  };
}

class StandaloneJobSource implements JobSource<Principal> {
  constructor(private readonly store: JobStore) {}

  read(principal: Principal, jobId: string): JobView | Promise<JobView> {
    // Only a job the caller may see is answered from the cache: an invisible one takes the
    // missing one's path (a read), so no timing tells it exists (spec §1).
    const cached = this.store.getCached?.(jobId);
    return cached !== undefined && canSee(principal, cached) ? viewOf(cached) : this.readFresh(principal, jobId);
  }

  readFresh(principal: Principal, jobId: string): Promise<JobView> {
    return this.store.get(jobId, principal).then((job) => {
      if (job === undefined || !canSee(principal, job)) throw notFound(jobId);
      return viewOf(job);
    });
  }

  async waitForChange(_principal: Principal, jobId: string, version: number, signal: AbortSignal): Promise<JobView | undefined> {
    // A job's account and pins never change, so admission by `read` still holds.
    const job = await this.store.waitForChange(jobId, version, signal);
    return job === undefined ? undefined : viewOf(job);
  }

  subscribe(_principal: Principal, jobId: string, version: number, onView: (view: JobView) => void, onEnd: (error?: unknown) => void): () => void {
    return this.store.subscribe(jobId, version, { onChange: (job) => onView(viewOf(job)), onEnd });
  }

  async confirm(_principal: Principal, jobId: string, view: JobView): Promise<JobView> {
    // A change may have landed between the wait's end and now; admission by `read` still
    // holds. The coherent cache vouches as well as a read: 10 000 holds ending at once cost
    // no query; without it (a feed that is down) the store is read, and fails as a 503.
    const job = this.store.getCached?.(jobId) ?? (await this.store.get(jobId));
    return job === undefined ? view : viewOf(job);
  }
}
