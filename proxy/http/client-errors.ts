/**
 * Requests Node's parser refuses before any route sees them (spec §2), answered in the
 * one error envelope, with a request id, and the connection closed: a head over 16 KiB
 * (431 `headers_too_large`), a head or body that did not arrive in time (408
 * `request_timeout`), anything malformed (400 `invalid_request`).
 */
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { LATEST_VERSION } from "../../api/versions.js";
import { ERROR_STATUS, type ErrorCode } from "../../api/error-codes.js";
import { MAX_HEADER_BYTES } from "../../api/limits.js";
import { newRequestId } from "../ulid.js";
import { errorBody } from "./api-error.js";

/** What to answer for a parser error; undefined when the connection should just be closed (the client went away). */
export interface ClientErrorAnswer {
  readonly code: ErrorCode;
  readonly message: string;
  /** The limit it enforces, counted in jobgate_limit_hits_total. */
  readonly limit?: string;
}

export function clientErrorAnswer(error: NodeJS.ErrnoException, timeouts: { headersMs: number; bodyMs: number }): ClientErrorAnswer | undefined {
  switch (error.code) {
    case "ECONNRESET":
    case "EPIPE":
      return undefined;
    case "HPE_HEADER_OVERFLOW":
      return { code: "headers_too_large", message: `the request's headers are larger than ${MAX_HEADER_BYTES / 1024} KiB`, limit: "max_header_size" };
    case "ERR_HTTP_REQUEST_TIMEOUT":
    case "HPE_HEADERS_TIMEOUT":
      return {
        code: "request_timeout",
        message: `the request did not arrive in time (headers within ${timeouts.headersMs / 1000} s, a body within ${timeouts.bodyMs / 1000} s of them)`,
        limit: "request_timeout",
      };
    default:
      return { code: "invalid_request", message: "the request is not valid HTTP/1.1" };
  }
}

/** Answers on the raw socket (no response object exists yet) and closes it. */
export function answerClientError(socket: Duplex, answer: ClientErrorAnswer | undefined): void {
  if (answer === undefined || !socket.writable) {
    socket.destroy();
    return;
  }
  const requestId = newRequestId();
  const body = errorBody(answer.code, answer.message, requestId);
  const status = ERROR_STATUS[answer.code];
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\nForge-Version: ${LATEST_VERSION}\r\nConnection: close\r\n\r\n${body}`,
  );
}
