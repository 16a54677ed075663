/**
 * Hand-written CDKTF bindings for the jobgate/jobgate provider (no `cdktf get`): the
 * provider block. Resources are in provider-operation.ts, provider-job-wait.ts and
 * provider-data-job.ts.
 *
 * The token is deliberately not a prop: it would be written into the synthesized JSON.
 * The provider reads JOBGATE_TOKEN from the environment Terraform runs in.
 */
import { stringToTerraform, TerraformProvider } from "cdktf";
import { hclString } from "./provider-outcome.js";
import type { Construct } from "constructs";
import { PROVIDER_VERSION } from "../provider/version.js";

export const JOBGATE_PROVIDER_SOURCE = "jobgate/jobgate";

export interface JobgateProviderConfig {
  /** Base URL of the jobs API (`api_url`). @default — `$JOBGATE_API_URL`, else `http://127.0.0.1:8080` */
  readonly apiUrl?: string;
  /** `forge_version`. @default — `$JOBGATE_FORGE_VERSION`, else the API's latest */
  readonly forgeVersion?: string;
  /** `ca_file`: a PEM bundle to trust. @default — `$JOBGATE_CA_FILE` */
  readonly caFile?: string;
  /** Terraform's provider alias, for several jobgate providers in one stack. @default — the default provider */
  readonly alias?: string;
}

export class JobgateProvider extends TerraformProvider {
  static readonly tfResourceType = "jobgate";
  readonly config: JobgateProviderConfig;
  // cdktf's base class keeps no alias; each provider binding stores its own.
  #alias: string | undefined;

  constructor(scope: Construct, id: string, config: JobgateProviderConfig = {}) {
    super(scope, id, {
      terraformResourceType: "jobgate",
      terraformGeneratorMetadata: { providerName: "jobgate", providerVersion: PROVIDER_VERSION, providerVersionConstraint: PROVIDER_VERSION },
      terraformProviderSource: JOBGATE_PROVIDER_SOURCE,
    });
    this.config = config;
    this.#alias = config.alias;
  }

  override get alias(): string | undefined {
    return this.#alias;
  }

  override set alias(value: string | undefined) {
    this.#alias = value;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      api_url: stringToTerraform(this.config.apiUrl),
      forge_version: stringToTerraform(this.config.forgeVersion),
      ca_file: stringToTerraform(this.config.caFile),
      alias: stringToTerraform(this.alias),
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    const attrs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries({
      api_url: this.config.apiUrl,
      forge_version: this.config.forgeVersion,
      ca_file: this.config.caFile,
      alias: this.alias,
    })) {
      if (value !== undefined) attrs[name] = hclString(value);
    }
    return attrs;
  }
}
