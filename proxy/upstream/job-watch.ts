/**
 * One upstream watch per job with local interest (spec §7): it follows the upstream's
 * SSE stream (resuming with Last-Event-ID) and feeds every local long-poll and stream
 * on the job through the cache. When the stream is buffered (no byte within
 * `sseFirstByteMs`) it falls back to upstream ETag long-polls; the upstream's health
 * (upstream-health.ts) remembers that for every watch on the upstream, so new watches
 * long-poll at once and SSE is tried again at most every 10 minutes. Long-polls ask for
 * holds from one window per upstream, shortened when something on the way cuts them.
 * Failures back off with jitter. It ends after the terminal state, or when nobody has
 * asked for `idleMs`.
 *
 * It reads with the token of the latest caller the upstream admitted; if the upstream
 * stops admitting that token, the watch pauses until another admitted caller offers one.
 */
import type { Logger } from "pino";
import { looksLikeJob } from "../../api/job.js";
import { upstreamClient } from "./upstream-client.js";
import { HttpError, UnreachableError, isAuthError, isHttpError, isNotFoundError, isUnreachableError } from "../../client/errors.js";
import type { HoldWindow } from "../../client/hold-window.js";
import { readEvents, STREAM_SILENT } from "../../client/event-reader.js";
import type { FetchLike } from "../../client/options.js";
import { errorFromResponse } from "../../client/response-errors.js";
import { Retrier, isRetryable } from "../../client/retrier.js";
import type { Credential } from "../tenancy/auth.js";
import type { UpstreamCache } from "./upstream-cache.js";
import { upstreamAnswer } from "./upstream-errors.js";
import type { UpstreamHealth } from "./upstream-health.js";
import { versionOfEtag } from "./version-of-etag.js";

export interface WatchOptions {
  readonly upstreamUrl: string;
  /** End the watch after this long without local interest. */
  readonly idleMs: number;
  /** A stream that sends no byte within this long counts as buffered. */
  readonly sseFirstByteMs: number;
  /** A stream silent this long (heartbeats stopped) counts as cut. */
  readonly sseIdleMs: number;
  /** Hold asked of the upstream per fallback long-poll, in seconds. */
  readonly longPollS: number;
  readonly backoff: { readonly minDelayMs: number; readonly maxDelayMs: number; readonly factor: number };
}

export interface WatchDeps {
  readonly cache: UpstreamCache;
  readonly logger: Logger;
  readonly fetchFor: (kind: "watch_stream" | "watch_poll") => FetchLike;
  /** The upstream's SSE and reachability, shared by its watches. */
  readonly health: UpstreamHealth;
  /** The hold asked of the upstream per long-poll, shared by its watches. */
  readonly holds: HoldWindow;
}

/** A stream that closes sooner than this without an event counts as a failure (backoff). */
const MIN_LIVE_STREAM_MS = 1_000;
/** Why a watch's connection is closed when nobody asks about the job any more. */
const WATCH_IDLE = Symbol("watch idle");
/** Admitted callers' credentials a watch keeps, to fall back on when one is refused. */
const MAX_CANDIDATES = 8;

export class JobWatch {
  /** Admitted callers, most recent last: the watch reads with the last, falls back on the others. */
  private readonly candidates = new Map<string, Credential>();
  private healthyNow = false;
  private lastInterest = performance.now();
  private readonly stopper = new AbortController();
  private credentialsOffered: (() => void) | undefined;

  constructor(
    readonly jobId: string,
    private readonly options: WatchOptions,
    private readonly deps: WatchDeps,
  ) {}

  /** True while the watch is connected and its cached state is current. */
  get healthy(): boolean {
    return this.healthyNow;
  }

  /** A caller the upstream admitted: the watch may read with its token. */
  offer(credentials: Credential): void {
    this.candidates.delete(credentials.tokenHash);
    this.candidates.set(credentials.tokenHash, credentials);
    if (this.candidates.size > MAX_CANDIDATES) this.candidates.delete(this.candidates.keys().next().value!);
    this.touch();
    this.credentialsOffered?.();
  }

  touch(): void {
    this.lastInterest = performance.now();
  }

  stop(): void {
    this.stopper.abort();
    this.credentialsOffered?.();
  }

  /** Runs until terminal, idle or stopped. */
  async run(): Promise<void> {
    const retrier = new Retrier({
      schedule: this.options.backoff,
      retries: Infinity,
      signal: this.stopper.signal,
      onRetry: (error, delayMs) => this.deps.logger.debug({ job_id: this.jobId, err: error, delay_ms: delayMs }, "upstream watch failed; backing off"),
      giveUp: (last) => last,
    });
    try {
      while (!this.stopper.signal.aborted && !this.idle()) {
        const credentials = [...this.candidates.values()].pop();
        if (credentials === undefined) {
          this.healthyNow = false;
          await this.credentialsOrIdle();
          continue;
        }
        try {
          const finished = this.deps.health.tryStream() ? await this.streamOnce(credentials) : await this.pollOnce(credentials);
          retrier.succeeded();
          if (finished) return;
        } catch (thrown) {
          const error = upstreamAnswer(thrown);
          this.healthyNow = false;
          if (this.stopper.signal.aborted) return;
          this.deps.health.failed(isHttpError(error) || isUnreachableError(error) ? error : new UnreachableError((error as Error).message ?? String(error)));
          if (isAuthError(error) || isNotFoundError(error)) {
            // This token may no longer read the job: fall back on another admitted caller's.
            this.candidates.delete(credentials.tokenHash);
            continue;
          }
          // Whatever else went wrong is backed off from; only a stop ends the watch.
          const failure = isRetryable(error) ? error : new UnreachableError("the upstream watch failed", { cause: error });
          await retrier.afterFailure(failure).catch(() => undefined);
        }
      }
    } finally {
      this.healthyNow = false;
    }
  }

  private idle(): boolean {
    return this.deps.cache.waiters(this.jobId) === 0 && performance.now() - this.lastInterest > this.options.idleMs;
  }

  private async credentialsOrIdle(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.options.idleMs);
      this.credentialsOffered = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.credentialsOffered = undefined;
  }

  /** Follows the upstream stream until it ends; true when the job reached a terminal state (or the watch went idle). */
  private async streamOnce(credentials: Credential): Promise<boolean> {
    const connection = new AbortController();
    const stop = (): void => connection.abort();
    this.stopper.signal.addEventListener("abort", stop, { once: true });
    const cached = this.deps.cache.get(this.jobId);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${credentials.token}`,
      "Forge-Version": credentials.forgeVersion,
      Accept: "text/event-stream",
    };
    if (cached !== undefined) headers["Last-Event-ID"] = String(cached.version);
    let sawByte = false;
    let connectedAt = Number.POSITIVE_INFINITY;
    let events = 0;
    // A stream that lived (an event, or bytes for a while) and then ended or was cut — an
    // idle timeout somewhere cuts quiet streams — is resumed at once, and the cache stays
    // current meanwhile; one that died straight away is a failure to back off from.
    const lived = (): boolean => events > 0 || (sawByte && performance.now() - connectedAt >= MIN_LIVE_STREAM_MS);
    try {
      const url = `${this.options.upstreamUrl}/v1/jobs/${encodeURIComponent(this.jobId)}/stream`;
      // The first-byte window covers the answer's head too: a buffering middlebox may hold that as well.
      const firstByteBy = performance.now() + this.options.sseFirstByteMs;
      const headTimer = setTimeout(() => connection.abort(STREAM_SILENT), this.options.sseFirstByteMs);
      const res = await this.deps
        .fetchFor("watch_stream")(url, { headers, signal: connection.signal })
        .finally(() => clearTimeout(headTimer));
      connectedAt = performance.now();
      if (res.status !== 200 || res.body === null) throw await errorFromResponse(res, `GET /v1/jobs/${this.jobId}/stream`);
      const stream = readEvents(res.body as AsyncIterable<Uint8Array>, {
        connection,
        firstByteTimeoutMs: Math.max(0, firstByteBy - performance.now()),
        idleTimeoutMs: this.options.sseIdleMs,
        onFirstByte: () => {
          sawByte = true;
          this.deps.health.streamWorks();
          this.deps.health.reached();
          // Resumed at the cached version: the preamble alone confirms the cache is current.
          if (cached !== undefined) this.healthyNow = true;
        },
        // Heartbeats keep a quiet stream open; each is a moment to notice nobody is asking any more.
        onComment: () => this.idle() && connection.abort(WATCH_IDLE),
      });
      for await (const event of stream) {
        if (event.event !== "job") continue;
        const version = Number(event.id);
        const job = parseJson(event.data);
        // Only a well-formed state of this very job is cached and served.
        if (!Number.isSafeInteger(version) || version < 1 || !looksLikeJob(job) || job.id !== this.jobId) {
          throw new HttpError(`the upstream stream sent an event that is not a state of job ${this.jobId}`, {
            status: 502,
            code: "bad_upstream_event",
            requestId: undefined,
          });
        }
        events++;
        const terminal = this.deps.cache.put(this.jobId, job, version).terminal;
        this.healthyNow = true;
        if (terminal || this.idle()) return true;
      }
      if (lived()) return false;
      throw new HttpError("the upstream closed the stream at once", { status: 502, code: "empty_upstream_stream", requestId: undefined });
    } catch (error) {
      if (this.stopper.signal.aborted) throw error;
      if (connection.signal.reason === WATCH_IDLE) return true;
      if (connection.signal.reason === STREAM_SILENT) {
        // Silent from the start: a proxy buffers the stream (long-poll from now on); silent later: reconnect.
        if (!sawByte) this.deps.health.streamBuffered(this.options.sseFirstByteMs);
        this.healthyNow = false;
        return false;
      }
      if (lived() && !isHttpError(error)) return false; // cut mid-stream
      throw error;
    } finally {
      connection.abort();
      this.stopper.signal.removeEventListener("abort", stop);
    }
  }

  /** One upstream ETag long-poll; true when the job reached a terminal state. */
  private async pollOnce(credentials: Credential): Promise<boolean> {
    const client = upstreamClient(this.options.upstreamUrl, credentials, this.deps.fetchFor("watch_poll"), {
      longPollS: this.options.longPollS,
      holds: this.deps.holds,
    });
    const cached = this.deps.cache.get(this.jobId);
    const result = await client.getJob(this.jobId, {
      ...(cached !== undefined ? { etag: cached.etag, waitS: this.deps.holds.waitS } : {}),
      signal: this.stopper.signal,
      onHoldCut: (cut) => {
        if (cut.first) {
          this.deps.logger.info(
            { upstream: this.options.upstreamUrl, lasted_ms: Math.round(cut.lastedMs), wait_s: cut.waitS, how: cut.how },
            `an upstream long-poll was cut after ${Math.round(cut.lastedMs / 1000)}s by something on the way; asking for ${cut.waitS}s holds from now on`,
          );
        }
      },
    });
    this.deps.health.reached();
    this.healthyNow = true;
    if (result.notModified) return false;
    const put = this.deps.cache.put(this.jobId, result.job, versionOfEtag(result.etag));
    return put.terminal;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
