/**
 * A job's states over SSE (spec §4): `streamJob` yields each state until the terminal
 * one, resuming a cut stream with `Last-Event-ID`. Reconnects honour the server's
 * `retry:` and back off on repeated cuts through the same `Retrier` as every request;
 * a stream silent past its idle timeout (the server sends heartbeats) counts as cut.
 */
import { SSE_RETRY_MS } from "../api/defaults.js";
import { isTerminal, type Job } from "../api/job.js";
import { MAX_RETRY_AFTER_MS } from "./backoff.js";
import { formatDuration } from "./duration.js";
import { UnreachableError, isJobgateError } from "./errors.js";
import { readEvents, STREAM_SILENT } from "./event-reader.js";
import { checkJob } from "./job-checks.js";
import { jobRequestPath } from "./long-poll.js";
import { invalidResponse } from "./response-errors.js";
import { isRetryable } from "./retrier.js";
import { SseLimitError } from "./sse-parser.js";
import type { ApiResponse, Transport } from "./transport.js";

/** A stream silent this long (the server sends heartbeats every 15 s) is cut and reopened. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 45_000;

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

/** A `streamJob` iterator, which also tells where it got to (for resuming elsewhere). */
export interface JobStream extends AsyncIterable<Job> {
  /** The id (version) of the last event yielded. */
  readonly lastEventId: string | undefined;
}

export function streamJob(transport: Transport, requestTimeoutMs: number, id: string, options: StreamJobOptions = {}): JobStream {
  const state = { lastEventId: options.lastEventId };
  return {
    get lastEventId() {
      return state.lastEventId;
    },
    [Symbol.asyncIterator]: () => follow(transport, requestTimeoutMs, id, options, state),
  };
}

async function* follow(
  transport: Transport,
  requestTimeoutMs: number,
  id: string,
  options: StreamJobOptions,
  state: { lastEventId: string | undefined },
): AsyncGenerator<Job, void, undefined> {
  const path = `${jobRequestPath(id)}/stream`;
  const reconnect = options.reconnect ?? true;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
  const retrier = transport.retrier({ retries: reconnect ? Infinity : 0, signal: options.signal, what: `GET ${path}` });
  let retryMs = SSE_RETRY_MS;
  for (;;) {
    const connection = new AbortController();
    const signal = options.signal === undefined ? connection.signal : AbortSignal.any([options.signal, connection.signal]);
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    if (state.lastEventId !== undefined) headers["Last-Event-ID"] = state.lastEventId;
    let cause: unknown;
    try {
      const res = await transport.request({ method: "GET", path, headers, timeoutMs: requestTimeoutMs, signal, stream: true }, retrier);
      const body = openBody(res, path);
      const events = readEvents(body, { connection, idleTimeoutMs, lastEventId: state.lastEventId, onRetry: (ms) => (retryMs = ms) });
      for await (const event of events) {
        if (event.event !== "job") continue;
        const job = parseEventJob(event.data, res, path, id);
        state.lastEventId = event.id;
        retrier.succeeded();
        yield job;
        if (isTerminal(job.status)) return;
      }
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      // Not a job stream: say so once rather than reconnecting to it forever.
      if (error instanceof SseLimitError) throw invalidResponse(200, new Headers(), `GET ${path}`, error.message);
      if (isJobgateError(error) && !isRetryable(error)) throw error;
      cause = connection.signal.reason === STREAM_SILENT ? new UnreachableError(`the stream of ${id} was silent for ${formatDuration(idleTimeoutMs)}`) : error;
    } finally {
      connection.abort();
    }
    // The stream ended (or was cut) before the terminal event.
    const message = `the stream of ${id} was cut before the job finished`;
    const cut = new UnreachableError(cause === undefined ? message : `${message}: ${transport.describe(cause)}`, { cause });
    if (!reconnect) throw cut;
    // The server's `retry:` is honoured (within reason); repeated cuts back off on top of it.
    await retrier.afterFailure(cut, Math.min(retryMs, MAX_RETRY_AFTER_MS));
  }
}

function openBody(res: ApiResponse, path: string): AsyncIterable<Uint8Array> {
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("text/event-stream")) {
    void res.response.body?.cancel().catch(() => undefined);
    throw invalidResponse(res.status, res.headers, `GET ${path}`, `expected text/event-stream, got ${JSON.stringify(type)}`);
  }
  if (res.response.body === null) throw invalidResponse(res.status, res.headers, `GET ${path}`, "the stream had no body");
  return res.response.body as AsyncIterable<Uint8Array>;
}

/** An event's job: a state of the job asked for, or an `invalid_response` (as the long-poll checks its answers). */
function parseEventJob(data: string, res: ApiResponse, path: string, id: string): Job {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw invalidResponse(res.status, res.headers, `GET ${path}`, "an event's data is not JSON");
  }
  const job = checkJob(value, res, `GET ${path}`);
  if (job.id !== id) throw invalidResponse(res.status, res.headers, `GET ${path}`, `expected job ${id}, got ${JSON.stringify(job.id)}`);
  return job;
}
