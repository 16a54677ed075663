/**
 * Proxy mode (`jobgate serve --upstream URL`, spec §7): the same read routes, served to
 * many pollers from one upstream watch per job. No keys file: the upstream judges every
 * token (see upstream-source.ts); the edge only takes the caller's bearer credential.
 *
 * The upstream is reached as the CLI reaches an API (spec §7, §9 "Networks"): through
 * HTTPS_PROXY / HTTP_PROXY unless NO_PROXY or loopback says direct, trusting --ca-file
 * (client/network.ts), with one hold window and one health record per upstream.
 */
import { DEFAULT_POLL_WAIT_S } from "../../api/defaults.js";
import { HoldWindow } from "../../client/hold-window.js";
import { defaultNetwork } from "../../client/network.js";
import { READ_PATHS } from "../http/app.js";
import type { ReadSide } from "../job-source.js";
import type { ModeDeps, ServeMode } from "../mode.js";
import { createGetJobHandler } from "../routes/get-job.js";
import { createStreamJobRouter } from "../routes/stream-job.js";
import { credentialOf, type Credential } from "../tenancy/auth.js";
import { AccessDecisions } from "./access-decisions.js";
import { createListPassthroughRouter } from "./list-passthrough.js";
import { UpstreamCache } from "./upstream-cache.js";
import { UpstreamHealth } from "./upstream-health.js";
import { UpstreamMetrics } from "./upstream-metrics.js";
import { UpstreamJobSource } from "./upstream-source.js";
import { WatchRegistry } from "./watch-registry.js";

/** Backoff of a failing watch: jittered, from 500 ms up to 30 s. */
const WATCH_BACKOFF = { minDelayMs: 500, maxDelayMs: 30_000, factor: 2 };
/** The upstream's heartbeat is 15 s; three missed ones mean the stream is gone. */
const UPSTREAM_SSE_IDLE_MS = 45_000;
/** The hold asked of the upstream per long-poll: the CLI's --poll-wait default, for the same proxies. */
const UPSTREAM_LONG_POLL_S = DEFAULT_POLL_WAIT_S;

export function createProxyMode(deps: ModeDeps & { upstream: string }): ServeMode {
  const { options, metrics, logger, upstream } = deps;
  const cache = new UpstreamCache(options.maxJobs);
  const network = defaultNetwork(options.caFile === "" ? {} : { caFile: options.caFile });
  const health = new UpstreamHealth(upstream, logger);
  const holds = new HoldWindow(UPSTREAM_LONG_POLL_S);
  const upstreamMetrics: UpstreamMetrics = new UpstreamMetrics(metrics, () => watches.stats(), network.fetch);
  const watches: WatchRegistry = new WatchRegistry(
    {
      upstreamUrl: upstream,
      idleMs: options.watchIdleMs,
      sseFirstByteMs: options.sseFirstByteMs,
      sseIdleMs: UPSTREAM_SSE_IDLE_MS,
      longPollS: UPSTREAM_LONG_POLL_S,
      backoff: WATCH_BACKOFF,
    },
    { cache, logger, fetchFor: (kind) => upstreamMetrics.countingFetch(kind), health, holds },
  );
  const read: ReadSide<Credential> = {
    authenticate: credentialOf,
    holdKey: (credential) => credential.tokenHash,
    source: new UpstreamJobSource(
      upstream,
      cache,
      new AccessDecisions(options.accessTtlMs),
      watches,
      upstreamMetrics,
      upstreamMetrics.countingFetch("access_check"),
      health,
    ),
  };
  return {
    getJob: createGetJobHandler({ ...deps, read }),
    store: undefined,
    routers: [createListPassthroughRouter({ upstreamUrl: upstream, fetch: upstreamMetrics.countingFetch("list") }), createStreamJobRouter({ ...deps, read })],
    allowedMethods: READ_PATHS,
    jobsByStatus: async () => cache.byStatus(),
    checkHealth: async () => {},
    async stop() {
      watches.stopAll();
      cache.close();
    },
  };
}
