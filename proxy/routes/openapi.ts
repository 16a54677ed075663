/**
 * GET /openapi.json — the API reference (`docs/openapi.yaml`) as JSON, in both modes,
 * without a token: the document names no job and no key.
 *
 * Promises: 200 `application/json` with the OpenAPI 3.1 document, `Cache-Control:
 * public, max-age=300`. The YAML is read and converted once, on the first request (a
 * server that is never asked pays nothing); it is found from the package root, so the
 * route works from the sources and from `dist/` alike.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Router } from "express";
import { createRouter } from "../http/router.js";
import { parse } from "yaml";

/** The document's path inside the package. */
export const OPENAPI_DOCUMENT = "docs/openapi.yaml";

/** The nearest directory at or above `from` holding a package.json: the package root. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json at or above ${from}: cannot find ${OPENAPI_DOCUMENT}`);
  }
}

/** The document as a JS value, parsed from the YAML. */
export function loadOpenApiDocument(root: string = packageRoot()): Record<string, unknown> {
  return parse(readFileSync(join(root, OPENAPI_DOCUMENT), "utf8")) as Record<string, unknown>;
}

export function createOpenApiRouter(): Router {
  let body: string | undefined;
  const router = createRouter();
  router.get("/openapi.json", (_req, res) => {
    // A failure to read it is an internal error, answered by the app's error handler.
    body ??= JSON.stringify(loadOpenApiDocument());
    res.setHeader("Content-Type", "application/json; charset=utf-8");
    res.setHeader("Cache-Control", "public, max-age=300");
    res.setHeader("Content-Length", Buffer.byteLength(body));
    res.end(body);
  });
  return router;
}
