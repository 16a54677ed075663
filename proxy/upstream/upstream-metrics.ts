import { Counter } from "prom-client";
import type { FetchLike } from "../../client/options.js";
import { sampledGauge, type ServerMetrics } from "../metrics.js";

/** What proxy mode asks of the upstream, by purpose. */
export type UpstreamRequestKind = "access_check" | "watch_stream" | "watch_poll" | "list";

/**
 * Proxy mode's own metrics, in the server's registry: upstream requests by kind (the
 * figure the proxy exists to keep small), active watches, local pollers on them, and
 * whether reads were answered from the cache.
 */
export class UpstreamMetrics {
  private readonly requests: Counter<"kind">;
  private readonly reads: Counter<"source">;

  constructor(
    server: ServerMetrics,
    watchStats: () => { watches: number; pollers: number; maxPollersPerWatch: number },
    /** The fetch the counted requests go out with (proxy mode's network). */
    private readonly baseFetch: FetchLike = globalThis.fetch,
  ) {
    const registers = [server.registry];
    this.requests = new Counter({
      name: "jobgate_upstream_requests_total",
      help: "Requests sent to the upstream jobs API, by kind.",
      labelNames: ["kind"] as const,
      registers,
    });
    this.reads = new Counter({
      name: "jobgate_proxy_reads_total",
      help: "Job reads answered from the cache (hit) or after asking the upstream (miss).",
      labelNames: ["source"] as const,
      registers,
    });
    sampledGauge(server.registry, "jobgate_upstream_watches", "Upstream watches running (one per job with local interest).", () => watchStats().watches);
    sampledGauge(server.registry, "jobgate_upstream_pollers", "Local long-polls and streams held on watched jobs.", () => watchStats().pollers);
    sampledGauge(server.registry, "jobgate_upstream_pollers_per_watch_max", "Most local pollers on any one watch.", () => watchStats().maxPollersPerWatch);
  }

  /** A fetch that counts each request under `kind`. */
  countingFetch(kind: UpstreamRequestKind, fetchFn: FetchLike = this.baseFetch): FetchLike {
    return (input, init) => {
      this.requests.inc({ kind });
      return fetchFn(input, init);
    };
  }

  read(source: "hit" | "miss"): void {
    this.reads.inc({ source });
  }
}
