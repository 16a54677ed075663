/**
 * JobsClient — a typed, fetch-based client for the jobs API (spec §2–4, §6, §9): the
 * façade over the client's mechanisms, each in its own file:
 *
 *   transport.ts    every request: headers, timeouts, no redirects, errors (response-errors.ts)
 *   retrier.ts      the one retry mechanism: jittered backoff, Retry-After, the deadline
 *   long-poll.ts    the ETag long-poll and the wait built on it
 *   wait-for-jobs.ts  several jobs at once, one long-poll each, one deadline and retrier
 *   watch-job.ts    SSE with a long-poll beside it that finds out buffering proxies
 *   job-stream.ts   SSE with resume and reconnection, over event-reader.ts
 *   network.ts      the default fetch: HTTPS_PROXY / HTTP_PROXY / NO_PROXY, --ca-file
 *
 * Everything thrown is a `JobgateError` (see errors.ts), except a caller's abort, which
 * rethrows the caller's `signal.reason`. The token is private to the client: logging or
 * serializing a client can never show it, and no message contains it.
 */
import { randomUUID } from "node:crypto";
import { isIdempotencyKey } from "../api/identifiers.js";
import type { Job, JobStatus } from "../api/job.js";
import { ConfigError } from "./errors.js";
import { checkJob } from "./job-checks.js";
import { deadlineError, pollJob, startDeadline, waitForJob, type GetJobOptions, type GetJobResult, type WaitForJobOptions } from "./long-poll.js";
import { streamJob, type JobStream, type StreamJobOptions } from "./job-stream.js";
import type { JobWaitOutcome, WaitForJobsOptions } from "./wait-for-jobs.js";
import type { WatchJobOptions } from "./watch-job.js";
import { normalizeClientOptions, type JobsClientOptions, type NormalizedClientOptions } from "./options.js";
import { invalidResponse } from "./response-errors.js";
import { Transport, type ApiResponse } from "./transport.js";

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

export interface CallOptions {
  /**
   * `Idempotency-Key` for the operation. When omitted, one is generated per call so the
   * client's own retries can never start the operation twice.
   */
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
  /**
   * Give up after this long (ms, or a Go-style duration such as `"30m"`), retries included:
   * `TimeoutError`, or `UnreachableError` when the call was failing then. A caller that then
   * waits on the job gives the wait what is left (`jobgate call --wait --timeout`).
   * @default no limit but the retries'
   */
  readonly timeout?: number | string;
}

export interface CallResult {
  readonly job: Job;
  /** The `Location` header (`/v1/jobs/{id}`), when the answer carried one. */
  readonly location: string | undefined;
  readonly status: number;
  readonly idempotencyKey: string;
}

export class JobsClient {
  readonly #options: NormalizedClientOptions;
  readonly #transport: Transport;

  constructor(options: JobsClientOptions) {
    this.#options = normalizeClientOptions(options);
    this.#transport = new Transport(this.#options);
  }

  /** The API this client talks to. */
  get apiUrl(): string {
    return this.#options.apiUrl;
  }

  /** One job; with `etag` a conditional GET, with `etag` and `waitS` a long-poll. Retried like any call. */
  async getJob(id: string, options: GetJobOptions = {}): Promise<GetJobResult> {
    return pollJob(this.#transport, this.#options, id, options, this.#transport.retrier({ signal: options.signal, what: `GET /v1/jobs/${id}` }));
  }

  /** One page of jobs, newest first. */
  async listJobsPage(filters: ListJobsFilters = {}): Promise<JobsPage> {
    const query = new URLSearchParams();
    if (filters.status !== undefined) query.set("status", filters.status);
    if (filters.resourceType !== undefined) query.set("resource_type", filters.resourceType);
    if (filters.limit !== undefined) query.set("limit", String(filters.limit));
    if (filters.cursor !== undefined) query.set("cursor", filters.cursor);
    const qs = query.toString();
    const res = await this.#transport.request({
      method: "GET",
      path: `/v1/jobs${qs === "" ? "" : `?${qs}`}`,
      timeoutMs: this.#options.requestTimeoutMs,
      signal: filters.signal,
    });
    const body = res.json as { data?: unknown; next_cursor?: unknown } | undefined;
    if (!Array.isArray(body?.data) || !(typeof body.next_cursor === "string" || body.next_cursor === null)) {
      throw invalidResponse(res.status, res.headers, "GET /v1/jobs", "expected { data: [...], next_cursor }");
    }
    return { jobs: body.data.map((job) => checkJob(job, res, "GET /v1/jobs")), nextCursor: body.next_cursor };
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
   * `NotFoundError`, `AuthError`. A server restart or an outage mid-wait does not end it.
   */
  waitForJob(id: string, options: WaitForJobOptions = {}): Promise<Job> {
    return waitForJob(this.#transport, this.#options, id, options);
  }

  /**
   * Waits on several jobs at once (one long-poll each, one deadline, one retry budget):
   * resolves with one outcome per id, in the order given — `mode: "all"` (default) once
   * every job has one, `"any"` at the first. Throws only `ConfigError` (bad ids) and the
   * caller's abort; a failed, missing or timed-out job is an outcome with its error.
   */
  async waitForJobs(ids: readonly string[], options: WaitForJobsOptions = {}): Promise<JobWaitOutcome[]> {
    // Loaded when used: a one-job wait (what CI runs most) starts without it.
    const { waitForJobs } = await import("./wait-for-jobs.js");
    return waitForJobs(this.#transport, this.#options, ids, options);
  }

  /**
   * Follows the job live over SSE, with a long-poll held beside the stream that finds out
   * a proxy buffering it (then the long-poll alone follows). Resolves and throws as `waitForJob`.
   */
  async watchJob(id: string, options: WatchJobOptions = {}): Promise<Job> {
    const { watchJob } = await import("./watch-job.js");
    return watchJob(this.#transport, this.#options, id, options);
  }

  /** The proxy this client's requests go through (printable, no credentials), or undefined when direct. */
  get proxy(): string | undefined {
    return this.#transport.proxy;
  }

  /** The job's states over SSE, ending after the terminal one. */
  streamJob(id: string, options: StreamJobOptions = {}): JobStream {
    return streamJob(this.#transport, this.#options.requestTimeoutMs, id, options);
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
    if (!isIdempotencyKey(idempotencyKey)) throw new ConfigError("idempotencyKey must be 1–255 visible ASCII characters without spaces");
    const headers: Record<string, string> = { "Idempotency-Key": idempotencyKey };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === "string" ? body : JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    const deadline = options.timeout === undefined ? undefined : startDeadline(options.timeout, options.signal);
    const signal = deadline?.signal ?? options.signal;
    const retrier = this.#transport.retrier({ signal, deadline: deadline?.at, what: `${verb} ${path}` });
    let res: ApiResponse;
    try {
      res = await this.#transport.request(
        { method: verb, path, headers, ...(payload !== undefined ? { body: payload } : {}), timeoutMs: this.#options.requestTimeoutMs, signal },
        retrier,
      );
    } catch (error) {
      if (deadline?.passed() === true) throw deadlineError(this.#options.apiUrl, `${verb} ${path}`, deadline.timeoutMs, undefined, retrier.failing, "calling");
      throw error;
    } finally {
      deadline?.clear();
    }
    const job = checkJob((res.json as { data?: unknown } | undefined)?.data, res, `${verb} ${path}`);
    return { job, location: res.headers.get("location") ?? undefined, status: res.status, idempotencyKey };
  }
}
