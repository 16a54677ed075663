/**
 * Demo operations (spec §6, standalone mode): endpoints that answer `202 Accepted` with
 * a job, so a stack can run end to end against `jobgate serve` alone.
 *
 * POST /v1/sites/{site_id}/deploys                        (deploys:write) → deployment.deploy
 * POST /v1/sites/{site_id}/environments/{env_id}/deploys  (deploys:write) → deployment.deploy
 * POST /v1/sites/{site_id}/builds                         (builds:write)  → build.run
 *
 * Promises: 202 with the envelope and `Location: /v1/jobs/{jobID}`; the job runs
 * queued → running → succeeded (with a result) over `duration_ms` (body) or
 * --operation-duration, or fails when the body says `"fail": true`. The job's team is
 * the key's pin, else the body's `team_id`, else `team_default`. A site the key cannot
 * see → 404. `Idempotency-Key` (per account): a repeat returns the same job (202, same
 * Location); the same key with another request → 409. Other body fields are the
 * operation's own parameters: accepted, not interpreted.
 */
import { createHash } from "node:crypto";
import type { Request, Response, Router } from "express";
import { createRouter } from "../http/router.js";
import { DEFAULT_TEAM } from "../../api/defaults.js";
import { isIdempotencyKey, isIdentifier } from "../../api/identifiers.js";
import { MAX_OPERATION_DURATION_MS } from "../../api/limits.js";
import type { Scope } from "../../api/scopes.js";
import { ApiError, invalidRequest } from "../http/api-error.js";
import { locals, requireScope, sendJson } from "../http/express-helpers.js";
import { jsonBody } from "../http/json-body.js";
import type { DemoRunner } from "../standalone/demo-runner.js";
import { insertWithNewId } from "../standalone/insert-job.js";
import { toJob } from "../standalone/job-json.js";
import { isPlainObject } from "../standalone/job-rules.js";
import type { JobStore } from "../store/types.js";
import type { KeyRing } from "../tenancy/keys.js";
import { pinsAllow } from "../tenancy/visibility.js";

interface OperationKind {
  readonly scope: Scope;
  readonly jobType: string;
  readonly resourceType: string;
  readonly resultKey: string;
  readonly resultPrefix: string;
  readonly errorCode: string;
}

const DEPLOY: OperationKind = {
  scope: "deploys:write",
  jobType: "deployment.deploy",
  resourceType: "deployment",
  resultKey: "release_id",
  resultPrefix: "rel",
  errorCode: "deploy_failed",
};
const BUILD: OperationKind = {
  scope: "builds:write",
  jobType: "build.run",
  resourceType: "build",
  resultKey: "build_id",
  resultPrefix: "bld",
  errorCode: "build_failed",
};

export function createOperationsRouter(deps: { store: JobStore; keys: KeyRing; runner: DemoRunner; defaultDurationMs: number }): Router {
  const router = createRouter();
  const operate = (kind: OperationKind) => async (req: Request, res: Response) => startOperation(deps, kind, req, res);
  router.post("/v1/sites/:site_id/deploys", requireScope(deps.keys, DEPLOY.scope), jsonBody, operate(DEPLOY));
  router.post("/v1/sites/:site_id/environments/:env_id/deploys", requireScope(deps.keys, DEPLOY.scope), jsonBody, operate(DEPLOY));
  router.post("/v1/sites/:site_id/builds", requireScope(deps.keys, BUILD.scope), jsonBody, operate(BUILD));
  return router;
}

async function startOperation(deps: Parameters<typeof createOperationsRouter>[0], kind: OperationKind, req: Request, res: Response): Promise<void> {
  const { principal } = locals(res);
  const siteId = req.params.site_id as string;
  const envId = req.params.env_id as string | undefined;
  for (const [name, value] of [
    ["site_id", siteId],
    ["env_id", envId],
  ] as const) {
    if (value !== undefined && !isIdentifier(value)) throw invalidRequest(`${name} in the path must be an identifier`);
  }
  const body: unknown = req.body === undefined ? {} : req.body;
  if (!isPlainObject(body)) throw invalidRequest("body must be a JSON object (or empty)");
  const durationMs = body.duration_ms ?? deps.defaultDurationMs;
  if (typeof durationMs !== "number" || !Number.isInteger(durationMs) || durationMs < 0 || durationMs > MAX_OPERATION_DURATION_MS) {
    throw invalidRequest(`duration_ms must be a whole number of milliseconds from 0 to ${MAX_OPERATION_DURATION_MS}`);
  }
  if (body.fail !== undefined && typeof body.fail !== "boolean") throw invalidRequest("fail must be true or false");
  if (body.team_id !== undefined && !isIdentifier(body.team_id)) {
    throw invalidRequest("team_id must be an identifier string");
  }
  const teamId = principal.teamId ?? body.team_id ?? DEFAULT_TEAM;
  if (!pinsAllow(principal, teamId, siteId)) throw new ApiError("not_found", `site ${siteId} not found`);
  const idempotencyKey = req.get("Idempotency-Key");
  if (idempotencyKey !== undefined && !isIdempotencyKey(idempotencyKey)) {
    throw invalidRequest("Idempotency-Key must be 1 to 255 visible ASCII characters");
  }

  const resource = { type: kind.resourceType, id: envId ?? siteId, site_id: siteId, ...(envId !== undefined ? { env_id: envId } : {}) };
  // The key is the account's (the store scopes it); the fingerprint covers the team, so a
  // repeat lands in the same team and the job it returns is one this key can see.
  const claim = idempotencyKey === undefined ? undefined : { key: idempotencyKey, fingerprint: fingerprint(req, teamId) };
  // The run is recorded before the job exists, so no job is ever left without one (demo-runner.ts);
  // an id found taken is never answered with the job holding it: the run is tried under a new one.
  const job = await insertWithNewId(async (id) => {
    const fresh = { id, account: principal.account, teamId, type: kind.jobType, resource };
    const launched = await deps.runner.launch({ jobId: id, durationMs, fail: body.fail === true, ...kind }, () => deps.store.insert(fresh, claim));
    return launched.job;
  });
  res.setHeader("Location", `/v1/jobs/${job.id}`);
  sendJson(res, 202, { data: toJob(job) });
}

/** What makes two calls "the same request": method, path, body, and the team the job lands in. */
function fingerprint(req: Request, teamId: string): string {
  return createHash("sha256")
    .update(`${req.method} ${req.path}\n${teamId}\n${JSON.stringify(req.body ?? {})}`)
    .digest("hex");
}
