/**
 * Props every jobgate construct takes: where the provisioner runs, how long it waits,
 * which server it talks to and how Terraform treats its failure.
 */
import type { ITerraformDependable } from "cdktf";
import { DEFAULT_WAIT_TIMEOUT } from "../../api/defaults.js";
import { ENV } from "../../api/env.js";
import {
  ConstructPropsError,
  oneOf,
  optionalApiUrl,
  optionalBoolean,
  optionalCli,
  optionalEnvironment,
  optionalForgeVersion,
  positiveDuration,
  propLabel,
} from "./prop-checks.js";

export type Runner = "terraform_data" | "null_resource" | "provider";
export const RUNNERS: readonly Runner[] = ["terraform_data", "null_resource", "provider"];
export const DEFAULT_RUNNER: Runner = "terraform_data";

export type OnFailure = "fail" | "continue";
export const ON_FAILURE: readonly OnFailure[] = ["fail", "continue"];

/** The CLI's own default (spec §9), spelled out so the synthesized command says it. */
export { DEFAULT_WAIT_TIMEOUT as DEFAULT_TIMEOUT };

export interface RunnerProps {
  /**
   * How long the CLI waits for the job before failing the apply with the job's last
   * state (exit 3). A Go-style duration such as `"90s"`, `"30m"` or `"1h30m"`.
   * @default "30m"
   */
  readonly timeout?: string;
  /**
   * The resource that carries the provisioner: `"terraform_data"` is built into
   * Terraform ≥ 1.4 (no provider download, works air-gapped); `"null_resource"` comes
   * from hashicorp/null, whose provider the construct adds to the stack when missing;
   * `"provider"` is the jobgate provider's own resource (`jobgate_job_wait` /
   * `jobgate_operation`, installed with `jobgate provider install`), whose job outcome
   * other resources can use (`jobId`, `status`, `resultJson`, `result(key)`).
   * @default "terraform_data"
   */
  readonly runner?: Runner;
  /**
   * The jobs API the CLI talks to (`JOBGATE_API_URL` in the provisioner's environment).
   * Must not hold credentials.
   * @default — the `JOBGATE_API_URL` Terraform runs with, else `http://127.0.0.1:8080`
   */
  readonly apiUrl?: string;
  /**
   * The `Forge-Version` the CLI sends (`JOBGATE_FORGE_VERSION`).
   * @default — the `JOBGATE_FORGE_VERSION` Terraform runs with, else the server's latest
   */
  readonly forgeVersion?: string;
  /**
   * The argv that starts the jobgate CLI, written shell-quoted into the command, e.g.
   * `["node", "/opt/jobgate/dist/provider-shim/cli/main.js"]`.
   * @default — `$JOBGATE_CLI` from the environment Terraform runs in, else `npx --no-install jobgate`
   */
  readonly cli?: readonly string[];
  /**
   * Extra environment for the CLI (e.g. `NODE_OPTIONS`). The construct's own variables,
   * `JOBGATE_TOKEN` and proxy URLs with credentials are refused: secrets come only from the
   * environment Terraform runs in, so they never land in the synthesized JSON or the state.
   * @default {}
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Terraform's `on_failure` for the provisioner: `"fail"` fails the apply (and taints
   * the resource, so the next apply runs it again); `"continue"` logs and carries on.
   * @default "fail"
   */
  readonly onFailure?: OnFailure;
  /**
   * Terraform's `quiet` for local-exec (Terraform ≥ 1.4): hide the command line in
   * Terraform's output. The CLI's own output is still shown.
   * @default false
   */
  readonly quiet?: boolean;
  /**
   * Resources (or other jobgate constructs) that must be applied before this one.
   * @default []
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

export interface NormalizedRunnerProps {
  readonly timeout: string;
  readonly runner: Runner;
  readonly apiUrl: string | undefined;
  readonly forgeVersion: string | undefined;
  readonly cli: readonly string[] | undefined;
  readonly environment: Readonly<Record<string, string>>;
  readonly onFailure: OnFailure;
  readonly quiet: boolean;
  readonly dependsOn: readonly ITerraformDependable[];
}

/** Variables the constructs set themselves, each with the prop that feeds it. */
const OWN_VARIABLES: Record<string, string> = {
  [ENV.apiUrl]: "apiUrl",
  [ENV.forgeVersion]: "forgeVersion",
  [ENV.cli]: "cli",
};

export function normalizeRunnerProps(kind: string, id: string, props: RunnerProps, ownVariables: Record<string, string> = {}): NormalizedRunnerProps {
  const label = (prop: string) => propLabel(kind, id, prop);
  const environment = optionalEnvironment(label("environment"), props.environment);
  const reserved = { ...OWN_VARIABLES, ...ownVariables };
  for (const name of Object.keys(environment)) {
    const prop = reserved[name];
    if (prop !== undefined) {
      throw new ConstructPropsError(`${label("environment")} must not set ${name}; use the ${JSON.stringify(prop)} prop instead`);
    }
  }
  const runner = oneOf(label("runner"), props.runner, RUNNERS, DEFAULT_RUNNER);
  if (runner === "provider") {
    // These shape the local-exec command; the provider's resource has no command.
    for (const prop of ["cli", "environment", "onFailure", "quiet"] as const) {
      if (props[prop] !== undefined) {
        throw new ConstructPropsError(
          `${label(prop)} only applies to the local-exec runners ("terraform_data", "null_resource"), not to runner "provider"; remove it`,
        );
      }
    }
  }
  if (props.dependsOn !== undefined && !Array.isArray(props.dependsOn)) {
    throw new ConstructPropsError(`${label("dependsOn")} must be an array of resources or constructs`);
  }
  return {
    timeout: positiveDuration(label("timeout"), props.timeout, DEFAULT_WAIT_TIMEOUT),
    runner,
    apiUrl: optionalApiUrl(label("apiUrl"), props.apiUrl),
    forgeVersion: optionalForgeVersion(label("forgeVersion"), props.forgeVersion),
    cli: optionalCli(label("cli"), props.cli),
    environment,
    onFailure: oneOf(label("onFailure"), props.onFailure, ON_FAILURE, "fail"),
    quiet: optionalBoolean(label("quiet"), props.quiet, false),
    dependsOn: props.dependsOn ?? [],
  };
}

/** The variables every provisioner of these props gets, apart from the operation's own. */
export function connectionEnvironment(props: NormalizedRunnerProps): Record<string, string> {
  const env: Record<string, string> = { ...props.environment };
  if (props.apiUrl !== undefined) env[ENV.apiUrl] = props.apiUrl;
  if (props.forgeVersion !== undefined) env[ENV.forgeVersion] = props.forgeVersion;
  return env;
}
