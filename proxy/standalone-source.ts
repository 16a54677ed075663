import type { IncomingMessage } from "node:http";
import { isTerminal } from "../client/types.js";
import { notFound } from "./api-error.js";
import { authorize } from "./auth.js";
import { etagOf } from "./etag.js";
import type { JobSource, JobView } from "./job-source.js";
import { jobJson } from "./job-json.js";
import type { KeyRing } from "./keys.js";
import type { JobStore, StoredJob } from "./store/types.js";
import { canSee } from "./visibility.js";

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

/** Standalone mode: the keys file decides who the caller is; the store holds the truth. */
export class StandaloneJobSource implements JobSource {
  constructor(
    private readonly keys: KeyRing,
    private readonly store: JobStore,
  ) {}

  read(req: IncomingMessage, jobId: string): JobView | Promise<JobView> {
    const principal = authorize(this.keys, req.headers.authorization, "jobs:read");
    const admit = (job: StoredJob | undefined): JobView => {
      if (job === undefined || !canSee(principal, job)) throw notFound(jobId);
      return viewOf(job);
    };
    return this.store.getSync !== undefined ? admit(this.store.getSync(jobId)) : this.store.get(jobId).then(admit);
  }

  waitForChange(_req: IncomingMessage, jobId: string, version: number, signal: AbortSignal): Promise<JobView | undefined> {
    // A job's account and pins never change, so admission by `read` still holds.
    return this.store.waitForChange(jobId, version, signal).then((job) => (job === undefined ? undefined : viewOf(job)));
  }

  subscribe(_req: IncomingMessage, jobId: string, version: number, onView: (view: JobView) => void, onEnd: () => void): () => void {
    return this.store.subscribe(jobId, version, (job) => (job === undefined ? onEnd() : onView(viewOf(job))));
  }

  async confirm(_req: IncomingMessage, jobId: string, view: JobView): Promise<JobView> {
    // A change may have landed between the wait's end and now; admission by `read` still holds.
    const job = await this.store.get(jobId);
    return job === undefined ? view : viewOf(job);
  }
}
