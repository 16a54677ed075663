/**
 * Proxy mode (`jobgate serve --upstream URL`, spec §7): the same read routes, served to
 * many pollers from one upstream watch per job. No keys file: the upstream judges every
 * token (see upstream-source.ts).
 */
import type { Logger } from "pino";
import { READ_PATHS, type ModeRoutes } from "../app.js";
import type { JobSource } from "../job-source.js";
import type { Lifecycle } from "../lifecycle.js";
import type { ServerMetrics } from "../metrics.js";
import { createStreamJobRouter } from "../routes/stream-job.js";
import { AccessDecisions } from "./access-decisions.js";
import { createListPassthroughRouter } from "./list-passthrough.js";
import { UpstreamCache } from "./upstream-cache.js";
import { UpstreamMetrics } from "./upstream-metrics.js";
import { UpstreamJobSource } from "./upstream-source.js";
import { WatchRegistry } from "./watch-registry.js";

export interface ProxyModeOptions {
  readonly upstream: string;
  readonly maxJobs: number;
  readonly accessTtlMs: number;
  readonly watchIdleMs: number;
  readonly sseFirstByteMs: number;
  readonly heartbeatMs: number;
  readonly streamBufferBytes: number;
}

/** Backoff of a failing watch: jittered, from 500 ms up to 30 s. */
const WATCH_BACKOFF = { minDelayMs: 500, maxDelayMs: 30_000, factor: 2 };
/** The upstream's heartbeat is 15 s; three missed ones mean the stream is gone. */
const UPSTREAM_SSE_IDLE_MS = 45_000;
const UPSTREAM_LONG_POLL_S = 55;

export interface ProxyMode extends ModeRoutes {
  readonly source: JobSource;
  readonly cache: UpstreamCache;
  stop(): Promise<void>;
}

export function createProxyMode(deps: { options: ProxyModeOptions; metrics: ServerMetrics; lifecycle: Lifecycle; logger: Logger; cache: UpstreamCache }): ProxyMode {
  const { options, metrics, lifecycle, logger, cache } = deps;
  const upstreamUrl = options.upstream.replace(/\/+$/, "");
  const upstreamMetrics: UpstreamMetrics = new UpstreamMetrics(metrics, () => watches.stats());
  const watches: WatchRegistry = new WatchRegistry(
    {
      upstreamUrl,
      idleMs: options.watchIdleMs,
      sseFirstByteMs: options.sseFirstByteMs,
      sseIdleMs: UPSTREAM_SSE_IDLE_MS,
      longPollS: UPSTREAM_LONG_POLL_S,
      backoff: WATCH_BACKOFF,
    },
    { cache, logger, fetchFor: (kind) => upstreamMetrics.countingFetch(kind) },
  );
  const source = new UpstreamJobSource(
    upstreamUrl,
    cache,
    new AccessDecisions(options.accessTtlMs),
    watches,
    upstreamMetrics,
    upstreamMetrics.countingFetch("access_check"),
  );
  return {
    source,
    cache,
    routers: [
      createListPassthroughRouter({ upstreamUrl, fetch: upstreamMetrics.countingFetch("list") }),
      createStreamJobRouter({ source, options, metrics, lifecycle, logger }),
    ],
    allowedMethods: READ_PATHS,
    async stop() {
      watches.stopAll();
      cache.close();
    },
  };
}
