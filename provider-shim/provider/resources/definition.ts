/**
 * What a managed resource type or a data source of this provider is: its schema and the
 * rules of each lifecycle step, on decoded values. provider.ts does the protocol around it
 * (decoding DynamicValues, encoding answers, turning diagnostics into messages).
 */
import type { CtyType } from "../cty/types.js";
import type { CtyObject } from "../cty/values.js";
import type { Diagnostic, PathStep } from "../diagnostics.js";
import type { ProviderContext } from "../provider-context.js";
import type { SchemaSpec } from "../schema.js";

export interface PlanRequest {
  /** Null on create. */
  readonly prior: CtyObject | null;
  readonly config: CtyObject;
  readonly priorPrivate: Buffer;
}

export interface PlanResult {
  readonly planned: CtyObject;
  readonly requiresReplace: readonly (readonly PathStep[])[];
  readonly plannedPrivate?: Buffer;
  readonly diagnostics: readonly Diagnostic[];
}

export interface ApplyRequest {
  /** Null on create. */
  readonly prior: CtyObject | null;
  readonly planned: CtyObject;
  readonly config: CtyObject;
  readonly plannedPrivate: Buffer;
}

export interface StateResult {
  /** Null: no object (nothing was created, or it is gone). */
  readonly state: CtyObject | null;
  readonly private: Buffer;
  readonly diagnostics: readonly Diagnostic[];
}

export interface ResourceDefinition {
  readonly typeName: string;
  readonly schema: SchemaSpec;
  readonly type: CtyType;
  validate(config: CtyObject): Diagnostic[];
  plan(request: PlanRequest): PlanResult;
  /** Create or update (destroy never reaches here: it is state-only). */
  apply(request: ApplyRequest, ctx: ProviderContext): Promise<StateResult>;
  read(state: CtyObject, priv: Buffer, ctx: ProviderContext): Promise<StateResult>;
  import(id: string, ctx: ProviderContext): Promise<StateResult>;
}

export interface DataSourceDefinition {
  readonly typeName: string;
  readonly schema: SchemaSpec;
  readonly type: CtyType;
  validate(config: CtyObject): Diagnostic[];
  read(config: CtyObject, ctx: ProviderContext): Promise<{ state: CtyObject | null; diagnostics: readonly Diagnostic[] }>;
}
