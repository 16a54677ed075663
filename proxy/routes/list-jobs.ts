/**
 * GET /v1/jobs — the caller's visible jobs, newest first (spec §4).
 *
 * Promises:
 * - filters `status` (queued|running|succeeded|failed) and `resource_type`
 *   ([a-z][a-z0-9_]*), `limit` 1–100 (default 20); any other value is a 400 naming
 *   the parameter; unknown parameters are ignored.
 * - order: created_at desc, then id desc; `next_cursor` is null on the last page.
 * - keyset paging: walking every page yields each visible job that existed when the
 *   walk began exactly once, even while jobs are created (new jobs sort first).
 * - a cursor not issued by this server, or issued for other filters or another
 *   account, is `400 invalid_cursor`.
 */
import type { Router } from "express";
import { createRouter } from "../http/router.js";
import { DEFAULT_PAGE_SIZE } from "../../api/limits.js";
import { locals, requireScope, sendJson } from "../http/express-helpers.js";
import type { CursorCodec } from "../standalone/cursor.js";
import { toJob } from "../standalone/job-json.js";
import type { JobStore } from "../store/types.js";
import type { KeyRing } from "../tenancy/keys.js";
import { parseListQuery } from "./list-query.js";

export function createListJobsRouter(deps: { store: JobStore; keys: KeyRing; cursors: CursorCodec }): Router {
  const { store, keys, cursors } = deps;
  const router = createRouter();

  router.get("/v1/jobs", requireScope(keys, "jobs:read"), async (req, res) => {
    const query = parseListQuery(req);
    const { status, resourceType, cursor } = query;
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const { principal } = locals(res);
    // A cursor is valid only for the account and filters it was issued for.
    const scope = `${principal.account}\0${status ?? ""}\0${resourceType ?? ""}`;
    const after = cursor === undefined ? undefined : await cursors.decode(cursor, scope);

    const page = await store.list({
      scope: principal,
      ...(status !== undefined ? { status } : {}),
      ...(resourceType !== undefined ? { resourceType } : {}),
      ...(after !== undefined ? { after } : {}),
      limit: limit + 1,
    });
    const data = page.slice(0, limit);
    const last = data[data.length - 1];
    const nextCursor = page.length > limit && last !== undefined ? await cursors.encode(last, scope) : null;
    res.setHeader("Cache-Control", "private, no-cache");
    sendJson(res, 200, { data: data.map(toJob), next_cursor: nextCursor });
  });

  return router;
}
