import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiError } from "./api-error.js";
import { LATEST_VERSION, resolveVersion } from "./forge-version.js";
import { ulid } from "./ulid.js";

export interface StampedRequest {
  readonly requestId: string;
  /** Set when the request names a Forge-Version this server does not speak. */
  readonly versionError?: ApiError;
}

/**
 * The first thing every route does (spec §2): a fresh `req_<ULID>` in `X-Request-Id`
 * and the version used echoed in `Forge-Version` — the latest one when the request's
 * is unknown, which the caller then answers with the returned 400.
 */
export function stampRequest(req: IncomingMessage, res: ServerResponse): StampedRequest {
  const requestId = `req_${ulid()}`;
  res.setHeader("X-Request-Id", requestId);
  try {
    res.setHeader("Forge-Version", resolveVersion(req.headers["forge-version"]));
    return { requestId };
  } catch (error) {
    res.setHeader("Forge-Version", LATEST_VERSION);
    return { requestId, versionError: error as ApiError };
  }
}
