import { Router } from "express";

/** A router for this API's paths, which are case-sensitive: `/V1/JOBS/x` names nothing (404), like the bare GET. */
export function createRouter(): Router {
  return Router({ caseSensitive: true });
}
