/**
 * Synth-time checks shared by the constructs' `normalize…Props()`. Every message starts
 * with the construct and the prop (`AsyncOperation "deploy": "path" …`) and says what
 * would be accepted, because it is read in a `cdktf synth` stack trace, far from the code.
 *
 * Values only known at apply time (cdktf tokens, raw `${…}` expressions) pass through:
 * Terraform checks them, and the CLI checks what it receives.
 */
import { Token } from "cdktf";
import { ENV } from "../../api/env.js";
import { FORGE_VERSION_PATTERN } from "../../api/versions.js";
import { isJobgateError, JobgateError } from "../../client/errors.js";
import { formatDuration, parseDuration } from "../../client/duration.js";

export class ConstructPropsError extends JobgateError {
  override name = "ConstructPropsError";
}

/** Works across realms (jest's VM), like the client's guards. */
export const isConstructPropsError = (value: unknown): value is ConstructPropsError => isJobgateError(value) && value.name === "ConstructPropsError";

/** `JobWait "wait-build": "timeout"` — names the construct and the prop. */
export function propLabel(kind: string, id: string, prop: string): string {
  return `${kind} ${JSON.stringify(id)}: ${JSON.stringify(prop)}`;
}

/** True for a value Terraform fills in at apply time (a token, or a raw `${…}` template). */
export function isApplyTimeValue(value: string): boolean {
  return Token.isUnresolved(value) || value.includes("${");
}

export function requireString(label: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConstructPropsError(`${label} is required: a non-empty string (or a reference to another resource's attribute)`);
  }
  return value;
}

export function optionalString(label: string, value: unknown): string | undefined {
  return value === undefined ? undefined : requireString(label, value);
}

export function oneOf<T extends string>(label: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new ConstructPropsError(`${label} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

export function optionalBoolean(label: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new ConstructPropsError(`${label} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** A positive Go-style duration, returned in its canonical spelling (`90s` → `1m30s`). */
export function positiveDuration(label: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string") {
    throw new ConstructPropsError(`${label} must be a duration string such as "90s", "30m" or "1h30m", got ${JSON.stringify(value)}`);
  }
  if (Token.isUnresolved(value)) {
    // It is written into the command line, so it must be known (and checked) at synth.
    throw new ConstructPropsError(`${label} must be a literal duration such as "30m", not a reference resolved at apply time`);
  }
  let ms: number;
  try {
    ms = parseDuration(value, label);
  } catch (error) {
    throw new ConstructPropsError((error as Error).message, { cause: error });
  }
  if (ms < 1000) throw new ConstructPropsError(`${label} must be at least 1s, got ${JSON.stringify(value)}`);
  return formatDuration(ms);
}

/** An http(s) URL without credentials (the token only ever comes from `JOBGATE_TOKEN`). */
export function optionalApiUrl(label: string, value: unknown): string | undefined {
  const url = optionalString(label, value);
  if (url === undefined || isApplyTimeValue(url)) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConstructPropsError(`${label} must be an absolute http(s) URL such as "http://127.0.0.1:8080", got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConstructPropsError(`${label} must use http or https, got ${JSON.stringify(parsed.protocol.replace(/:$/, ""))}`);
  }
  if (parsed.username !== "" || parsed.password !== "") {
    // Never echo the URL: it holds a credential.
    throw new ConstructPropsError(`${label} must not carry credentials; set ${ENV.token} in the environment Terraform runs in instead`);
  }
  return url;
}

/** `2026-06-23`-style API version (spec §2). */
export function optionalForgeVersion(label: string, value: unknown): string | undefined {
  const version = optionalString(label, value);
  if (version === undefined || isApplyTimeValue(version)) return version;
  if (!FORGE_VERSION_PATTERN.test(version)) {
    throw new ConstructPropsError(`${label} must be a date-form API version such as "2026-06-23", got ${JSON.stringify(version)}`);
  }
  return version;
}

/** The argv that starts the CLI: literal, non-empty strings (it is written into the command). */
export function optionalCli(label: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConstructPropsError(`${label} must be a non-empty array of arguments, such as ["node", "/opt/jobgate/dist/provider-shim/cli/main.js"]`);
  }
  value.forEach((arg, index) => {
    if (typeof arg !== "string" || arg === "") {
      throw new ConstructPropsError(`${label}: argument ${index} must be a non-empty string, got ${JSON.stringify(arg)}`);
    }
    if (isApplyTimeValue(arg)) {
      throw new ConstructPropsError(`${label}: argument ${index} must be a literal string, not a value resolved at apply time`);
    }
  });
  return [...(value as string[])];
}

/** The proxy variables the client reads (any case); their URLs may hold credentials. */
const PROXY_VARIABLE = /^(https?|all)_proxy$/i;

/** True for a URL with userinfo (`http://user:password@proxy:3128`, or without a scheme `user:pw@proxy:3128`). */
function hasCredentials(value: string): boolean {
  if (isApplyTimeValue(value)) return false;
  try {
    const url = new URL(value);
    if (url.username !== "" || url.password !== "") return true;
  } catch {
    // not a URL: look for userinfo below
  }
  return /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/@\s]+@/i.test(value.trim());
}

/** Extra environment for the CLI; refuses the token and proxy credentials so that they never land in synthesized JSON. */
export function optionalEnvironment(label: string, value: unknown): Readonly<Record<string, string>> {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ConstructPropsError(`${label} must be an object of environment variable names to string values`);
  }
  const env: Record<string, string> = {};
  for (const [name, entry] of Object.entries(value)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ConstructPropsError(`${label}: ${JSON.stringify(name)} is not a valid environment variable name`);
    }
    if (name === ENV.token) {
      throw new ConstructPropsError(
        `${label} must not set ${ENV.token}: it would be written into the synthesized JSON and the state; export it in the environment Terraform runs in`,
      );
    }
    if (typeof entry !== "string") {
      throw new ConstructPropsError(`${label}: ${JSON.stringify(name)} must be a string, got ${JSON.stringify(entry)}`);
    }
    if (PROXY_VARIABLE.test(name) && hasCredentials(entry)) {
      // Never echo the value: it holds the password.
      throw new ConstructPropsError(
        `${label}: ${name} must not carry credentials (user:password@): they would be written into the synthesized JSON and the state; export ${name} in the environment Terraform runs in (local-exec passes it on)`,
      );
    }
    env[name] = entry;
  }
  return env;
}
