/**
 * The request messages of tfplugin6.proto as the handlers receive them (services.ts: names
 * as in the .proto, defaults filled in, int64 as numbers): only the fields this provider reads.
 */

export interface DynamicValueMessage {
  readonly msgpack?: Buffer;
  readonly json?: Buffer;
}

export interface TypedRequest {
  readonly type_name: string;
}

export interface ConfigRequest {
  readonly config?: DynamicValueMessage | null;
}

export interface ConfigureProviderRequest extends ConfigRequest {
  readonly terraform_version: string;
}

export interface ValidateRequest extends TypedRequest, ConfigRequest {}

export interface UpgradeResourceStateRequest extends TypedRequest {
  readonly version: number;
  readonly raw_state?: { readonly json?: Buffer } | null;
}

export interface ReadResourceRequest extends TypedRequest {
  readonly current_state?: DynamicValueMessage | null;
  readonly private?: Buffer;
}

export interface PlanResourceChangeRequest extends TypedRequest, ConfigRequest {
  readonly prior_state?: DynamicValueMessage | null;
  readonly proposed_new_state?: DynamicValueMessage | null;
  readonly prior_private?: Buffer;
}

export interface ApplyResourceChangeRequest extends TypedRequest, ConfigRequest {
  readonly prior_state?: DynamicValueMessage | null;
  readonly planned_state?: DynamicValueMessage | null;
  readonly planned_private?: Buffer;
}

export interface ImportResourceStateRequest extends TypedRequest {
  readonly id: string;
}

export type ReadDataSourceRequest = ValidateRequest;
