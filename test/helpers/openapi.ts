/**
 * Checks real answers against docs/openapi.yaml: the status is documented for the
 * operation, the documented headers are there (when required) and match their schemas,
 * no header the document reserves for other answers appears, and the body is valid
 * against the response's schema (JSON Schema 2020-12, with ajv). Server-Sent Events
 * bodies are checked event by event against the media type's `x-jobgate-events`.
 *
 * Every check is recorded, so a suite can tell which documented statuses it never saw.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { loadOpenApiDocument } from "../../proxy/routes/openapi.js";
import type { TestResponse } from "./server.js";

// ajv-formats is CommonJS: under ESM its default export may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

type Json = Record<string, any>;
export type Mode = "standalone" | "proxy";

export interface ObservedResponse {
  readonly method: string;
  /** The document's path template, e.g. `/v1/jobs/{jobID}`; a path the document lacks means an unknown route. */
  readonly route: string;
  readonly status: number;
  readonly headers: Headers | Readonly<Record<string, string | undefined>>;
  /** Parsed JSON, the text of a text body, or undefined when there is none. */
  readonly body: unknown;
  /** The server's mode: routes of the other mode only must answer as unknown routes. @default "standalone" */
  readonly mode?: Mode;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
/** Pseudo-entries of the coverage list for the answers no operation owns. */
export const UNKNOWN_ROUTE = "* (unknown route) 404";
export const methodNotAllowed = (route: string): string => `* ${route} 405`;

export class OpenApiDocument {
  /** The document as written (refs unresolved). */
  readonly raw: Json;
  /** The same with every local `$ref` resolved. */
  readonly resolved: Json;
  /** `METHOD route status` of every answer checked so far. */
  readonly seen = new Set<string>();
  private readonly ajv: Ajv2020;
  private readonly compiled = new WeakMap<object, ValidateFunction>();
  /** Every response header the document names anywhere, lowercased. */
  private readonly reservedHeaders: ReadonlySet<string>;

  constructor(raw: Json = loadOpenApiDocument()) {
    this.raw = raw;
    this.resolved = resolveRefs(raw) as Json;
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
    addFormats(this.ajv);
    const reserved = new Set<string>();
    for (const response of this.allResponses()) for (const name of Object.keys(response.headers ?? {})) reserved.add(name.toLowerCase());
    this.reservedHeaders = reserved;
  }

  /** A compiled validator for a (resolved) schema; compiling also proves the schema is valid 2020-12. */
  validator(schema: object): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (validate === undefined) {
      validate = this.ajv.compile(schema);
      this.compiled.set(schema, validate);
    }
    return validate;
  }

  /** The problems of one answer; empty when it conforms. */
  problems(observed: ObservedResponse): string[] {
    const { method, route, status } = observed;
    const problems: string[] = [];
    const pathItem = this.resolved.paths[route] as Json | undefined;
    const mode = observed.mode ?? "standalone";
    const operation = pathItem === undefined ? undefined : operationOf(pathItem, method);
    let response: Json | undefined;
    let where: string;
    if (pathItem === undefined || (operation !== undefined && !modesOf(operation).includes(mode))) {
      where = pathItem === undefined ? `unknown route ${method} ${route}` : `${method} ${route} (not served in ${mode} mode)`;
      this.seen.add(UNKNOWN_ROUTE);
      if (status !== 404) problems.push(`${where}: expected the unknown-route 404, got ${status}`);
      response = this.resolved.components.responses.NotFound;
    } else if (operation === undefined) {
      where = `${method} ${route} (a method the path does not list)`;
      this.seen.add(methodNotAllowed(route));
      if (status !== 405) problems.push(`${where}: expected 405, got ${status}`);
      response = this.resolved.components.responses.MethodNotAllowed;
      const allow = header(observed.headers, "allow");
      const documented = documentedMethods(pathItem, mode);
      if (
        allow !== undefined &&
        !sameSet(
          allow.split(",").map((m) => m.trim()),
          documented,
        )
      ) {
        problems.push(`${where}: Allow is "${allow}" but the document lists ${documented.join(", ")}`);
      }
    } else {
      where = `${method} ${route} ${status}`;
      this.seen.add(`${method.toUpperCase()} ${route} ${status}`);
      response = operation.responses[String(status)] ?? operation.responses.default;
      if (response === undefined) {
        problems.push(`${where}: status ${status} is not documented (documented: ${Object.keys(operation.responses).join(", ")})`);
        return problems;
      }
    }
    problems.push(...this.headerProblems(where, response!, observed.headers));
    problems.push(...this.bodyProblems(where, response!, observed));
    return problems;
  }

  /** Throws, listing every problem and the answer, unless it conforms. */
  assertConforms(observed: ObservedResponse): void {
    const problems = this.problems(observed);
    if (problems.length === 0) return;
    const headers = entries(observed.headers)
      .map(([name, value]) => `  ${name}: ${value}`)
      .join("\n");
    const body = typeof observed.body === "string" ? observed.body : JSON.stringify(observed.body);
    throw new Error(
      `the answer does not conform to docs/openapi.yaml:\n- ${problems.join("\n- ")}\n${observed.status}\n${headers}\n\n${(body ?? "").slice(0, 2000)}`,
    );
  }

  /** Every documented `METHOD route status`, plus the 405 of each path and the unknown-route 404. */
  documentedAnswers(): string[] {
    const answers: string[] = [UNKNOWN_ROUTE];
    for (const [route, pathItem] of Object.entries(this.resolved.paths as Json)) {
      answers.push(methodNotAllowed(route));
      for (const method of METHODS) {
        const operation = (pathItem as Json)[method] as Json | undefined;
        if (operation === undefined) continue;
        for (const status of Object.keys(operation.responses)) answers.push(`${method.toUpperCase()} ${route} ${status}`);
      }
    }
    return answers;
  }

  /** Operations as `[METHOD, route, operation]`. */
  operations(): Array<[string, string, Json]> {
    const list: Array<[string, string, Json]> = [];
    for (const [route, pathItem] of Object.entries(this.resolved.paths as Json)) {
      for (const method of METHODS) {
        const operation = (pathItem as Json)[method] as Json | undefined;
        if (operation !== undefined) list.push([method.toUpperCase(), route, operation]);
      }
    }
    return list;
  }

  /** The document's methods per path for one mode (GET implies HEAD, as the server answers it). */
  routesOf(mode: Mode): Map<string, string[]> {
    const routes = new Map<string, string[]>();
    for (const [route, pathItem] of Object.entries(this.resolved.paths as Json)) {
      const methods = documentedMethods(pathItem as Json, mode);
      if (methods.length > 0) routes.set(route, methods);
    }
    return routes;
  }

  private *allResponses(): Iterable<Json> {
    for (const [, , operation] of this.operations()) yield* Object.values(operation.responses as Json);
    yield* Object.values(this.resolved.components.responses as Json);
  }

  private headerProblems(where: string, response: Json, headers: ObservedResponse["headers"]): string[] {
    const problems: string[] = [];
    const documented = new Set<string>();
    for (const [name, definition] of Object.entries((response.headers ?? {}) as Json)) {
      documented.add(name.toLowerCase());
      const value = header(headers, name);
      if (value === undefined) {
        if (definition.required === true) problems.push(`${where}: the required header ${name} is missing`);
        continue;
      }
      const schema = definition.schema as Json;
      const validate = this.validator(schema);
      if (!validate(headerValue(value, schema))) problems.push(`${where}: header ${name}: "${value}" ${describe(validate)}`);
    }
    for (const [name] of entries(headers)) {
      if (this.reservedHeaders.has(name) && !documented.has(name)) {
        problems.push(`${where}: header ${name} is not documented for this answer`);
      }
    }
    return problems;
  }

  private bodyProblems(where: string, response: Json, observed: ObservedResponse): string[] {
    const { body, status, method } = observed;
    const empty = body === undefined || body === "";
    const contentType = header(observed.headers, "content-type")?.split(";")[0]!.trim().toLowerCase();
    const content = response.content as Json | undefined;
    if (status === 304) return empty ? [] : [`${where}: a 304 has no body`];
    if (content === undefined) return empty ? [] : [`${where}: the document gives this answer no body, but it has one`];
    const media = contentType === undefined ? undefined : (content[contentType] as Json | undefined);
    if (media === undefined) return [`${where}: Content-Type ${contentType ?? "(none)"} is not documented (documented: ${Object.keys(content).join(", ")})`];
    if (method.toUpperCase() === "HEAD") return empty ? [] : [`${where}: a HEAD answer has no body`];
    if (contentType === "text/event-stream") return this.eventProblems(where, media, body);
    if (/^application\/(.+\+)?json$/.test(contentType!) && typeof body === "string") return [`${where}: the body is not JSON`];
    const problems: string[] = [];
    const validate = this.validator(media.schema as Json);
    if (!validate(body)) problems.push(`${where}: body ${describe(validate)}`);
    const requestId = (body as { request_id?: unknown } | undefined)?.request_id;
    if (requestId !== undefined && requestId !== header(observed.headers, "x-request-id")) {
      problems.push(`${where}: body request_id ${JSON.stringify(requestId)} differs from X-Request-Id ${header(observed.headers, "x-request-id")}`);
    }
    return problems;
  }

  /** Checks every complete event (text up to the last blank line) of an SSE body. */
  private eventProblems(where: string, media: Json, body: unknown): string[] {
    if (typeof body !== "string") return [`${where}: an event stream body must be text`];
    const events = (media["x-jobgate-events"] ?? {}) as Json;
    const problems: string[] = [];
    const complete = body.slice(0, Math.max(0, body.lastIndexOf("\n\n")));
    for (const block of complete.split("\n\n")) {
      const fields: Record<string, string[]> = {};
      for (const line of block.split("\n")) {
        if (line === "" || line.startsWith(":")) continue; // a blank line ends an event; ":" starts a comment
        const match = /^(event|id|data|retry): ?(.*)$/.exec(line);
        if (match === null) {
          problems.push(`${where}: an event line that is no SSE field: ${JSON.stringify(line)}`);
          continue;
        }
        (fields[match[1]!] ??= []).push(match[2]!);
      }
      if (fields.retry !== undefined && !fields.retry.every((value) => /^\d+$/.test(value))) problems.push(`${where}: retry is not a number of ms`);
      if (fields.data === undefined) continue;
      const name = fields.event?.[0] ?? "message";
      const event = events[name] as Json | undefined;
      if (event === undefined) {
        problems.push(`${where}: event "${name}" is not documented (documented: ${Object.keys(events).join(", ")})`);
        continue;
      }
      if (event.id !== undefined) {
        const validate = this.validator(event.id as Json);
        if (!validate(fields.id?.[0])) problems.push(`${where}: event ${name} id ${JSON.stringify(fields.id?.[0])} ${describe(validate)}`);
      }
      let data: unknown;
      try {
        data = JSON.parse(fields.data.join("\n"));
      } catch {
        problems.push(`${where}: event ${name} data is not JSON: ${fields.data.join("\n").slice(0, 200)}`);
        continue;
      }
      const validate = this.validator(event.data as Json);
      if (!validate(data)) problems.push(`${where}: event ${name} data ${describe(validate)}`);
    }
    return problems;
  }
}

/** The pieces of a test response the document speaks about. */
export function observe(method: string, route: string, res: TestResponse, mode?: Mode): ObservedResponse {
  return { method, route, status: res.status, headers: res.headers, body: res.json ?? (res.text === "" ? undefined : res.text), ...(mode ? { mode } : {}) };
}

function operationOf(pathItem: Json, method: string): Json | undefined {
  const name = method.toLowerCase();
  // The server answers HEAD wherever it answers GET; a path that documents no HEAD answers it as GET.
  return (pathItem[name] as Json | undefined) ?? (name === "head" ? (pathItem.get as Json | undefined) : undefined);
}

function modesOf(operation: Json): Mode[] {
  return (operation["x-jobgate-modes"] as Mode[] | undefined) ?? ["standalone", "proxy"];
}

function documentedMethods(pathItem: Json, mode: Mode): string[] {
  const methods = new Set<string>();
  for (const method of METHODS) {
    const operation = pathItem[method] as Json | undefined;
    if (operation === undefined || !modesOf(operation).includes(mode)) continue;
    methods.add(method.toUpperCase());
    if (method === "get") methods.add("HEAD");
  }
  return [...methods];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}

function entries(headers: ObservedResponse["headers"]): Array<[string, string]> {
  // Duck-typed rather than `instanceof Headers`: fetch's Headers may come from another realm under jest.
  if (isHeaders(headers)) {
    const list: Array<[string, string]> = [];
    headers.forEach((value, name) => list.push([name.toLowerCase(), value]));
    return list;
  }
  return Object.entries(headers)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => [name.toLowerCase(), value]);
}

function isHeaders(headers: ObservedResponse["headers"]): headers is Headers {
  return typeof (headers as Partial<Headers>).forEach === "function" && typeof (headers as Partial<Headers>).get === "function";
}

function header(headers: ObservedResponse["headers"], name: string): string | undefined {
  const lower = name.toLowerCase();
  return entries(headers).find(([key]) => key === lower)?.[1];
}

/** A header's text as the JSON value its schema describes (headers are strings on the wire). */
function headerValue(value: string, schema: Json): unknown {
  const type = schema.type;
  if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

function describe(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map((error) => {
      const at = error.instancePath === "" ? "" : `${error.instancePath} `;
      const extra =
        error.keyword === "additionalProperties"
          ? `: ${error.params.additionalProperty}`
          : error.keyword === "enum"
            ? `: ${error.params.allowedValues.join(", ")}`
            : "";
      return `${at}${error.message ?? "is invalid"}${extra}`;
    })
    .join("; ");
}

/**
 * A copy of the document with every local `$ref` replaced by what it points at (shared, so a
 * schema used in many places is compiled once). A `$ref` with siblings keeps them, as
 * 2020-12 does: `{ allOf: [target], ...siblings }`.
 */
export function resolveRefs(document: unknown): unknown {
  const done = new Map<string, unknown>();
  const pending = new Set<string>();
  const target = (ref: string): unknown => {
    if (!ref.startsWith("#/")) throw new Error(`only local $refs are supported, got ${ref}`);
    const hit = done.get(ref);
    if (hit !== undefined) return hit;
    if (pending.has(ref)) throw new Error(`circular $ref ${ref}`);
    pending.add(ref);
    let node: any = document;
    for (const part of ref.slice(2).split("/")) {
      node = node?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
      if (node === undefined) throw new Error(`$ref ${ref} points at nothing`);
    }
    const resolved = walk(node);
    pending.delete(ref);
    done.set(ref, resolved);
    return resolved;
  };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node !== "object" || node === null) return node;
    const { $ref, ...rest } = node as Json;
    if (typeof $ref === "string") {
      const resolved = target($ref);
      const siblings = Object.entries(rest).filter(([key]) => key !== "description" && key !== "summary");
      return siblings.length === 0 ? resolved : { allOf: [resolved], ...Object.fromEntries(siblings.map(([key, value]) => [key, walk(value)])) };
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value)]));
  };
  return walk(document);
}
