/**
 * What proxy mode knows about its upstream as a whole (spec §7), shared by every watch
 * and access check on it:
 *
 * - whether its SSE is buffered by something on the way: once a stream is found silent
 *   from its start, new watches long-poll at once (no per-job probe delay) and SSE is
 *   tried again by one watch at most every UPSTREAM_SSE_RETRY_MS;
 * - whether it is reachable.
 *
 * Each change — falling back to long-poll, the upstream becoming unreachable, each coming
 * back — is logged once at `info`, not once per job or per request.
 */
import type { Logger } from "pino";
import { UPSTREAM_SSE_RETRY_MS } from "../../api/defaults.js";
import { formatDuration } from "../../client/duration.js";
import { isHttpError, isUnreachableError } from "../../client/errors.js";

export class UpstreamHealth {
  #reachable = true;
  /** When SSE was last found buffered, or a retry of it last granted; undefined while it works. */
  #bufferedAt: number | undefined;

  constructor(
    private readonly upstream: string,
    private readonly logger: Logger,
    private readonly sseRetryMs: number = UPSTREAM_SSE_RETRY_MS,
  ) {}

  /**
   * True when a watch should (try to) stream now; false: long-poll. A retry after the pause
   * is given to one watch per pause, whatever becomes of it (a probe that fails or is
   * stopped never reports back, and must not keep SSE off for good).
   */
  tryStream(): boolean {
    if (this.#bufferedAt === undefined) return true;
    const now = performance.now();
    if (now - this.#bufferedAt < this.sseRetryMs) return false;
    this.#bufferedAt = now;
    return true;
  }

  /** A stream sent no byte within `firstByteMs`: something on the way buffers it. */
  streamBuffered(firstByteMs: number): void {
    const first = this.#bufferedAt === undefined;
    this.#bufferedAt = performance.now();
    if (first) {
      this.logger.info(
        { upstream: this.upstream, first_byte_ms: firstByteMs, sse_retry: formatDuration(this.sseRetryMs) },
        `upstream SSE is buffered (no byte within ${formatDuration(firstByteMs)}); watches long-poll it instead, SSE is tried again every ${formatDuration(this.sseRetryMs)}`,
      );
    }
  }

  /** A stream's first byte arrived. */
  streamWorks(): void {
    if (this.#bufferedAt === undefined) return;
    this.#bufferedAt = undefined;
    this.logger.info({ upstream: this.upstream }, "upstream SSE works again; watches stream it");
  }

  /** The upstream answered (anything it says itself, including a 4xx). */
  reached(): void {
    if (this.#reachable) return;
    this.#reachable = true;
    this.logger.info({ upstream: this.upstream }, "upstream reachable again");
  }

  /** A request failed: a network error, or a 5xx, counts as unreachable. */
  failed(error: unknown): void {
    const down = isUnreachableError(error) || (isHttpError(error) && error.status >= 500);
    if (!down) return this.reached();
    if (!this.#reachable) return;
    this.#reachable = false;
    this.logger.info(
      { upstream: this.upstream, reason: (error as Error).message },
      "upstream unreachable; answering 503 with Retry-After and retrying with backoff",
    );
  }
}
