import { JobsClient } from "../../client/client.js";
import type { JobsClientOptions } from "../../client/options.js";
import type { FetchLike } from "../../client/options.js";
import type { Credential } from "../tenancy/auth.js";

/**
 * A client for one upstream request as one caller: the caller's own token and
 * Forge-Version, no retries of its own — proxy mode answers its caller (a 503, or the
 * watch's backoff) rather than making it wait on retries it cannot see.
 */
export function upstreamClient(
  upstreamUrl: string,
  caller: Credential,
  fetch: FetchLike,
  options: Pick<JobsClientOptions, "requestTimeoutMs" | "longPollS" | "holds"> = {},
): JobsClient {
  return new JobsClient({ apiUrl: upstreamUrl, token: caller.token, forgeVersion: caller.forgeVersion, fetch, retry: { retries: 0 }, ...options });
}
