import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Scope } from "../../api/scopes.js";
import { authorize } from "../tenancy/auth.js";
import type { KeyRing, Principal } from "../tenancy/keys.js";
import { invalidRequest } from "./api-error.js";
import type { RequestContext } from "./request-context.js";

/** What the Express routes keep in `res.locals`. */
export interface Locals {
  ctx: RequestContext;
  principal: Principal;
}

export function locals(res: Response): Locals {
  return res.locals as Locals;
}

/** A JSON body with the request's `request_id` appended (spec §2). */
export function sendJson(res: Response, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify({ ...body, request_id: locals(res).ctx.requestId });
  res.status(status);
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}

/** Standalone mode's edge: the key's principal, which must carry `scope` (401 / 403 otherwise). */
export function requireScope(keys: KeyRing, scope: Scope): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    locals(res).principal = authorize(keys, req.headers.authorization, scope);
    next();
  };
}

/** A single-valued query parameter; a repeated one is a 400 naming it. */
export function queryParam(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw invalidRequest(`query parameter ${name} must be given once, as a plain value`);
  return value;
}
