/**
 * GET /v1/jobs in proxy mode: passed through to the upstream as the caller, page for
 * page (spec §7: lists are never cached or shared across tokens). The upstream's 4xx
 * answers are relayed; its failures are a 503 with Retry-After.
 */
import type { Router } from "express";
import { createRouter } from "../http/router.js";
import type { ListJobsFilters } from "../../client/client.js";
import { parseListQuery } from "../routes/list-query.js";
import { upstreamClient } from "./upstream-client.js";
import type { FetchLike } from "../../client/options.js";
import { locals, sendJson } from "../http/express-helpers.js";
import { credentialOf } from "../tenancy/auth.js";
import { relayUpstreamError } from "./upstream-errors.js";

export function createListPassthroughRouter(deps: { upstreamUrl: string; fetch: FetchLike }): Router {
  const router = createRouter();
  router.get("/v1/jobs", async (req, res) => {
    const caller = credentialOf({ authorization: req.headers.authorization, forgeVersion: locals(res).ctx.version });
    // Checked here as standalone mode checks them, so nothing malformed goes upstream; the cursor is the upstream's.
    const { status, resourceType, limit, cursor } = parseListQuery(req);
    const filters: ListJobsFilters = {
      ...(status !== undefined ? { status } : {}),
      ...(resourceType !== undefined ? { resourceType } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    };
    const client = upstreamClient(deps.upstreamUrl, caller, deps.fetch);
    try {
      const page = await client.listJobsPage(filters);
      res.setHeader("Cache-Control", "private, no-cache");
      sendJson(res, 200, { data: page.jobs, next_cursor: page.nextCursor });
    } catch (error) {
      throw relayUpstreamError(error);
    }
  });
  return router;
}
