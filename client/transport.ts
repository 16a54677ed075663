/**
 * The client's one way onto the network: every request of the client (and so of the
 * CLI, the constructs' runtime, the provider and proxy mode's upstream calls) goes
 * through `Transport.request`, which sends it with the connection headers, a timeout of
 * its own and `redirect: "manual"` (the token goes to `apiUrl` and nowhere else), reads
 * the answer, and retries what is worth retrying through a `Retrier`.
 *
 * The fetch is injectable (`JobsClientOptions.fetch`); by default it is network.ts's,
 * which goes through `HTTPS_PROXY` / `HTTP_PROXY` and trusts `caFile`.
 *
 * It also decides what a failure means (spec §9 "Networks"): a TLS certificate that does
 * not verify or a proxy that refuses us is a `ConfigError` (retrying cannot fix it);
 * other network failures are `UnreachableError`s, retried — but while the API has never
 * answered, only until the connect timeout, and the error then names the URL and the
 * proxy in use. Messages never contain the token or proxy credentials.
 */
import { formatDuration } from "./duration.js";
import { ConfigError, UnreachableError, type JobgateError } from "./errors.js";
import { describeNetworkFailure, isApiAnswer } from "./network-errors.js";
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
  /** Whether the API itself has answered once (an intermediary's error page does not count). */
  #answered = false;
  readonly #connectBy: number;
  /** The last failure of a full attempt: what a connect timeout reports (its own cut-short attempt says nothing). */
  #lastFailure: JobgateError | undefined;

  constructor(options: NormalizedClientOptions) {
    this.#options = options;
    this.#connectBy = performance.now() + options.connectTimeoutMs;
  }

  get apiUrl(): string {
    return this.#options.apiUrl;
  }

  /** The proxy in use (printable), if any. */
  get proxy(): string | undefined {
    return this.#options.proxy;
  }

  /** ` (through proxy http://proxy:3128)`, or "" when direct: for messages about the network. */
  get via(): string {
    return this.#options.proxy === undefined ? "" : ` (through proxy ${this.#options.proxy})`;
  }

  /** A retrier for one call: `retries` failures in a row at most (the client's default), until `deadline`. */
  retrier(options: {
    retries?: number;
    deadline?: number;
    signal?: AbortSignal | undefined;
    onRetry?: ((error: JobgateError, delayMs: number) => void) | undefined;
    what: string;
  }): Retrier {
    return new Retrier({
      schedule: this.#options.retry,
      retries: options.retries ?? this.#options.retry.retries,
      deadline: options.deadline ?? Infinity,
      signal: options.signal,
      onRetry: options.onRetry,
      giveUp: (last, failures) =>
        new UnreachableError(
          `${this.#options.apiUrl}${this.via} could not be reached after ${failures} attempt${failures === 1 ? "" : "s"} (${options.what}): ${last.message}`,
          { cause: last, reason: "gave_up" },
        ),
      connectDeadline: () => (this.#answered ? undefined : this.#connectBy),
      neverAnswered: (last) => this.neverAnswered(last),
    });
  }

  /** The error of an API that has not answered once within the connect timeout. */
  neverAnswered(last: JobgateError): UnreachableError {
    const hint =
      this.#options.proxy === undefined
        ? "; no proxy is in use (HTTPS_PROXY / HTTP_PROXY are unset, or NO_PROXY or loopback sends this URL direct): if this network needs one, set HTTPS_PROXY"
        : "";
    const failure = this.#lastFailure ?? last;
    return new UnreachableError(
      `${this.#options.apiUrl}${this.via} never answered within the ${formatDuration(this.#options.connectTimeoutMs)} connect timeout: ${failure.message}${hint}`,
      { cause: failure, reason: "never_answered" },
    );
  }

  /** One logical request: attempts until one succeeds or `retrier` gives up (a fresh one per call when omitted). */
  async request(exchange: Exchange, retrier: Retrier = this.retrier({ signal: exchange.signal, what: describe(exchange) })): Promise<ApiResponse> {
    for (;;) {
      try {
        const response = await this.send(exchange);
        retrier.succeeded();
        return response;
      } catch (error) {
        if (exchange.signal?.aborted) throw exchange.signal.reason;
        await retrier.afterFailure(error);
      }
    }
  }

  /** Removes the token and proxy credentials from text that may quote what was sent (a server's message, a network error). */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#options.secrets) out = out.split(secret).join(secret === this.#options.token ? "[token]" : "***");
    return out;
  }

  /** A one-line reason for a network failure, from the error and its cause (`ECONNREFUSED: connect …`). */
  describe(error: unknown): string {
    const e = error as { message?: unknown; code?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
    const code = typeof e?.cause?.code === "string" ? e.cause.code : typeof e?.code === "string" ? e.code : undefined;
    const message = typeof e?.cause?.message === "string" ? e.cause.message : typeof e?.message === "string" ? e.message : String(error);
    return this.redact(code !== undefined && !message.includes(code) ? `${code}: ${message}` : message);
  }

  /** One attempt, no retry: the answer, or the error it amounts to. */
  async send(exchange: Exchange): Promise<ApiResponse> {
    const timeout = new AbortController();
    // Until the API has answered once, no attempt outlives the connect timeout.
    const timeoutMs = this.#answered ? exchange.timeoutMs : Math.max(1, Math.min(exchange.timeoutMs, this.#connectBy - performance.now()));
    const timer = setTimeout(() => timeout.abort(REQUEST_TIMEOUT), timeoutMs);
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
        throw this.#networkError(exchange, error, timeout.signal.aborted, timeoutMs);
      }
      this.#lastFailure = undefined;
      if (exchange.stream === true && response.status === 200) {
        this.#answered = true;
        return { status: 200, headers: response.headers, json: undefined, response };
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        if (exchange.signal?.aborted) throw exchange.signal.reason;
        throw this.#networkError(exchange, error, timeout.signal.aborted, timeoutMs);
      }
      const res: ApiResponse = { status: response.status, headers: response.headers, json: parseJson(text), response };
      if (isApiAnswer(res)) this.#answered = true;
      if ((response.status >= 200 && response.status < 300) || response.status === 304) return res;
      throw errorFromAnswer({ ...res, statusText: response.statusText }, describe(exchange), (t) => this.redact(t));
    } finally {
      clearTimeout(timer);
    }
  }

  #networkError(exchange: Exchange, error: unknown, timedOut: boolean, timeoutMs: number): JobgateError {
    const what = `${exchange.method} ${this.#options.apiUrl}${pathOf(exchange)}${this.via}`;
    if (timedOut) {
      const result = new UnreachableError(`${what}: no answer within ${formatDuration(timeoutMs)}`, { cause: error, reason: "timeout" });
      // An attempt cut short by the connect timeout tells nothing new.
      if (timeoutMs >= exchange.timeoutMs) this.#lastFailure = result;
      return result;
    }
    const failure = describeNetworkFailure(error, new URL(this.#options.apiUrl).host, this.#options.proxy);
    if (failure.permanent) return new ConfigError(this.redact(`${what}: ${failure.message}`), { cause: error });
    this.#lastFailure = new UnreachableError(`${what}: ${this.redact(failure.message)}`, { cause: error });
    return this.#lastFailure;
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
