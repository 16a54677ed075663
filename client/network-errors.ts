/**
 * What a failure on the way to the API means (spec §9 "Networks"), read from fetch's
 * error and its causes: which failures retrying cannot fix (a certificate that does not
 * verify, a proxy that wants credentials or refuses the destination), and which answers
 * are this API's at all — an intermediary's 502/503/504 page carries no error envelope.
 */
import { isHttpError, isUnreachableError } from "./errors.js";

/** OpenSSL's and Node's codes for a certificate that does not verify: no retry can fix them. */
const TLS_VERIFY_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "INVALID_CA",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "HOSTNAME_MISMATCH",
]);

const TUNNEL_STATUS = /Proxy response \((\d{3})\) !== 200 when HTTP Tunneling/;

interface ErrorLike {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
}

/** The error and its causes, outermost first (bounded: causes can loop). */
function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let current: unknown = error;
  while (typeof current === "object" && current !== null && out.length < 8) {
    out.push(current);
    current = (current as ErrorLike).cause;
  }
  return out;
}

export interface NetworkFailure {
  /** True when retrying cannot help: a ConfigError (exit 2), not an UnreachableError. */
  readonly permanent: boolean;
  /** One line, e.g. `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9`. */
  readonly message: string;
}

/** What a fetch failure to `host` (through `proxy`, printable) means. */
export function describeNetworkFailure(error: unknown, host: string, proxy: string | undefined): NetworkFailure {
  // The caller's message names the URL and the proxy; this says what went wrong.
  const links = chain(error);
  const codes = links.map((e) => (typeof e.code === "string" ? e.code : undefined)).filter((c): c is string => c !== undefined);
  const messages = links.map((e) => (typeof e.message === "string" ? e.message : undefined)).filter((m): m is string => m !== undefined);
  const tls = codes.find((code) => TLS_VERIFY_CODES.has(code));
  if (tls !== undefined) {
    const detail = links.find((e) => e.code === tls);
    const message = typeof detail?.message === "string" ? detail.message : tls;
    return {
      permanent: true,
      message:
        `TLS: the certificate presented for ${host} does not verify (${tls}: ${message}); retrying cannot fix this. ` +
        "If a TLS-inspecting proxy re-signs traffic, trust its CA with --ca-file PATH (JOBGATE_CA_FILE, or NODE_EXTRA_CA_CERTS)",
    };
  }
  const tunnel = messages.map((m) => TUNNEL_STATUS.exec(m)).find((m) => m !== null);
  if (tunnel !== undefined && tunnel !== null) {
    const status = Number(tunnel[1]);
    if (status === 407) {
      return {
        permanent: true,
        message: `proxy ${proxy ?? ""} asks for credentials (407 Proxy Authentication Required): put them in the proxy URL, e.g. HTTPS_PROXY=http://user:password@proxy:3128`,
      };
    }
    if (status === 403) return { permanent: true, message: `proxy ${proxy ?? ""} refused to connect to ${host} (403): ask for ${host} to be allowed` };
    return { permanent: false, message: `proxy ${proxy ?? ""} could not connect to ${host} (${status})` };
  }
  // The Fetch standard's blocked ports (6000, 6665–6669, 10080, …): fetch never connects to them.
  if (messages.includes("bad port")) {
    return {
      permanent: true,
      message: `fetch refuses to connect to the port of ${host} (a port the Fetch standard blocks, such as 6000 or 10080); retrying cannot fix this: serve the API on another port`,
    };
  }
  // fetch's own message ("fetch failed") says nothing: the innermost cause does.
  const inner = links[links.length - 1];
  const code = codes[codes.length - 1];
  const message = typeof inner?.message === "string" && inner.message !== "" ? inner.message : String(error);
  return { permanent: false, message: code !== undefined && !message.includes(code) ? `${code}: ${message}` : message };
}

interface Answer {
  readonly status: number;
  readonly json: unknown;
}

/** True when the body is this API's error envelope `{ error: { code, message } }`. */
export function hasErrorEnvelope(json: unknown): boolean {
  const error = (json as { error?: { code?: unknown } } | undefined)?.error;
  return typeof error === "object" && error !== null && typeof error.code === "string";
}

/** True when the answer is the API's own (a success, or its error envelope), not an intermediary's page. */
export function isApiAnswer(answer: Answer): boolean {
  return (answer.status >= 200 && answer.status < 400) || hasErrorEnvelope(answer.json);
}

/**
 * True when a held request's failure looks like an intermediary ending it: a 502/503/504
 * without this API's envelope, or the connection reset or closed mid-hold (not our own
 * request timeout). Whether it lasted long enough to be a cut is hold-window.ts's call.
 */
export function isIntermediaryCut(error: unknown): boolean {
  if (isHttpError(error)) return (error.status === 502 || error.status === 503 || error.status === 504) && error.code === `http_${error.status}`;
  return isUnreachableError(error) && error.reason === "network";
}
