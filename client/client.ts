/**
 * JobsClient — a typed, fetch-based client for the jobs API (spec §2–4, §6, §9).
 *
 * Promises:
 * - every request carries `Authorization: Bearer`, `Forge-Version` and a `User-Agent`;
 * - network errors, request timeouts, 429 and 5xx are retried (p-retry) with jittered
 *   exponential backoff capped at `retry.maxDelayMs`, never sooner than `Retry-After`;
 *   other 4xx are not retried. A single call gives up after `retry.retries` with an
 *   `UnreachableError`; a wait retries until its own deadline, so a server restart or a
 *   network outage in the middle of a wait does not end it;
 * - a long-poll's request timeout is its hold plus LONG_POLL_GRACE_MS, so the server
 *   always answers first; an unchanged answer that comes back before the poll hint
 *   (`Retry-After`, at least MIN_POLL_INTERVAL_MS) is followed by a paced retry, never a spin;
 * - the deadline of a wait always wins: in-flight requests and backoff sleeps are cut;
 * - everything thrown is a `JobgateError` (see errors.ts), except a caller's abort, which
 *   rethrows the caller's `signal.reason`.
 */
import { randomUUID } from "node:crypto";
import pRetry from "p-retry";
import { abortableSleep } from "./abortable-sleep.js";
import { MAX_RETRY_AFTER_MS, backoffDelayMs, parseRetryAfterMs, retryDelayMs } from "./backoff.js";
import { formatDuration, parseDuration } from "./duration.js";
import {
  AuthError,
  ConfigError,
  HttpError,
  JobFailedError,
  NotFoundError,
  TimeoutError,
  UnreachableError,
  isHttpError,
  isJobFailedError,
  isJobgateError,
  isUnreachableError,
  type JobgateError,
} from "./errors.js";
import { LONG_POLL_GRACE_MS, normalizeClientOptions, type JobsClientOptions, type NormalizedClientOptions } from "./options.js";
import { SseLimitError, SseParser } from "./sse-parser.js";
import { JOB_STATUSES, isIdentifier, isTerminal, looksLikeJob, type Job, type JobStatus } from "../api/index.js";

/** Shortest gap between two polls that both came back unchanged. */
export const MIN_POLL_INTERVAL_MS = 1_000;
/** Longest gap the server's poll hint may impose between unchanged polls. */
export const MAX_POLL_INTERVAL_MS = 30_000;
/** Reconnection delay of a stream until the server sends `retry:`. */
export const DEFAULT_SSE_RETRY_MS = 3_000;
/** A stream silent this long (the server sends heartbeats every 15 s) is cut and reopened. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 45_000;

export type GetJobResult =
  | { readonly notModified: false; readonly job: Job; readonly etag: string | undefined }
  | { readonly notModified: true; readonly job: undefined; readonly etag: string };

export interface GetJobOptions {
  /** ETag of the state already held: an unchanged job answers `notModified`. */
  readonly etag?: string;
  /** With `etag`: hold up to this many seconds for a change (long-poll). @default 0 */
  readonly waitS?: number;
  readonly signal?: AbortSignal;
}

export interface ListJobsFilters {
  readonly status?: JobStatus;
  /** e.g. `deployment`, `build`. */
  readonly resourceType?: string;
  /** Page size, 1–100. @default 20 (the server's) */
  readonly limit?: number;
  /** Start from this page (a `nextCursor` of a previous page). */
  readonly cursor?: string;
  readonly signal?: AbortSignal;
}

export interface JobsPage {
  readonly jobs: Job[];
  readonly nextCursor: string | null;
}

export interface WaitForJobOptions {
  /** Give up after this long: ms, or a Go-style duration (`"30m"`). @default no limit */
  readonly timeout?: number | string;
  readonly signal?: AbortSignal;
  /** Called with the first state and every change after it. */
  readonly onProgress?: (job: Job) => void;
  /** Called when a request fails and will be retried (for status lines). */
  readonly onRetry?: (error: JobgateError, delayMs: number) => void;
}

export interface StreamJobOptions {
  readonly signal?: AbortSignal;
  /** Resume after this event id (the job's version): that state is not re-sent. */
  readonly lastEventId?: string;
  /**
   * Reopen a cut stream (with `Last-Event-ID`), retrying failed connects until the signal
   * ends it. When false, a failed connect or a cut throws `UnreachableError` at once (for
   * callers with a fallback, such as `jobgate jobs watch`). @default true
   */
  readonly reconnect?: boolean;
  /** A stream silent this long counts as cut. @default 45_000 */
  readonly idleTimeoutMs?: number;
}

export interface CallOptions {
  /**
   * `Idempotency-Key` for the operation. When omitted, one is generated per call so the
   * client's own retries can never start the operation twice.
   */
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
}

export interface CallResult {
  readonly job: Job;
  /** The `Location` header (`/v1/jobs/{id}`), when the answer carried one. */
  readonly location: string | undefined;
  readonly status: number;
  readonly idempotencyKey: string;
}

/** A `streamJob` iterator, which also tells where it got to (for resuming elsewhere). */
export interface JobStream extends AsyncIterable<Job> {
  /** The id (version) of the last event yielded. */
  readonly lastEventId: string | undefined;
}

interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly retries: number;
  /** `performance.now()` after which no retry is slept for. */
  readonly deadline: number;
  /** Read the body as JSON (default) or hand back the open response (streams). */
  readonly stream?: boolean;
  readonly tracker?: FailureTracker;
}

interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly json: unknown;
  readonly response: Response;
}

/** What a wait remembers about failures, to tell "timed out" from "unreachable". */
interface FailureTracker {
  failing: JobgateError | undefined;
  onRetry?: ((error: JobgateError, delayMs: number) => void) | undefined;
}

const REQUEST_TIMEOUT = Symbol("request timeout");
const DEADLINE = Symbol("deadline");

export class JobsClient {
  // Private, so that logging or serializing a client can never show the token.
  readonly #options: NormalizedClientOptions;

  constructor(options: JobsClientOptions) {
    this.#options = normalizeClientOptions(options);
  }

  /** The API this client talks to. */
  get apiUrl(): string {
    return this.#options.apiUrl;
  }

  /** One job; with `etag` a conditional GET, with `etag` and `waitS` a long-poll. */
  async getJob(id: string, options: GetJobOptions = {}): Promise<GetJobResult> {
    return this.#getJob(id, options, this.#options.retry.retries, Infinity, undefined);
  }

  /** One page of jobs, newest first. */
  async listJobsPage(filters: ListJobsFilters = {}): Promise<JobsPage> {
    const query = new URLSearchParams();
    if (filters.status !== undefined) query.set("status", filters.status);
    if (filters.resourceType !== undefined) query.set("resource_type", filters.resourceType);
    if (filters.limit !== undefined) query.set("limit", String(filters.limit));
    if (filters.cursor !== undefined) query.set("cursor", filters.cursor);
    const qs = query.toString();
    const res = await this.#request({
      method: "GET",
      path: `/v1/jobs${qs === "" ? "" : `?${qs}`}`,
      timeoutMs: this.#options.requestTimeoutMs,
      signal: filters.signal,
      retries: this.#options.retry.retries,
      deadline: Infinity,
    });
    const body = res.json as { data?: unknown; next_cursor?: unknown } | undefined;
    if (!Array.isArray(body?.data) || !(typeof body.next_cursor === "string" || body.next_cursor === null)) {
      throw this.#invalidResponse(res, "GET /v1/jobs", "expected { data: [...], next_cursor }");
    }
    return { jobs: body.data.map((job) => this.#checkJob(job, res, "GET /v1/jobs")), nextCursor: body.next_cursor };
  }

  /** Every job matching `filters`, following `next_cursor` across pages. */
  async *listJobs(filters: ListJobsFilters = {}): AsyncGenerator<Job, void, undefined> {
    let cursor = filters.cursor;
    do {
      const page = await this.listJobsPage({ ...filters, ...(cursor !== undefined ? { cursor } : {}) });
      yield* page.jobs;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * Long-polls until the job is terminal. Resolves with the succeeded job; throws
   * `JobFailedError` (failed), `TimeoutError` (deadline, with the last state),
   * `UnreachableError` (the deadline passed while the API could not be reached),
   * `NotFoundError`, `AuthError`.
   */
  async waitForJob(id: string, options: WaitForJobOptions = {}): Promise<Job> {
    const timeoutMs = toTimeoutMs(options.timeout);
    const deadline = performance.now() + timeoutMs;
    const timer = new AbortController();
    const handle = Number.isFinite(timeoutMs) ? setTimeout(() => timer.abort(DEADLINE), timeoutMs) : undefined;
    const signal = options.signal === undefined ? timer.signal : AbortSignal.any([options.signal, timer.signal]);
    const tracker: FailureTracker = { failing: undefined, onRetry: options.onRetry };
    let last: Job | undefined;
    let etag: string | undefined;
    try {
      for (;;) {
        const waitS = etag === undefined ? 0 : Math.max(1, Math.min(this.#options.longPollS, Math.ceil((deadline - performance.now()) / 1000)));
        const result = await this.#getJob(id, { etag, waitS, signal }, Infinity, deadline, tracker);
        if (result.notModified) continue;
        last = result.job;
        etag = result.etag;
        options.onProgress?.(result.job);
        if (result.job.status === "succeeded") return result.job;
        if (result.job.status === "failed") throw new JobFailedError(result.job);
        if (etag === undefined) throw this.#noEtag(id);
      }
    } catch (error) {
      if (!isJobFailedError(error) && timer.signal.aborted && options.signal?.aborted !== true) {
        throw this.#deadlineError(id, timeoutMs, last, tracker);
      }
      throw error;
    } finally {
      clearTimeout(handle);
    }
  }

  /** The job's states over SSE, ending after the terminal one. */
  streamJob(id: string, options: StreamJobOptions = {}): JobStream {
    const client = this;
    const state = { lastEventId: options.lastEventId };
    const iterable = {
      get lastEventId() {
        return state.lastEventId;
      },
      [Symbol.asyncIterator]: () => client.#stream(id, options, state),
    };
    return iterable;
  }

  /**
   * Invokes an operation that answers `202 Accepted` with a job (spec §6). `body` is a
   * JSON value (serialized here) or a string sent as it is; `path` must be a path on the
   * API, never a full URL (the token goes only to `apiUrl`).
   */
  async call(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<CallResult> {
    const verb = method.trim().toUpperCase();
    if (!/^[A-Z]{3,10}$/.test(verb)) throw new ConfigError(`method must be an HTTP method such as POST, got ${JSON.stringify(method)}`);
    // A full URL would send the token to whatever host it names.
    if (!path.startsWith("/") || path.startsWith("//")) {
      throw new ConfigError(`path must be a path on the API starting with "/", such as /v1/sites/site_1/deploys, got ${JSON.stringify(path)}`);
    }
    const idempotencyKey = options.idempotencyKey ?? `jobgate-${randomUUID()}`;
    if (!/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
      throw new ConfigError("idempotencyKey must be 1–255 visible ASCII characters without spaces");
    }
    const headers: Record<string, string> = { "Idempotency-Key": idempotencyKey };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === "string" ? body : JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    const res = await this.#request({
      method: verb,
      path,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
      timeoutMs: this.#options.requestTimeoutMs,
      signal: options.signal,
      retries: this.#options.retry.retries,
      deadline: Infinity,
    });
    const data = (res.json as { data?: unknown } | undefined)?.data;
    const job = this.#checkJob(data, res, `${verb} ${path}`);
    return { job, location: res.headers.get("location") ?? undefined, status: res.status, idempotencyKey };
  }

  async #getJob(id: string, options: GetJobOptions, retries: number, deadline: number, tracker: FailureTracker | undefined): Promise<GetJobResult> {
    if (!isIdentifier(id)) {
      throw new ConfigError(`job id must be an id such as job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK, got ${JSON.stringify(id)}`);
    }
    const path = `/v1/jobs/${id}`;
    const etag = options.etag;
    const waitS = etag === undefined ? 0 : (options.waitS ?? 0);
    if (!Number.isFinite(waitS) || waitS < 0) throw new ConfigError(`waitS must be a number of seconds ≥ 0, got ${waitS}`);
    const holdUntil = performance.now() + waitS * 1000;
    for (;;) {
      const started = performance.now();
      const askS = Math.min(this.#options.longPollS, Math.ceil((holdUntil - started) / 1000));
      const headers: Record<string, string> = {};
      if (etag !== undefined) headers["If-None-Match"] = etag;
      if (etag !== undefined && askS > 0) headers.Prefer = `wait=${askS}`;
      const res = await this.#request({
        method: "GET",
        path,
        headers,
        timeoutMs: askS > 0 ? askS * 1000 + LONG_POLL_GRACE_MS : this.#options.requestTimeoutMs,
        signal: options.signal,
        retries,
        deadline,
        tracker,
      });
      const newEtag = res.headers.get("etag") ?? undefined;
      if (res.status !== 304) {
        const job = this.#checkJob((res.json as { data?: unknown } | undefined)?.data, res, `GET ${path}`);
        if (job.id !== id) throw this.#invalidResponse(res, `GET ${path}`, `expected job ${id}, got ${JSON.stringify(job.id)}`);
        // A proxy that drops If-None-Match answers 200 with the same state: unchanged, not news.
        if (etag === undefined || newEtag === undefined || !sameEtag(newEtag, etag)) return { notModified: false, job, etag: newEtag };
      }
      const now = performance.now();
      if (now >= holdUntil) return { notModified: true, job: undefined, etag: newEtag ?? etag! };
      const hint = parseRetryAfterMs(res.headers.get("retry-after")) ?? MIN_POLL_INTERVAL_MS;
      const pace = Math.min(MAX_POLL_INTERVAL_MS, Math.max(MIN_POLL_INTERVAL_MS, hint));
      const early = pace - (now - started);
      if (early > 0) await abortableSleep(Math.min(early, holdUntil - now), options.signal);
      if (performance.now() >= holdUntil) return { notModified: true, job: undefined, etag: newEtag ?? etag! };
    }
  }

  async *#stream(id: string, options: StreamJobOptions, state: { lastEventId: string | undefined }): AsyncGenerator<Job, void, undefined> {
    if (!isIdentifier(id)) {
      throw new ConfigError(`job id must be an id such as job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK, got ${JSON.stringify(id)}`);
    }
    const path = `/v1/jobs/${id}/stream`;
    const reconnect = options.reconnect ?? true;
    const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
    let retryMs = DEFAULT_SSE_RETRY_MS;
    let cuts = 0;
    for (;;) {
      const connection = new AbortController();
      const signal = options.signal === undefined ? connection.signal : AbortSignal.any([options.signal, connection.signal]);
      const headers: Record<string, string> = { Accept: "text/event-stream" };
      if (state.lastEventId !== undefined) headers["Last-Event-ID"] = state.lastEventId;
      let idle: ReturnType<typeof setTimeout> | undefined;
      let cause: unknown;
      try {
        const res = await this.#request({
          method: "GET",
          path,
          headers,
          timeoutMs: this.#options.requestTimeoutMs,
          signal,
          retries: reconnect ? Infinity : 0,
          deadline: Infinity,
          stream: true,
        });
        const type = res.headers.get("content-type") ?? "";
        if (!type.startsWith("text/event-stream")) {
          await res.response.body?.cancel().catch(() => undefined);
          throw this.#invalidResponse(res, `GET ${path}`, `expected text/event-stream, got ${JSON.stringify(type)}`);
        }
        const pending: { job: Job; id: string | undefined }[] = [];
        const parser = new SseParser(
          {
            onEvent: (event) => {
              if (event.event === "job") pending.push({ job: this.#parseEventJob(event.data, res, path), id: event.id });
            },
            onRetry: (ms) => (retryMs = ms),
          },
          state.lastEventId,
        );
        const decoder = new TextDecoder();
        const armIdle = (): void => {
          clearTimeout(idle);
          idle = setTimeout(() => connection.abort(REQUEST_TIMEOUT), idleTimeoutMs);
        };
        armIdle();
        const body = res.response.body;
        if (body === null) throw this.#invalidResponse(res, `GET ${path}`, "the stream had no body");
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          armIdle();
          try {
            parser.push(decoder.decode(chunk, { stream: true }));
          } catch (error) {
            // Not a job stream: say so once rather than reconnecting to it forever.
            if (error instanceof SseLimitError) throw this.#invalidResponse(res, `GET ${path}`, error.message);
            throw error;
          }
          while (pending.length > 0) {
            const next = pending.shift()!;
            state.lastEventId = next.id;
            cuts = 0;
            yield next.job;
            if (isTerminal(next.job.status)) return;
          }
        }
        parser.end();
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (isJobgateError(error) && !isUnreachableError(error) && !isRetryableHttp(error)) throw error;
        cause = connection.signal.reason === REQUEST_TIMEOUT ? new UnreachableError(`the stream of ${id} was silent for ${formatDuration(idleTimeoutMs)}`) : error;
      } finally {
        clearTimeout(idle);
        connection.abort();
      }
      // The stream ended (or was cut) before the terminal event.
      const message = `the stream of ${id} was cut before the job finished`;
      if (!reconnect) throw new UnreachableError(cause === undefined ? message : `${message}: ${this.#describe(cause)}`, { cause });
      cuts++;
      // The server's `retry:` is honoured (within reason); repeated cuts back off on top of it.
      const delay = Math.max(Math.min(retryMs, MAX_RETRY_AFTER_MS), cuts > 1 ? backoffDelayMs(cuts - 1, this.#options.retry) : 0);
      await abortableSleep(delay, options.signal);
    }
  }

  /** One logical request: attempts with retries, each with its own timeout. */
  async #request(exchange: Exchange): Promise<ApiResponse> {
    const { retry } = this.#options;
    try {
      const response = await pRetry(() => this.#attempt(exchange), {
        retries: exchange.retries,
        // The delay is ours (backoff.ts) so that Retry-After and the deadline shape it.
        minTimeout: 0,
        maxTimeout: 0,
        onFailedAttempt: async ({ error, retriesConsumed, retriesLeft }) => {
          if (exchange.signal?.aborted) throw exchange.signal.reason;
          const failure = error as JobgateError;
          if (!isRetryable(failure)) throw failure;
          const remaining = exchange.deadline - performance.now();
          if (retriesLeft <= 0 || remaining <= 0) throw this.#giveUp(exchange, failure, retriesConsumed + 1);
          if (exchange.tracker !== undefined) exchange.tracker.failing = failure;
          const retryAfter = isHttpError(failure) ? failure.retryAfterMs : undefined;
          const delay = retryDelayMs(retriesConsumed + 1, retry, retryAfter, remaining);
          exchange.tracker?.onRetry?.(failure, delay);
          await abortableSleep(delay, exchange.signal);
        },
      });
      if (exchange.tracker !== undefined) exchange.tracker.failing = undefined;
      return response;
    } catch (error) {
      if (exchange.signal?.aborted) throw exchange.signal.reason;
      throw error;
    }
  }

  async #attempt(exchange: Exchange): Promise<ApiResponse> {
    const url = this.#options.apiUrl + exchange.path;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(REQUEST_TIMEOUT), exchange.timeoutMs);
    const signal = exchange.signal === undefined ? timeout.signal : AbortSignal.any([exchange.signal, timeout.signal]);
    try {
      let response: Response;
      try {
        response = await this.#options.fetch(url, {
          method: exchange.method,
          headers: {
            Authorization: `Bearer ${this.#options.token}`,
            "Forge-Version": this.#options.forgeVersion,
            "User-Agent": this.#options.userAgent,
            Accept: "application/json",
            ...exchange.headers,
          },
          ...(exchange.body !== undefined ? { body: exchange.body } : {}),
          // A redirect is reported, never followed: the token goes to apiUrl and nowhere else.
          redirect: "manual",
          signal,
        });
      } catch (error) {
        if (exchange.signal?.aborted) throw exchange.signal.reason;
        throw this.#networkError(exchange, error, timeout.signal.aborted);
      }
      if (exchange.stream === true && response.status === 200) return { status: 200, headers: response.headers, json: undefined, response };
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        if (exchange.signal?.aborted) throw exchange.signal.reason;
        throw this.#networkError(exchange, error, timeout.signal.aborted);
      }
      let json: unknown;
      if (text !== "") {
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
      }
      const res: ApiResponse = { status: response.status, headers: response.headers, json, response };
      if ((response.status >= 200 && response.status < 300) || response.status === 304) return res;
      throw this.#httpError(exchange, res);
    } finally {
      clearTimeout(timer);
    }
  }

  #networkError(exchange: Exchange, error: unknown, timedOut: boolean): UnreachableError {
    const what = `${exchange.method} ${this.#options.apiUrl}${exchange.path.split("?")[0]}`;
    if (timedOut) return new UnreachableError(`${what}: no answer within ${formatDuration(exchange.timeoutMs)}`, { cause: error });
    return new UnreachableError(`${what}: ${this.#describe(error)}`, { cause: error });
  }

  #httpError(exchange: Exchange, res: ApiResponse): HttpError {
    const body = res.json as { error?: { code?: unknown; message?: unknown }; request_id?: unknown } | undefined;
    const code = typeof body?.error?.code === "string" ? body.error.code : `http_${res.status}`;
    const detail = typeof body?.error?.message === "string" ? body.error.message : res.response.statusText || "no details";
    const requestId = res.headers.get("x-request-id") ?? (typeof body?.request_id === "string" ? body.request_id : undefined);
    const details = { status: res.status, code, requestId, retryAfterMs: parseRetryAfterMs(res.headers.get("retry-after")), apiMessage: this.#redact(detail) };
    const location = res.headers.get("location");
    const message = this.#redact(
      res.status >= 300 && res.status < 400
        ? `${exchange.method} ${exchange.path.split("?")[0]}: ${res.status} redirect to ${location ?? "(no Location)"}; redirects are not followed: set apiUrl (JOBGATE_API_URL) to the API's final address`
        : `${exchange.method} ${exchange.path.split("?")[0]}: ${res.status} ${code}: ${detail}`,
    );
    if (res.status === 401 || res.status === 403) return new AuthError(message, details);
    if (res.status === 404) return new NotFoundError(message, details);
    return new HttpError(message, details);
  }

  #giveUp(exchange: Exchange, last: JobgateError, attempts: number): UnreachableError {
    return new UnreachableError(
      `${this.#options.apiUrl} could not be reached after ${attempts} attempt${attempts === 1 ? "" : "s"} (${exchange.method} ${exchange.path.split("?")[0]}): ${last.message}`,
      { cause: last },
    );
  }

  #deadlineError(id: string, timeoutMs: number, last: Job | undefined, tracker: FailureTracker): JobgateError {
    if (tracker.failing !== undefined) {
      return new UnreachableError(
        `${this.#options.apiUrl} was unreachable when the ${formatDuration(timeoutMs)} timeout passed waiting for ${id}: ${tracker.failing.message}` +
          (last === undefined ? "" : `; last state: ${describeJob(last)}`),
        { cause: tracker.failing },
      );
    }
    return new TimeoutError(
      `timed out after ${formatDuration(timeoutMs)} waiting for ${id}; last state: ${last === undefined ? "none seen" : describeJob(last)}`,
      last,
    );
  }

  #checkJob(value: unknown, res: ApiResponse, what: string): Job {
    if (!looksLikeJob(value)) throw this.#invalidResponse(res, what, "expected a job envelope { data: { id, status, … } }");
    return value;
  }

  #parseEventJob(data: string, res: ApiResponse, path: string): Job {
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      throw this.#invalidResponse(res, `GET ${path}`, "an event's data is not JSON");
    }
    return this.#checkJob(value, res, `GET ${path}`);
  }

  #invalidResponse(res: ApiResponse, what: string, expected: string): HttpError {
    return new HttpError(`${what}: unexpected answer (${res.status}): ${expected}`, {
      status: res.status,
      code: "invalid_response",
      requestId: res.headers.get("x-request-id") ?? undefined,
    });
  }

  #noEtag(id: string): HttpError {
    return new HttpError(`GET /v1/jobs/${id}: the answer had no ETag, so it cannot be long-polled`, {
      status: 200,
      code: "invalid_response",
      requestId: undefined,
    });
  }

  #describe(error: unknown): string {
    const e = error as { message?: unknown; code?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
    const code = typeof e?.cause?.code === "string" ? e.cause.code : typeof e?.code === "string" ? e.code : undefined;
    const message = typeof e?.cause?.message === "string" ? e.cause.message : typeof e?.message === "string" ? e.message : String(error);
    return this.#redact(code !== undefined && !message.includes(code) ? `${code}: ${message}` : message);
  }

  #redact(text: string): string {
    return text.split(this.#options.token).join("[token]");
  }
}

/** `status progress%` of a job, as status lines and error messages show it. */
export function describeJob(job: Job): string {
  const percent = Math.round((job.progress ?? 0) * 100);
  return `${job.status} ${percent}%`;
}

function toTimeoutMs(timeout: number | string | undefined): number {
  if (timeout === undefined) return Infinity;
  if (typeof timeout === "string") {
    try {
      return parseDuration(timeout, "timeout");
    } catch (error) {
      throw new ConfigError((error as Error).message, { cause: error });
    }
  }
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout <= 0) {
    throw new ConfigError(`timeout must be a positive number of ms or a duration such as "30m", got ${JSON.stringify(timeout)}`);
  }
  return timeout;
}

function isRetryableHttp(error: JobgateError): boolean {
  return isHttpError(error) && (error.status === 429 || error.status >= 500);
}

function isRetryable(error: unknown): boolean {
  return isUnreachableError(error) || (isHttpError(error) && isRetryableHttp(error));
}

/** Weak comparison (RFC 9110 §8.8.3.2): `W/"x"` equals `"x"`. */
function sameEtag(a: string, b: string): boolean {
  const strip = (tag: string): string => tag.trim().replace(/^W\//i, "");
  return strip(a) === strip(b);
}

