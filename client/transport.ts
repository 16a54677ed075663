/**
 * The client's one way onto the network: every request of the client (and so of the
 * CLI, the constructs' runtime, the provider and proxy mode's upstream calls) goes
 * through `Transport.request`, which sends it with the connection headers, a timeout of
 * its own and `redirect: "manual"` (the token goes to `apiUrl` and nowhere else), reads
 * the answer, and retries what is worth retrying through a `Retrier`.
 *
 * The fetch is injectable (`JobsClientOptions.fetch`): tests, instrumentation and the
 * proxy-aware networking all plug in here, in one place.
 */
import { formatDuration } from "./duration.js";
import { UnreachableError, type JobgateError } from "./errors.js";
import type { NormalizedClientOptions } from "./options.js";
import { errorFromAnswer } from "./response-errors.js";
import { Retrier } from "./retrier.js";

export interface Exchange {
  readonly method: string;
  /** Path and query on the API, e.g. `/v1/jobs/job_1`. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** How long one attempt may take before it counts as a network failure. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  /** Hand back the open response of a 200 (streams) instead of reading its body. */
  readonly stream?: boolean;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed body when it was JSON (undefined for streams and other bodies). */
  readonly json: unknown;
  readonly response: Response;
}

/** Why a timer aborted an attempt. */
export const REQUEST_TIMEOUT = Symbol("request timeout");

export class Transport {
  readonly #options: NormalizedClientOptions;

  constructor(options: NormalizedClientOptions) {
    this.#options = options;
  }

  get apiUrl(): string {
    return this.#options.apiUrl;
  }

  /** A retrier for one call: `retries` failures in a row at most (the client's default), until `deadline`. */
  retrier(options: { retries?: number; deadline?: number; signal?: AbortSignal | undefined; onRetry?: ((error: JobgateError, delayMs: number) => void) | undefined; what: string }): Retrier {
    return new Retrier({
      schedule: this.#options.retry,
      retries: options.retries ?? this.#options.retry.retries,
      deadline: options.deadline ?? Infinity,
      signal: options.signal,
      onRetry: options.onRetry,
      giveUp: (last, failures) =>
        new UnreachableError(
          `${this.#options.apiUrl} could not be reached after ${failures} attempt${failures === 1 ? "" : "s"} (${options.what}): ${last.message}`,
          { cause: last },
        ),
    });
  }

  /** One logical request: attempts until one succeeds or `retrier` gives up (a fresh one per call when omitted). */
  async request(exchange: Exchange, retrier: Retrier = this.retrier({ signal: exchange.signal, what: describe(exchange) })): Promise<ApiResponse> {
    for (;;) {
      try {
        const response = await this.#attempt(exchange);
        retrier.succeeded();
        return response;
      } catch (error) {
        if (exchange.signal?.aborted) throw exchange.signal.reason;
        await retrier.afterFailure(error);
      }
    }
  }

  /** Removes the token from text that may quote what was sent (a server's message, a network error). */
  redact(text: string): string {
    return text.split(this.#options.token).join("[token]");
  }

  /** A one-line reason for a network failure, from the error and its cause (`ECONNREFUSED: connect …`). */
  describe(error: unknown): string {
    const e = error as { message?: unknown; code?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
    const code = typeof e?.cause?.code === "string" ? e.cause.code : typeof e?.code === "string" ? e.code : undefined;
    const message = typeof e?.cause?.message === "string" ? e.cause.message : typeof e?.message === "string" ? e.message : String(error);
    return this.redact(code !== undefined && !message.includes(code) ? `${code}: ${message}` : message);
  }

  async #attempt(exchange: Exchange): Promise<ApiResponse> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(REQUEST_TIMEOUT), exchange.timeoutMs);
    const signal = exchange.signal === undefined ? timeout.signal : AbortSignal.any([exchange.signal, timeout.signal]);
    try {
      let response: Response;
      try {
        response = await this.#options.fetch(this.#options.apiUrl + exchange.path, {
          method: exchange.method,
          headers: {
            Authorization: `Bearer ${this.#options.token}`,
            "Forge-Version": this.#options.forgeVersion,
            "User-Agent": this.#options.userAgent,
            Accept: "application/json",
            ...exchange.headers,
          },
          ...(exchange.body !== undefined ? { body: exchange.body } : {}),
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
      const res: ApiResponse = { status: response.status, headers: response.headers, json: parseJson(text), response };
      if ((response.status >= 200 && response.status < 300) || response.status === 304) return res;
      throw errorFromAnswer({ ...res, statusText: response.statusText }, describe(exchange), (t) => this.redact(t));
    } finally {
      clearTimeout(timer);
    }
  }

  #networkError(exchange: Exchange, error: unknown, timedOut: boolean): UnreachableError {
    const what = `${exchange.method} ${this.#options.apiUrl}${pathOf(exchange)}`;
    if (timedOut) return new UnreachableError(`${what}: no answer within ${formatDuration(exchange.timeoutMs)}`, { cause: error });
    return new UnreachableError(`${what}: ${this.describe(error)}`, { cause: error });
  }
}

/** `METHOD /path`, never the query (it may hold a cursor). */
export function describe(exchange: Pick<Exchange, "method" | "path">): string {
  return `${exchange.method} ${pathOf(exchange)}`;
}

function pathOf(exchange: Pick<Exchange, "path">): string {
  return exchange.path.split("?")[0]!;
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
