/**
 * Proxy mode's JobSource. Authorization is never assumed from the cache (spec §7): a
 * caller is served cached state only while the upstream's "yes" to that token for that
 * job is younger than the access TTL, and only while the job's watch vouches the cache
 * is current (or the job is finished, which never changes). Otherwise the caller's own
 * conditional GET goes upstream: its 200/304 admits the token and refreshes the cache;
 * its 401/403/404 is relayed; a failure is a 503 — never stale state shown as fresh.
 */
import { isIdentifier } from "../../api/identifiers.js";
import { upstreamClient } from "./upstream-client.js";
import type { FetchLike } from "../../client/options.js";
import { notFound } from "../http/api-error.js";
import type { JobSource, JobView } from "../job-source.js";
import type { Credential } from "../tenancy/auth.js";
import type { AccessDecisions } from "./access-decisions.js";
import type { CachedJob, UpstreamCache } from "./upstream-cache.js";
import { relayUpstreamError, upstreamAnswer, upstreamUnavailable } from "./upstream-errors.js";
import type { UpstreamHealth } from "./upstream-health.js";
import type { UpstreamMetrics } from "./upstream-metrics.js";
import { versionOfEtag } from "./version-of-etag.js";
import type { WatchRegistry } from "./watch-registry.js";

/** Timeout of an access check against the upstream. */
const ACCESS_CHECK_TIMEOUT_MS = 10_000;

export class UpstreamJobSource implements JobSource<Credential> {
  /** Checks in flight, by token hash and job: concurrent callers share one upstream request. */
  private readonly checking = new Map<string, Promise<CachedJob>>();

  constructor(
    private readonly upstreamUrl: string,
    private readonly cache: UpstreamCache,
    private readonly access: AccessDecisions,
    private readonly watches: WatchRegistry,
    private readonly metrics: UpstreamMetrics,
    private readonly fetchFn: FetchLike,
    private readonly health?: UpstreamHealth,
  ) {}

  async read(caller: Credential, jobId: string): Promise<JobView> {
    // Never put a path segment upstream that could name something other than a job.
    if (!isIdentifier(jobId)) throw notFound(jobId);
    const cached = this.cache.get(jobId);
    if (cached !== undefined && this.access.allows(caller.tokenHash, jobId) && (cached.terminal || this.watches.get(jobId)?.healthy)) {
      this.metrics.read("hit");
      if (!cached.terminal) this.watches.ensure(jobId, caller);
      return cached;
    }
    this.metrics.read("miss");
    const fresh = await this.check(caller, jobId);
    if (!fresh.terminal) this.watches.ensure(jobId, caller);
    return fresh;
  }

  async waitForChange(caller: Credential, jobId: string, version: number, signal: AbortSignal): Promise<JobView | undefined> {
    // Each waiter keeps the watch fed with an admitted token, so the watch never stalls
    // on a token the upstream has since refused while admitted callers still wait.
    if (this.access.allows(caller.tokenHash, jobId)) this.watches.ensure(jobId, caller);
    const next = await this.cache.waitForChange(jobId, version, signal);
    if (next === undefined) return undefined;
    // A hold can outlive the access decision: ask again before showing a new state.
    if (!this.access.allows(caller.tokenHash, jobId)) return this.check(caller, jobId);
    return next;
  }

  subscribe(caller: Credential, jobId: string, version: number, onView: (view: JobView) => void, onEnd: (error?: unknown) => void): () => void {
    if (this.access.allows(caller.tokenHash, jobId)) this.watches.ensure(jobId, caller);
    return this.cache.subscribe(jobId, version, (view) => {
      this.watches.get(jobId)?.touch();
      if (this.access.allows(caller.tokenHash, jobId)) return onView(view);
      // The decision expired: ask again before showing a new state (concurrent asks share one request).
      this.check(caller, jobId).then(onView, onEnd);
    });
  }

  async confirm(caller: Credential, jobId: string, view: JobView): Promise<JobView> {
    // An expired decision is asked again; the upstream's answer is also the freshest state.
    if (!this.access.allows(caller.tokenHash, jobId)) return this.check(caller, jobId);
    if (!view.terminal && this.watches.get(jobId)?.healthy !== true) throw upstreamUnavailable("the upstream watch on this job is failing");
    return this.cache.get(jobId) ?? view;
  }

  /** The caller's own conditional GET upstream: admits or refuses it, and refreshes the cache. */
  private check(caller: Credential, jobId: string): Promise<CachedJob> {
    const key = `${caller.tokenHash}\0${jobId}`;
    let pending = this.checking.get(key);
    if (pending === undefined) {
      pending = this.askUpstream(caller, jobId).finally(() => this.checking.delete(key));
      this.checking.set(key, pending);
    }
    return pending;
  }

  private async askUpstream(caller: Credential, jobId: string): Promise<CachedJob> {
    const cached = this.cache.get(jobId);
    const client = upstreamClient(this.upstreamUrl, caller, this.fetchFn, { requestTimeoutMs: ACCESS_CHECK_TIMEOUT_MS });
    let result;
    try {
      result = await client.getJob(jobId, cached === undefined ? {} : { etag: cached.etag });
    } catch (error) {
      this.health?.failed(upstreamAnswer(error));
      this.access.revoke(caller.tokenHash, jobId);
      throw relayUpstreamError(error);
    }
    this.health?.reached();
    this.access.grant(caller.tokenHash, jobId);
    if (result.notModified) return cached!;
    try {
      return this.cache.put(jobId, result.job, versionOfEtag(result.etag));
    } catch (error) {
      throw relayUpstreamError(error);
    }
  }
}
