/**
 * The resource that carries a construct's local-exec provisioners: `terraform_data`
 * (built in) or `null_resource` (hashicorp/null).
 *
 *                        terraform_data            null_resource
 *   replacement triggers triggers_replace          triggers
 *   values for destroy   input  (self.input.k)     triggers (self.triggers.k)
 *
 * A destroy-time provisioner may only reference `self`, `count.index` and `each.key`,
 * so everything it needs is stored on the resource and read back through `self`. On
 * `terraform_data` those values sit in `input`, whose changes update in place without
 * re-running anything; `null_resource` has only `triggers`, so changing them replaces it.
 *
 * `on_failure` and `quiet` are set by override: cdktf's typed provisioner lacks them.
 */
import { createRequire } from "node:module";
import type * as NullProviderModule from "@cdktf/provider-null";
import { TerraformProvider, TerraformResource, TerraformStack, type ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { ConstructPropsError } from "./prop-checks.js";
import type { OnFailure, Runner } from "./runner-props.js";

const require = createRequire(import.meta.url);

/**
 * `@cdktf/provider-null`, loaded only for `runner: "null_resource"`: it is an optional peer
 * dependency, so stacks on the default runner need not install it.
 */
function nullProviderModule(): typeof NullProviderModule {
  try {
    return require("@cdktf/provider-null") as typeof NullProviderModule;
  } catch (error) {
    throw new ConstructPropsError(
      'runner "null_resource" needs @cdktf/provider-null: npm install @cdktf/provider-null (or use the default runner "terraform_data")',
      { cause: error },
    );
  }
}

/** The id of the child resource; cdktf leaves `Default` out of the logical id. */
export const RESOURCE_ID = "Default";
/** The id under which a construct adds the null provider to a stack that lacks one. */
export const NULL_PROVIDER_ID = "jobgate-null-provider";

export interface ProvisionerSpec {
  readonly command: string;
  readonly environment: Record<string, string>;
  readonly when?: "destroy";
  readonly onFailure: OnFailure;
  readonly quiet: boolean;
}

export interface RunnerResourceSpec {
  readonly runner: Runner;
  /** Replace the resource (re-running the create-time provisioner) when any of these change. */
  readonly triggers: Record<string, string>;
  /** Values a destroy-time provisioner reads back through `selfReference()`. */
  readonly stored: Record<string, string>;
  readonly provisioners: readonly ProvisionerSpec[];
  readonly dependsOn: readonly ITerraformDependable[];
}

/** `${self.input.k}` or `${self.triggers.k}`: a stored value, as a destroy provisioner may read it. */
export function selfReference(runner: Runner, key: string): string {
  return runner === "terraform_data" ? `\${self.input.${key}}` : `\${self.triggers.${key}}`;
}

export function createRunnerResource(scope: Construct, spec: RunnerResourceSpec): TerraformResource {
  const provisioners = spec.provisioners.map((p) => ({
    type: "local-exec" as const,
    command: p.command,
    environment: p.environment,
    ...(p.when === undefined ? {} : { when: p.when }),
  }));
  const config = { provisioners, dependsOn: spec.dependsOn.length > 0 ? [...spec.dependsOn] : undefined };
  let resource: TerraformResource;
  if (spec.runner === "null_resource") {
    const { resource: nullResource } = nullProviderModule();
    ensureNullProvider(scope);
    resource = new nullResource.Resource(scope, RESOURCE_ID, { ...config, triggers: { ...spec.triggers, ...spec.stored } });
  } else {
    resource = new TerraformResource(scope, RESOURCE_ID, { ...config, terraformResourceType: "terraform_data" });
    resource.addOverride("triggers_replace", spec.triggers);
    if (Object.keys(spec.stored).length > 0) resource.addOverride("input", spec.stored);
  }
  spec.provisioners.forEach((p, index) => {
    if (p.onFailure !== "fail") resource.addOverride(`provisioner.${index}.local-exec.on_failure`, p.onFailure);
    if (p.quiet) resource.addOverride(`provisioner.${index}.local-exec.quiet`, true);
  });
  return resource;
}

/**
 * Adds a default `null` provider to the stack unless one is there. A stack that ends up
 * with two default (unaliased) null providers — say, the user adds one after this
 * construct — fails validation at synth with a message saying which to remove.
 */
function ensureNullProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  const existing = nullProviders(stack);
  if (existing.length > 0) return;
  new (nullProviderModule().provider.NullProvider)(stack, NULL_PROVIDER_ID);
  stack.node.addValidation({
    validate: () => {
      const defaults = nullProviders(stack).filter((p) => p.alias === undefined);
      return defaults.length > 1
        ? [
            `the stack has ${defaults.length} default "null" providers; jobgate added "${NULL_PROVIDER_ID}" because none ` +
              `existed when its first null_resource runner was created — create your NullProvider before the jobgate constructs`,
          ]
        : [];
    },
  });
}

function nullProviders(stack: TerraformStack): TerraformProvider[] {
  return stack.node.findAll().filter((c): c is TerraformProvider => TerraformProvider.isTerraformProvider(c) && c.terraformResourceType === "null");
}
