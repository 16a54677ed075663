import type { Logger } from "pino";
import type { FetchLike } from "../../client/options.js";
import type { HoldWindow } from "../../client/hold-window.js";
import type { Credential } from "../tenancy/auth.js";
import { JobWatch, type WatchOptions } from "./job-watch.js";
import type { UpstreamCache } from "./upstream-cache.js";
import type { UpstreamHealth } from "./upstream-health.js";

/** At most one running watch per job; a watch that ends removes itself. */
export class WatchRegistry {
  private readonly watches = new Map<string, JobWatch>();

  constructor(
    private readonly options: WatchOptions,
    private readonly deps: {
      cache: UpstreamCache;
      logger: Logger;
      fetchFor: (kind: "watch_stream" | "watch_poll") => FetchLike;
      health: UpstreamHealth;
      holds: HoldWindow;
    },
  ) {}

  /** Starts (or feeds) the job's watch with an admitted caller's credentials. */
  ensure(jobId: string, credentials: Credential): JobWatch {
    let watch = this.watches.get(jobId);
    if (watch === undefined) {
      const created = new JobWatch(jobId, this.options, this.deps);
      watch = created;
      this.watches.set(jobId, created);
      void created.run().finally(() => {
        if (this.watches.get(jobId) === created) this.watches.delete(jobId);
      });
    }
    watch.offer(credentials);
    return watch;
  }

  get(jobId: string): JobWatch | undefined {
    return this.watches.get(jobId);
  }

  stats(): { watches: number; pollers: number; maxPollersPerWatch: number } {
    let pollers = 0;
    let maxPollersPerWatch = 0;
    for (const jobId of this.watches.keys()) {
      const count = this.deps.cache.waiters(jobId);
      pollers += count;
      maxPollersPerWatch = Math.max(maxPollersPerWatch, count);
    }
    return { watches: this.watches.size, pollers, maxPollersPerWatch };
  }

  stopAll(): void {
    for (const watch of this.watches.values()) watch.stop();
    this.watches.clear();
  }
}
