/**
 * tfplugin6.Provider: the RPCs Terraform calls, on the resource definitions.
 *
 *   GetMetadata, GetProviderSchema   the types and their schemas (each resource declares
 *                                    its own `timeouts` block)
 *   Validate*Config                  shapes of values known at validation
 *   ConfigureProvider                provider block + JOBGATE_* environment → JobsClient
 *   UpgradeResourceState             stored JSON → the current schema's value (version 0)
 *   PlanResourceChange               create: computed attributes unknown (refined);
 *                                    RequiresReplace for the arguments that replace;
 *                                    destroy: null (state-only)
 *   ApplyResourceChange              create waits; update changes nothing; destroy forgets
 *   ReadResource, ImportResourceState, ReadDataSource
 *   StopProvider                     aborts every wait at once
 *
 * Plan/apply consistency: an apply returns exactly the planned value for every attribute
 * the plan knew, and values that satisfy the refinements of those it did not.
 * Anything thrown becomes an error diagnostic naming the RPC — never a crash.
 */
import { JobsClient } from "../../client/index.js";
import { decodeValue, encodeValue } from "./cty/msgpack.js";
import { valueFromJsonText } from "./cty/json.js";
import type { CtyType } from "./cty/types.js";
import type { CtyObject, CtyValue } from "./cty/values.js";
import { diagnosticMessage, errorDiag, type Diagnostic, attributePath } from "./diagnostics.js";
import type { Logger } from "./logging.js";
import type { ProviderHandlers } from "./plugin-server.js";
import type {
  ApplyResourceChangeRequest,
  ConfigRequest,
  ConfigureProviderRequest,
  DynamicValueMessage,
  ImportResourceStateRequest,
  PlanResourceChangeRequest,
  ReadDataSourceRequest,
  ReadResourceRequest,
  UpgradeResourceStateRequest,
  ValidateRequest,
} from "./protocol/messages.js";
import type { ProviderContext } from "./provider-context.js";
import { configureProvider, providerSchema, providerType, validateProviderConfig } from "./provider-config.js";
import type { DataSourceDefinition, ResourceDefinition } from "./resources/definition.js";
import { jobDataSource } from "./resources/job-data-source.js";
import { jobWaitResource } from "./resources/job-wait.js";
import { operationResource } from "./resources/operation.js";
import { schemaMessage } from "./schema.js";
import { PROVIDER_VERSION } from "./version.js";

export const RESOURCES: readonly ResourceDefinition[] = [operationResource, jobWaitResource];
export const DATA_SOURCES: readonly DataSourceDefinition[] = [jobDataSource];

export interface ProviderOptions {
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
}

export interface Provider {
  readonly handlers: ProviderHandlers;
  /** Aborts every wait (what StopProvider does). */
  stop(): void;
}

export function createProvider(options: ProviderOptions): Provider {
  const { logger } = options;
  const env = options.env ?? process.env;
  const stopper = new AbortController();
  let client: JobsClient | undefined;
  let notConfigured: Diagnostic = errorDiag("The jobgate provider is not configured", "Terraform did not call ConfigureProvider before using the provider.");

  const ctx: ProviderContext = {
    logger,
    stopSignal: stopper.signal,
    client: () => client ?? notConfigured,
  };

  const resource = (name: string): ResourceDefinition => {
    const found = RESOURCES.find((r) => r.typeName === name);
    if (found === undefined) throw new Error(`unknown resource type ${JSON.stringify(name)}`);
    return found;
  };
  const dataSource = (name: string): DataSourceDefinition => {
    const found = DATA_SOURCES.find((d) => d.typeName === name);
    if (found === undefined) throw new Error(`unknown data source ${JSON.stringify(name)}`);
    return found;
  };

  const handlers: ProviderHandlers = {
    GetMetadata: async () => ({
      server_capabilities: { plan_destroy: false, get_provider_schema_optional: false },
      diagnostics: [],
      resources: RESOURCES.map((r) => ({ type_name: r.typeName })),
      data_sources: DATA_SOURCES.map((d) => ({ type_name: d.typeName })),
    }),

    GetProviderSchema: async () => ({
      provider: schemaMessage(providerSchema),
      resource_schemas: Object.fromEntries(RESOURCES.map((r) => [r.typeName, schemaMessage(r.schema)])),
      data_source_schemas: Object.fromEntries(DATA_SOURCES.map((d) => [d.typeName, schemaMessage(d.schema)])),
      diagnostics: [],
      server_capabilities: { plan_destroy: false, get_provider_schema_optional: false },
    }),

    GetResourceIdentitySchemas: async () => ({ diagnostics: [] }),
    GetFunctions: async () => ({ diagnostics: [] }),

    ValidateProviderConfig: guarded("ValidateProviderConfig", async (req: ConfigRequest) => ({
      diagnostics: messages(validateProviderConfig(asObject(decode(req.config, providerType)))),
    })),

    ValidateResourceConfig: guarded("ValidateResourceConfig", async (req: ValidateRequest) => {
      const r = resource(req.type_name);
      return { diagnostics: messages(r.validate(asObject(decode(req.config, r.type)))) };
    }),

    ValidateDataResourceConfig: guarded("ValidateDataResourceConfig", async (req: ValidateRequest) => {
      const d = dataSource(req.type_name);
      return { diagnostics: messages(d.validate(asObject(decode(req.config, d.type)))) };
    }),

    ConfigureProvider: guarded("ConfigureProvider", async (req: ConfigureProviderRequest) => {
      const config = asObject(decode(req.config, providerType));
      const userAgent = `terraform-provider-jobgate/${PROVIDER_VERSION} (Terraform ${req.terraform_version || "unknown"})`;
      const configured = configureProvider(config, env, userAgent);
      if (configured.options === undefined) {
        if (configured.diagnostics.length === 0) {
          notConfigured = errorDiag(
            "The jobgate provider's configuration is not known yet",
            "The provider block uses values that are only known after apply; the jobs API cannot be called before they are.",
          );
        }
        return { diagnostics: messages(configured.diagnostics) };
      }
      logger.redact(configured.options.token);
      try {
        client = new JobsClient(configured.options);
      } catch (error) {
        return { diagnostics: messages([...configured.diagnostics, errorDiag("Invalid provider configuration", (error as Error).message)]) };
      }
      logger.debug("configured", { api_url: client.apiUrl });
      return { diagnostics: messages(configured.diagnostics) };
    }),

    UpgradeResourceState: guarded("UpgradeResourceState", async (req: UpgradeResourceStateRequest) => {
      const r = resource(req.type_name);
      if (req.version > r.schema.version) {
        return {
          diagnostics: messages([
            errorDiag(
              `${r.typeName}: state from a newer provider`,
              `The state was written by schema version ${req.version}; this provider knows up to ${r.schema.version}. Use the newer terraform-provider-jobgate.`,
            ),
          ]),
        };
      }
      const json = req.raw_state?.json;
      if (json === undefined || json.length === 0) {
        return { diagnostics: messages([errorDiag(`${r.typeName}: cannot upgrade a flatmap state`, "Only JSON states (Terraform >= 0.12) are supported.")]) };
      }
      const value = valueFromJsonText(json.toString("utf8"), r.type);
      return { upgraded_state: dynamic(value, r.type), diagnostics: [] };
    }),

    ReadResource: guarded("ReadResource", async (req: ReadResourceRequest) => {
      const r = resource(req.type_name);
      const current = decode(req.current_state, r.type);
      if (current === null) return { new_state: dynamic(null, r.type), private: req.private, diagnostics: [] };
      const result = await r.read(asObject(current), req.private ?? Buffer.alloc(0), ctx);
      return { new_state: dynamic(result.state, r.type), private: result.private, diagnostics: messages(result.diagnostics) };
    }),

    PlanResourceChange: guarded("PlanResourceChange", async (req: PlanResourceChangeRequest) => {
      const r = resource(req.type_name);
      const proposed = decode(req.proposed_new_state, r.type);
      // Destroy: nothing to plan but null (destroy is state-only).
      if (proposed === null) return { planned_state: dynamic(null, r.type), planned_private: req.prior_private, requires_replace: [], diagnostics: [] };
      const prior = decode(req.prior_state, r.type);
      const config = asObject(decode(req.config, r.type));
      const result = r.plan({ prior: prior === null ? null : asObject(prior), config, priorPrivate: req.prior_private ?? Buffer.alloc(0) });
      return {
        planned_state: dynamic(result.planned, r.type),
        requires_replace: result.requiresReplace.map((path) => attributePath(path)),
        planned_private: result.plannedPrivate ?? req.prior_private,
        diagnostics: messages(result.diagnostics),
      };
    }),

    ApplyResourceChange: guarded("ApplyResourceChange", async (req: ApplyResourceChangeRequest) => {
      const r = resource(req.type_name);
      const planned = decode(req.planned_state, r.type);
      if (planned === null) {
        logger.info(`${r.typeName}: destroy removes it from the state only; nothing is called`);
        return { new_state: dynamic(null, r.type), private: Buffer.alloc(0), diagnostics: [] };
      }
      const prior = decode(req.prior_state, r.type);
      const result = await r.apply(
        {
          prior: prior === null ? null : asObject(prior),
          planned: asObject(planned),
          config: asObject(decode(req.config, r.type)),
          plannedPrivate: req.planned_private ?? Buffer.alloc(0),
        },
        ctx,
      );
      return { new_state: dynamic(result.state, r.type), private: result.private, diagnostics: messages(result.diagnostics) };
    }),

    ImportResourceState: guarded("ImportResourceState", async (req: ImportResourceStateRequest) => {
      const r = resource(req.type_name);
      const result = await r.import(req.id, ctx);
      if (result.state === null) return { imported_resources: [], diagnostics: messages(result.diagnostics) };
      return {
        imported_resources: [{ type_name: r.typeName, state: dynamic(result.state, r.type), private: result.private }],
        diagnostics: messages(result.diagnostics),
      };
    }),

    ReadDataSource: guarded("ReadDataSource", async (req: ReadDataSourceRequest) => {
      const d = dataSource(req.type_name);
      const config = asObject(decode(req.config, d.type));
      const result = await d.read(config, ctx);
      return { state: dynamic(result.state, d.type), diagnostics: messages(result.diagnostics) };
    }),

    StopProvider: async () => {
      logger.info("Terraform asked to stop: every wait ends now");
      stopper.abort(new Error("stopped by Terraform"));
      return { Error: "" };
    },
  };

  function guarded<Request>(rpc: string, handler: (req: Request) => Promise<object>): (req: unknown) => Promise<object> {
    return async (req) => {
      try {
        return await handler(req as Request);
      } catch (error) {
        logger.error(`${rpc}: ${(error as Error)?.stack ?? String(error)}`);
        return { diagnostics: messages([errorDiag(`terraform-provider-jobgate: ${rpc} failed`, (error as Error)?.message ?? String(error))]) };
      }
    };
  }

  return { handlers, stop: () => stopper.abort(new Error("stopped")) };
}

function decode(dv: DynamicValueMessage | null | undefined, type: CtyType): CtyValue {
  if (dv === null || dv === undefined) return null;
  if (dv.msgpack !== undefined && dv.msgpack.length > 0) return decodeValue(dv.msgpack, type);
  if (dv.json !== undefined && dv.json.length > 0) return valueFromJsonText(dv.json.toString("utf8"), type);
  return null;
}

function dynamic(value: CtyValue, type: CtyType): DynamicValueMessage {
  return { msgpack: Buffer.from(encodeValue(value, type)) };
}

function asObject(value: CtyValue): CtyObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("expected an object value");
  return value as CtyObject;
}

function messages(diagnostics: readonly Diagnostic[]): object[] {
  return diagnostics.map(diagnosticMessage);
}
