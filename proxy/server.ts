/**
 * `jobgate serve`: one node:http server whose request listener answers the hot
 * `GET|HEAD /v1/jobs/{id}` bare and hands everything else to Express, in front of a
 * mode — standalone (keys file + store) or proxy (`--upstream`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { ERROR_STATUS } from "../api/error-codes.js";
import { MAX_HEADER_BYTES } from "../api/limits.js";
import { createApp } from "./http/app.js";
import { answerClientError, clientErrorAnswer } from "./http/client-errors.js";
import { createLogger } from "./logger.js";
import type { ServerMetrics } from "./metrics.js";
import { createModeDeps, type ServeMode } from "./mode.js";
import { normalizeServeOptions, type NormalizedServeOptions, type ServeOptions } from "./serve-options.js";
import { createStandaloneMode } from "./standalone/standalone-mode.js";
import { openStore } from "./store/open-store.js";
import type { JobStore } from "./store/types.js";
import { KeyRing } from "./tenancy/keys.js";
import { createProxyMode } from "./upstream/proxy-mode.js";

export interface JobgateServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  /** The job store (standalone mode); undefined in proxy mode. */
  readonly store: JobStore | undefined;
  readonly metrics: ServerMetrics;
  readonly options: NormalizedServeOptions;
  readonly http: Server;
  /** Graceful shutdown: held long-polls answered, streams ended, then closed. */
  close(): Promise<void>;
}

/** Collaborators a caller (a test, an embedding) may supply instead of the defaults. */
export interface ServerDeps {
  readonly keys?: KeyRing;
  /** A store the caller owns: the server uses it and leaves it open on close. */
  readonly store?: JobStore;
  readonly logger?: Logger;
}

const JOB_PATH_PREFIX = "/v1/jobs/";
/** How often shutdown closes connections that have gone idle. */
const IDLE_SWEEP_MS = 25;
/** How often Node checks the head and body timeouts. */
const TIMEOUT_CHECK_MS = 1_000;

export async function startServer(serveOptions: ServeOptions, deps: ServerDeps = {}): Promise<JobgateServer> {
  const options = normalizeServeOptions({ ...serveOptions, keysFile: serveOptions.keysFile ?? (deps.keys ? "(given)" : undefined) });
  const logger = deps.logger ?? createLogger(options.logLevel);
  const modeDeps = createModeDeps(options, logger);
  const { metrics, lifecycle } = modeDeps;
  const mode: ServeMode =
    options.upstream === undefined
      ? createStandaloneMode({
          ...modeDeps,
          keys: deps.keys ?? KeyRing.fromFile(options.keysFile),
          store: deps.store ?? (await openStore(options, logger)),
          ownsStore: deps.store === undefined,
        })
      : createProxyMode({ ...modeDeps, upstream: options.upstream });
  metrics.countJobsWith(() => mode.jobsByStatus());
  const { getJob } = mode;
  const app = createApp({ ...modeDeps, checkHealth: () => mode.checkHealth() }, mode);

  const server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout: options.headersTimeoutMs,
      // Node counts a request's time from its first byte: the head's time, then the body's.
      requestTimeout: options.headersTimeoutMs + options.bodyTimeoutMs,
      // How often Node looks for requests past those timeouts (its default, 30 s, would let a slow client hold on far longer).
      connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    },
    (req: IncomingMessage, res: ServerResponse) => {
      const route = matchGetJob(req);
      if (route === undefined) return void app(req, res);
      getJob(req, res, route.jobId, route.wait);
    },
  );
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    const answer = clientErrorAnswer(error, { headersMs: options.headersTimeoutMs, bodyMs: options.bodyTimeoutMs });
    if (answer !== undefined) metrics.countRequest(`refused: ${answer.code}`, ERROR_STATUS[answer.code]);
    if (answer?.limit !== undefined) metrics.countLimit(answer.limit);
    answerClientError(socket, answer);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await mode.stop();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      lifecycle.drain();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections go idle as their answers finish (drained holds, ended streams): close
      // each as soon as it does, rather than waiting out keep-alive.
      const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs);
      await closed;
      clearInterval(sweep);
      clearTimeout(force);
      await mode.stop();
    })());

  return { url: `http://${host}:${port}`, port, store: mode.store, metrics, options, http: server, close };
}

/**
 * `GET|HEAD /v1/jobs/{id}` (an optional trailing slash, any query) → the job id and
 * the `wait` query parameter; anything else → undefined (Express answers it).
 */
function matchGetJob(req: IncomingMessage): { jobId: string; wait: string | undefined } | undefined {
  if (req.method !== "GET" && req.method !== "HEAD") return undefined;
  let url = req.url!;
  if (url.charCodeAt(0) !== 0x2f /* / */) {
    // absolute-form (RFC 9112 §3.2.2: `GET http://host/v1/jobs/x`): the path after the authority names the resource, as Express reads it
    const authority = url.indexOf("//");
    const path = authority === -1 ? -1 : url.indexOf("/", authority + 2);
    if (path === -1) return undefined;
    url = url.slice(path);
  }
  if (!url.startsWith(JOB_PATH_PREFIX)) return undefined;
  const queryAt = url.indexOf("?");
  let path = queryAt === -1 ? url.slice(JOB_PATH_PREFIX.length) : url.slice(JOB_PATH_PREFIX.length, queryAt);
  if (path.endsWith("/")) path = path.slice(0, -1);
  if (path === "" || path.includes("/")) return undefined;
  let jobId = path;
  if (path.includes("%")) {
    try {
      jobId = decodeURIComponent(path);
    } catch {
      // undecodable: it names no job, so the handler answers 404
    }
  }
  if (queryAt === -1) return { jobId, wait: undefined };
  const waits = new URLSearchParams(url.slice(queryAt + 1)).getAll("wait");
  // A repeated wait is malformed; an impossible value makes the handler say so.
  return { jobId, wait: waits.length > 1 ? waits.join(",") : waits[0] };
}
