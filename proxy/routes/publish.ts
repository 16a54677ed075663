/**
 * The producer side (spec §5, scope `jobs:publish`): how jobs enter a standalone server.
 *
 * POST /internal/v1/jobs — `{ type, team_id?, resource: { type, site_id, env_id? }, id? }`
 *   → 201 with the envelope (queued, progress 0), in the publisher's account. A pinned
 *   publisher publishing outside its pin → 403. A client `id` makes it idempotent: the
 *   same body again → 200 with the existing job; another body or account → 409.
 *   A full store (only in-flight jobs left to evict) → 503 with Retry-After.
 * PATCH /internal/v1/jobs/{jobID} — any of `status`, `progress`, `result`, `error`
 *   → 200 with the new envelope; the rules are in job-rules.ts (400 shape, 409 state).
 *   A no-op keeps the version; every accepted change wakes every waiter on the job.
 */
import type { Router } from "express";
import { createRouter } from "../http/router.js";
import { isIdentifier, isJobId, JOB_TYPE_PATTERN, RESOURCE_TYPE_PATTERN } from "../../api/identifiers.js";
import { ApiError, invalidRequest, notFound } from "../http/api-error.js";
import { locals, requireScope, sendJson } from "../http/express-helpers.js";
import { jsonBody } from "../http/json-body.js";
import { insertJob, insertWithNewId } from "../standalone/insert-job.js";
import { toJob } from "../standalone/job-json.js";
import { applyPatch, isPlainObject, parsePatch, rejectUnknownFields } from "../standalone/job-rules.js";
import type { JobStore, NewJob, StoredJob } from "../store/types.js";
import type { KeyRing, Principal } from "../tenancy/keys.js";
import { canSee, pinsAllow } from "../tenancy/visibility.js";

const PUBLISH_FIELDS = new Set(["type", "team_id", "resource", "id"]);
const RESOURCE_FIELDS = new Set(["type", "site_id", "env_id"]);

export function createPublishRouter(deps: { store: JobStore; keys: KeyRing }): Router {
  const { store, keys } = deps;
  const router = createRouter();

  router.post("/internal/v1/jobs", requireScope(keys, "jobs:publish"), jsonBody, async (req, res) => {
    const { principal } = locals(res);
    const { id, ...publish } = parsePublish(req.body, principal);
    if (!pinsAllow(principal, publish.teamId, publish.resource.site_id)) {
      throw new ApiError("insufficient_scope", "this key is pinned to another team or site than the job's");
    }
    if (id === undefined) {
      // An id of the server's own that turns out taken is never answered with its holder's job.
      const { job } = await insertWithNewId((newId) => store.insert({ id: newId, ...publish }));
      return sendJson(res, 201, { data: toJob(job) });
    }
    const fresh: NewJob = { id, ...publish };
    const existing = await store.get(id, principal);
    if (existing !== undefined) return sendJson(res, 200, { data: toJob(sameOrConflict(existing, fresh)) });
    const { job, created } = await insertJob(store, fresh, (other) => sameOrConflict(other, fresh), principal);
    sendJson(res, created ? 201 : 200, { data: toJob(job) });
  });

  router.patch("/internal/v1/jobs/:jobID", requireScope(keys, "jobs:publish"), jsonBody, async (req, res) => {
    const jobId = req.params.jobID as string;
    const patch = parsePatch(req.body);
    const { principal } = locals(res);
    const job = await store.update(jobId, (current) => {
      if (!canSee(principal, current)) throw notFound(jobId);
      return applyPatch(current, patch);
    });
    if (job === undefined) throw notFound(jobId);
    sendJson(res, 200, { data: toJob(job) });
  });

  return router;
}

/** An idempotent re-publish must match the first one exactly. */
function sameOrConflict(existing: StoredJob, fresh: NewJob): StoredJob {
  const same =
    existing.account === fresh.account &&
    existing.teamId === fresh.teamId &&
    existing.type === fresh.type &&
    JSON.stringify(existing.resource) === JSON.stringify(fresh.resource);
  if (!same) throw new ApiError("conflict", `job id ${fresh.id} is already used by a different job`);
  return existing;
}

/** The job a publish asks for; `id` undefined when the body names none (the server makes one). */
function parsePublish(body: unknown, principal: Principal): Omit<NewJob, "id"> & { readonly id: string | undefined } {
  if (!isPlainObject(body)) throw invalidRequest("body must be a JSON object { type, team_id, resource, id? }");
  rejectUnknownFields(body, PUBLISH_FIELDS);
  if (typeof body.type !== "string" || !JOB_TYPE_PATTERN.test(body.type)) {
    throw invalidRequest("type must be a dotted lowercase name such as deployment.deploy");
  }
  const teamId = body.team_id ?? principal.teamId;
  if (!isIdentifier(teamId)) {
    throw invalidRequest("team_id must be an identifier string (required unless the key is pinned to a team)");
  }
  const resource = body.resource;
  if (!isPlainObject(resource)) throw invalidRequest("resource must be an object { type, site_id, env_id? }");
  rejectUnknownFields(resource, RESOURCE_FIELDS, "resource.");
  if (typeof resource.type !== "string" || !RESOURCE_TYPE_PATTERN.test(resource.type)) {
    throw invalidRequest("resource.type must be a lowercase identifier such as deployment");
  }
  if (!isIdentifier(resource.site_id)) {
    throw invalidRequest("resource.site_id must be an identifier string");
  }
  if (resource.env_id !== undefined && !isIdentifier(resource.env_id)) {
    throw invalidRequest("resource.env_id must be an identifier string when present");
  }
  if (body.id !== undefined && !isJobId(body.id)) {
    throw invalidRequest("id must be job_ followed by a ULID (26 characters of Crockford base32)");
  }
  const id = body.id;
  const envId = resource.env_id;
  return {
    id,
    account: principal.account,
    teamId,
    type: body.type,
    resource: {
      type: resource.type,
      id: envId ?? resource.site_id,
      site_id: resource.site_id,
      ...(envId !== undefined ? { env_id: envId } : {}),
    },
  };
}
