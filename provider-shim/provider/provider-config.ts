/**
 * The provider block: `api_url`, `token` (sensitive), `forge_version`, `ca_file`, each
 * defaulting from the environment Terraform runs in — JOBGATE_API_URL, JOBGATE_TOKEN,
 * JOBGATE_FORGE_VERSION, JOBGATE_CA_FILE — as the CLI reads them (spec §9).
 *
 * The token is sensitive in the schema (Terraform redacts it in plans and output), it is
 * no attribute of any resource (so never in state), and the log redacts it.
 */
import { readFileSync } from "node:fs";
import { DEFAULT_API_URL, ENV as JOBGATE_ENV, FORGE_VERSION_PATTERN, type JobsClientOptions } from "../../client/index.js";
import { BEARER_TOKEN_PATTERN } from "../../api/identifiers.js";
import { isUnknown, type CtyObject, type CtyValue } from "./cty/values.js";
import { errorDiag, hasErrors, type Diagnostic } from "./diagnostics.js";
import { objectTypeOf, type SchemaSpec } from "./schema.js";

/** The variables the provider block defaults from (names from api/env.ts). */
export const ENV = {
  apiUrl: JOBGATE_ENV.apiUrl,
  token: JOBGATE_ENV.token,
  forgeVersion: JOBGATE_ENV.forgeVersion,
  caFile: JOBGATE_ENV.caFile,
} as const;

export const providerSchema: SchemaSpec = {
  version: 0,
  block: {
    description: "The jobgate provider: waits on jobs of a jobs API (jobgate serve, or any API that speaks its contract) and turns their results into values.",
    attributes: [
      {
        name: "api_url",
        type: "string",
        optional: true,
        description: `Base URL of the jobs API, without \`/v1\` (default \`$${ENV.apiUrl}\`, else \`${DEFAULT_API_URL}\`).`,
      },
      {
        name: "token",
        type: "string",
        optional: true,
        sensitive: true,
        description: `The API's bearer token (default \`$${ENV.token}\`). Prefer the environment: a value here sits in the configuration. It never reaches state.`,
      },
      {
        name: "forge_version",
        type: "string",
        optional: true,
        description: `The \`Forge-Version\` to send, a date such as \`2026-06-23\` (default \`$${ENV.forgeVersion}\`, else the API's latest).`,
      },
      {
        name: "ca_file",
        type: "string",
        optional: true,
        description: `A PEM bundle to trust beside the system roots, e.g. a TLS-inspecting proxy's CA (default \`$${ENV.caFile}\`).`,
      },
    ],
  },
};

export const providerType = objectTypeOf(providerSchema.block);

export interface Configured {
  /** Options for the JobsClient; undefined when the configuration is not known yet. */
  readonly options: JobsClientOptions | undefined;
  readonly diagnostics: Diagnostic[];
}

function text(value: CtyValue | undefined): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

function fromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** Checks of values known at validation (no environment read yet). */
export function validateProviderConfig(config: CtyObject): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const apiUrl = text(config.api_url);
  if (apiUrl !== undefined) diagnostics.push(...checkApiUrl(apiUrl, "api_url"));
  const version = text(config.forge_version);
  if (version !== undefined && !FORGE_VERSION_PATTERN.test(version)) {
    diagnostics.push(errorDiag("Invalid forge_version", `forge_version must be a date such as 2026-06-23, got ${JSON.stringify(version)}.`, ["forge_version"]));
  }
  if (config.token === "") diagnostics.push(errorDiag("Invalid token", "token is empty; leave it out to use JOBGATE_TOKEN.", ["token"]));
  return diagnostics;
}

function checkApiUrl(apiUrl: string, source: string): Diagnostic[] {
  const attribute = source === "api_url" ? ["api_url"] : undefined;
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    return [errorDiag(`Invalid ${source}`, `${source} must be an absolute http(s) URL such as ${DEFAULT_API_URL}, got ${JSON.stringify(apiUrl)}.`, attribute)];
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return [errorDiag(`Invalid ${source}`, `${source} must use http or https, got ${JSON.stringify(url.protocol)}.`, attribute)];
  if (url.username !== "" || url.password !== "") {
    return [errorDiag(`Invalid ${source}`, `${source} must not contain credentials; the token goes in token (or JOBGATE_TOKEN).`, attribute)];
  }
  if (/\/v1\/*$/.test(url.pathname)) {
    return [
      errorDiag(
        `Invalid ${source}`,
        `${source} must not end in /v1: the provider adds the version path itself (use ${url.origin}${url.pathname.replace(/\/v1\/*$/, "") || ""}).`,
        attribute,
      ),
    ];
  }
  return [];
}

/** ConfigureProvider: config first, then the environment, then the defaults. */
export function configureProvider(config: CtyObject, env: NodeJS.ProcessEnv, userAgent: string): Configured {
  // A provider configured from values known only after apply (e.g. another resource's
  // attribute) is configured again at apply; until then it can plan but not call the API.
  if (Object.values(config).some(isUnknown)) return { options: undefined, diagnostics: [] };
  const diagnostics = validateProviderConfig(config);
  const apiUrl = text(config.api_url) ?? fromEnv(env, ENV.apiUrl) ?? DEFAULT_API_URL;
  if (text(config.api_url) === undefined) diagnostics.push(...checkApiUrl(apiUrl, ENV.apiUrl));
  const forgeVersion = text(config.forge_version) ?? fromEnv(env, ENV.forgeVersion);
  if (text(config.forge_version) === undefined && forgeVersion !== undefined && !FORGE_VERSION_PATTERN.test(forgeVersion)) {
    diagnostics.push(errorDiag(`Invalid ${ENV.forgeVersion}`, `${ENV.forgeVersion} must be a date such as 2026-06-23, got ${JSON.stringify(forgeVersion)}.`));
  }
  const token = text(config.token) ?? fromEnv(env, ENV.token);
  if (token === undefined) {
    diagnostics.push(
      errorDiag(
        "No token for the jobs API",
        `Set ${ENV.token} in the environment Terraform runs in (or the provider's token argument) to the API's bearer token.`,
      ),
    );
  } else if (!BEARER_TOKEN_PATTERN.test(token.trim())) {
    // The client's own rule (client/options.ts): it would refuse the token later, with no attribute to point at.
    diagnostics.push(errorDiag("Invalid token", "The token must be visible ASCII characters, without spaces or control characters."));
  }
  const caSource = text(config.ca_file) !== undefined ? "ca_file" : ENV.caFile;
  const caFile = text(config.ca_file) ?? fromEnv(env, ENV.caFile);
  if (caFile !== undefined) diagnostics.push(...checkCaFile(caFile, caSource));
  if (hasErrors(diagnostics)) return { options: undefined, diagnostics };
  return {
    options: { apiUrl, token: token!, ...(forgeVersion !== undefined ? { forgeVersion } : {}), ...(caFile !== undefined ? { caFile } : {}), userAgent },
    diagnostics,
  };
}

/** The CA bundle is read and checked here, so that a bad path is a diagnostic on its attribute; the client then trusts it (`caFile`). */
function checkCaFile(path: string, source: string): Diagnostic[] {
  const attribute = source === "ca_file" ? ["ca_file"] : undefined;
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (error) {
    return [errorDiag(`Cannot read ${source}`, `${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, attribute)];
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----"))
    return [errorDiag(`Invalid ${source}`, `${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`, attribute)];
  return [];
}
