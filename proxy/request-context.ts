import type { IncomingMessage } from "node:http";
import type { ApiError } from "./api-error.js";
import { LATEST_VERSION, resolveVersion } from "./forge-version.js";
import { ulid } from "./ulid.js";

export interface StampedRequest {
  /** A fresh `req_<ULID>`, for `X-Request-Id` and the body's `request_id`. */
  readonly requestId: string;
  /** The Forge-Version to echo: the request's, or the latest when it is missing or unknown. */
  readonly version: string;
  /** Set when the request names a Forge-Version this server does not speak (a 400, before auth). */
  readonly versionError?: ApiError;
}

/**
 * The first thing every route does (spec §2). It sets no header itself: Express routes
 * set them at once, the bare GET sends them with its answer in one `writeHead`.
 */
export function stampRequest(req: IncomingMessage): StampedRequest {
  const requestId = `req_${ulid()}`;
  try {
    return { requestId, version: resolveVersion(req.headers["forge-version"]) };
  } catch (error) {
    return { requestId, version: LATEST_VERSION, versionError: error as ApiError };
  }
}
