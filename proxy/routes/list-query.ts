import type { Request } from "express";
import { RESOURCE_TYPE_PATTERN } from "../../api/identifiers.js";
import { isJobStatus, JOB_STATUSES, type JobStatus } from "../../api/job.js";
import { MAX_PAGE_SIZE } from "../../api/limits.js";
import { invalidRequest } from "../http/api-error.js";
import { queryParam } from "../http/express-helpers.js";

export interface ListQueryParams {
  readonly status: JobStatus | undefined;
  readonly resourceType: string | undefined;
  /** Undefined when not given: standalone mode uses api DEFAULT_PAGE_SIZE, proxy mode leaves it to the upstream. */
  readonly limit: number | undefined;
  readonly cursor: string | undefined;
}

const LIMIT = /^\d{1,3}$/;

/** `GET /v1/jobs`'s query (spec §4), in both modes: any other value is a 400 naming the parameter. */
export function parseListQuery(req: Request): ListQueryParams {
  const status = queryParam(req, "status");
  if (status !== undefined && !isJobStatus(status)) throw invalidRequest(`status must be one of ${JOB_STATUSES.join(", ")}`);
  const resourceType = queryParam(req, "resource_type");
  if (resourceType !== undefined && !RESOURCE_TYPE_PATTERN.test(resourceType)) {
    throw invalidRequest("resource_type must be a lowercase identifier such as deployment, build, environment or site");
  }
  const limitText = queryParam(req, "limit");
  const limit = limitText === undefined ? undefined : LIMIT.test(limitText) ? Number(limitText) : NaN;
  if (limit !== undefined && !(limit >= 1 && limit <= MAX_PAGE_SIZE)) {
    throw invalidRequest(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  return { status, resourceType, limit, cursor: queryParam(req, "cursor") };
}
