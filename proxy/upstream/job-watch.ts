/**
 * One upstream watch per job with local interest (spec §7): it follows the upstream's
 * SSE stream (resuming with Last-Event-ID) and feeds every local long-poll and stream
 * on the job through the cache. When the stream is buffered (no byte within
 * `sseFirstByteMs`) it falls back to upstream ETag long-polls for the rest of its life.
 * Failures back off with jitter. It ends after the terminal state, or when nobody has
 * asked for `idleMs`.
 *
 * It reads with the token of the latest caller the upstream admitted; if the upstream
 * stops admitting that token, the watch pauses until another admitted caller offers one.
 */
import type { Logger } from "pino";
import { abortableSleep } from "../../client/abortable-sleep.js";
import { backoffDelayMs, parseRetryAfterMs } from "../../client/backoff.js";
import { JobsClient } from "../../client/client.js";
import { AuthError, HttpError, NotFoundError, isAuthError, isHttpError, isNotFoundError } from "../../client/errors.js";
import type { FetchLike } from "../../client/options.js";
import { SseParser } from "../../client/sse-parser.js";
import { looksLikeJob } from "../../api/index.js";
import type { Credential } from "../tenancy/auth.js";
import type { UpstreamCache } from "./upstream-cache.js";
import { upstreamAnswer } from "./upstream-errors.js";
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
}

/** A stream that closes sooner than this without an event counts as a failure (backoff). */
const MIN_LIVE_STREAM_MS = 1_000;
/** Admitted callers' credentials a watch keeps, to fall back on when one is refused. */
const MAX_CANDIDATES = 8;

export class JobWatch {
  /** Admitted callers, most recent last: the watch reads with the last, falls back on the others. */
  private readonly candidates = new Map<string, Credential>();
  private healthyNow = false;
  private sseBlocked = false;
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
    let failures = 0;
    try {
      while (!this.stopper.signal.aborted && !this.idle()) {
        const credentials = [...this.candidates.values()].pop();
        if (credentials === undefined) {
          this.healthyNow = false;
          await this.credentialsOrIdle();
          continue;
        }
        try {
          const finished = this.sseBlocked ? await this.pollOnce(credentials) : await this.streamOnce(credentials);
          failures = 0;
          if (finished) return;
        } catch (thrown) {
          const error = upstreamAnswer(thrown);
          this.healthyNow = false;
          if (this.stopper.signal.aborted) return;
          if (isAuthError(error) || isNotFoundError(error)) {
            // This token may no longer read the job: fall back on another admitted caller's.
            this.candidates.delete(credentials.tokenHash);
            continue;
          }
          failures++;
          const retryAfterMs = isHttpError(error) ? error.retryAfterMs : undefined;
          const delay = Math.max(backoffDelayMs(failures, this.options.backoff), retryAfterMs ?? 0);
          this.deps.logger.debug({ job_id: this.jobId, err: error, delay_ms: delay }, "upstream watch failed; backing off");
          await abortableSleep(delay, this.stopper.signal).catch(() => undefined);
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

  /** Follows the upstream stream until it ends; true when the job reached a terminal state. */
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
    let silence: NodeJS.Timeout | undefined;
    let sawByte = false;
    let connectedAt = Number.POSITIVE_INFINITY;
    let events = 0;
    const armSilence = (ms: number, onFire: () => void): void => {
      clearTimeout(silence);
      silence = setTimeout(onFire, ms);
    };
    // A stream that lived (an event, or bytes for a while) and then ended or was cut — an
    // idle timeout somewhere cuts quiet streams — is resumed at once, and the cache stays
    // current meanwhile; one that died straight away is a failure to back off from.
    const lived = (): boolean => events > 0 || (sawByte && performance.now() - connectedAt >= MIN_LIVE_STREAM_MS);
    try {
      armSilence(this.options.sseFirstByteMs, () => {
        if (!sawByte) this.sseBlocked = true;
        connection.abort();
      });
      const url = `${this.options.upstreamUrl}/v1/jobs/${encodeURIComponent(this.jobId)}/stream`;
      const res = await this.deps.fetchFor("watch_stream")(url, { headers, signal: connection.signal });
      connectedAt = performance.now();
      if (res.status !== 200 || res.body === null) throw await errorOf(res, url);
      let terminal = false;
      const parser = new SseParser({
        onEvent: (event) => {
          if (event.event !== "job") return;
          const version = Number(event.id);
          const job = parseJson(event.data);
          // Only a well-formed state of this very job is cached and served.
          if (!Number.isSafeInteger(version) || version < 1 || !looksLikeJob(job) || job.id !== this.jobId) {
            throw new HttpError(`the upstream stream sent an event that is not a state of job ${this.jobId}`, { status: 502, code: "bad_upstream_event", requestId: undefined });
          }
          events++;
          terminal = this.deps.cache.put(this.jobId, job, version).terminal;
          this.healthyNow = true;
        },
      });
      const decoder = new TextDecoder();
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        if (!sawByte) {
          sawByte = true;
          // Resumed at the cached version: the preamble alone confirms the cache is current.
          if (cached !== undefined) this.healthyNow = true;
        }
        armSilence(this.options.sseIdleMs, () => connection.abort());
        parser.push(decoder.decode(chunk, { stream: true }));
        if (terminal) return true;
        if (this.idle()) return true;
      }
      if (lived()) return false;
      throw new HttpError("the upstream closed the stream at once", { status: 502, code: "empty_upstream_stream", requestId: undefined });
    } catch (error) {
      if (this.stopper.signal.aborted) throw error;
      if (connection.signal.aborted) {
        this.healthyNow = false;
        return false; // buffered (now falling back) or gone silent: reconnect
      }
      if (lived() && !isHttpError(error)) return false; // cut mid-stream
      throw error;
    } finally {
      clearTimeout(silence);
      this.stopper.signal.removeEventListener("abort", stop);
    }
  }

  /** One upstream ETag long-poll; true when the job reached a terminal state. */
  private async pollOnce(credentials: Credential): Promise<boolean> {
    const client = new JobsClient({
      apiUrl: this.options.upstreamUrl,
      token: credentials.token,
      forgeVersion: credentials.forgeVersion,
      fetch: this.deps.fetchFor("watch_poll"),
      retry: { retries: 0 },
      longPollS: this.options.longPollS,
    });
    const cached = this.deps.cache.get(this.jobId);
    const result = await client.getJob(this.jobId, {
      ...(cached !== undefined ? { etag: cached.etag, waitS: this.options.longPollS } : {}),
      signal: this.stopper.signal,
    });
    this.healthyNow = true;
    if (result.notModified) return false;
    const put = this.deps.cache.put(this.jobId, result.job, versionOfEtag(result.etag));
    return put.terminal;
  }
}

/** The client's error for a non-200 stream answer, so the watch classifies it like any other. */
async function errorOf(res: Response, url: string): Promise<Error> {
  let code = `http_${res.status}`;
  let message = res.statusText;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  const details = { status: res.status, code, requestId: res.headers.get("x-request-id") ?? undefined, retryAfterMs: parseRetryAfterMs(res.headers.get("retry-after")) };
  const text = `GET ${new URL(url).pathname}: ${res.status} ${code}: ${message}`;
  if (res.status === 401 || res.status === 403) return new AuthError(text, details);
  if (res.status === 404) return new NotFoundError(text, details);
  return new HttpError(text, details);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
