/**
 * `runner: "provider"`: the constructs as the jobgate provider's resources. The stack gets
 * one default `provider "jobgate"` (added when missing, reused when the app made one);
 * a construct with its own `apiUrl` or `forgeVersion` gets an aliased provider for that
 * pair, shared by every construct that names the same pair.
 */
import { TerraformProvider, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { ConstructPropsError } from "./prop-checks.js";
import { JobgateProvider } from "./provider-jobgate.js";
import type { JobOutcome } from "./provider-outcome.js";
import { sha256Hex } from "./triggers.js";

/** The id under which a construct adds the default jobgate provider. */
export const JOBGATE_PROVIDER_ID = "jobgate-provider";

export function jobgateProviderFor(scope: Construct, apiUrl: string | undefined, forgeVersion: string | undefined): JobgateProvider | undefined {
  const stack = TerraformStack.of(scope);
  const providers = stack.node.findAll().filter((c): c is JobgateProvider => TerraformProvider.isTerraformProvider(c) && c instanceof JobgateProvider);
  if (apiUrl === undefined && forgeVersion === undefined) {
    if (!providers.some((p) => p.alias === undefined)) new JobgateProvider(stack, JOBGATE_PROVIDER_ID);
    return undefined; // resources use the default provider without naming it
  }
  const alias = `jobgate_${sha256Hex(JSON.stringify([apiUrl ?? null, forgeVersion ?? null])).slice(0, 8)}`;
  const existing = providers.find((p) => p.alias === alias);
  if (existing !== undefined) return existing;
  return new JobgateProvider(stack, `${JOBGATE_PROVIDER_ID}-${alias}`, {
    alias,
    ...(apiUrl !== undefined ? { apiUrl } : {}),
    ...(forgeVersion !== undefined ? { forgeVersion } : {}),
  });
}

/** For the local-exec runners, which have no job outcome to hand out. */
export function outcomeOrThrow(kind: string, id: string, outcome: JobOutcome | undefined, what: string): JobOutcome {
  if (outcome === undefined) {
    throw new ConstructPropsError(
      `${kind} ${JSON.stringify(id)}: ${what} is only known with runner: "provider" (the local-exec runners cannot hand a job's outcome to Terraform)`,
    );
  }
  return outcome;
}
