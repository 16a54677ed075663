/**
 * What the provider's resources and data source expose, as tokens: the job's id, status,
 * progress and result — `resultJson` as JSON text and `result(key)` for one member
 * (`deploy.result("release_id")` → `${jsondecode(jobgate_operation.deploy.result)["release_id"]}`).
 * And the `timeouts` block they share.
 */
import { Fn, stringToHclTerraform, stringToTerraform, Token, type TerraformDataSource, type TerraformMetaArguments, type TerraformResource } from "cdktf";

export interface JobgateTimeouts {
  /** How long create waits for the job, e.g. `"30m"`. @default "30m" (the provider's) */
  readonly create?: string;
}

/** The outcome attributes, read from a resource or data source. */
export class JobOutcome {
  constructor(private readonly element: TerraformResource | TerraformDataSource) {}

  get jobId(): string {
    return this.element.getStringAttribute("job_id");
  }
  get status(): string {
    return this.element.getStringAttribute("status");
  }
  get progress(): number {
    return this.element.getNumberAttribute("progress");
  }
  /** The job's `result` as JSON text (`"null"` when there is none). */
  get resultJson(): string {
    return this.element.getStringAttribute("result");
  }
  get errorCode(): string {
    return this.element.getStringAttribute("error_code");
  }
  get errorMessage(): string {
    return this.element.getStringAttribute("error_message");
  }
  /** One member of the result, e.g. `result("release_id")`. */
  result(key: string): string {
    return Token.asString(Fn.lookupNested(Fn.jsondecode(this.resultJson), [key]));
  }
}

export function timeoutsToTerraform(timeouts: JobgateTimeouts | undefined): Record<string, unknown> | undefined {
  return timeouts === undefined ? undefined : { create: stringToTerraform(timeouts.create) };
}

export function timeoutsToHcl(timeouts: JobgateTimeouts | undefined): Record<string, unknown> | undefined {
  if (timeouts === undefined) return undefined;
  return {
    value: { create: hclString(timeouts.create) },
    isBlock: true,
    type: "struct",
    storageClassType: "JobgateTimeouts",
  };
}

/** A string attribute for cdktf's HCL synthesis. */
export function hclString(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  return { value: stringToHclTerraform(value) as unknown, isBlock: false, type: "simple", storageClassType: "string" };
}

/** What a `jobgate_*` resource passes to `TerraformResource`: its type and the meta-arguments as the user gave them. */
export function resourceBase(terraformResourceType: string, config: TerraformMetaArguments) {
  return {
    terraformResourceType,
    terraformGeneratorMetadata: { providerName: "jobgate" },
    provider: config.provider,
    dependsOn: config.dependsOn,
    count: config.count,
    lifecycle: config.lifecycle,
    forEach: config.forEach,
  };
}
