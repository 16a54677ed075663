/**
 * `AsyncOperation`: calls an operation that answers `202 Accepted` with a job, and blocks
 * `terraform apply` until that job finishes (`jobgate call --wait` from a local-exec
 * provisioner). Method, path, body and idempotency key travel as `JOBGATE_CALL_METHOD`,
 * `JOBGATE_CALL_PATH`, `JOBGATE_CALL_BODY` and `JOBGATE_IDEMPOTENCY_KEY` in the
 * provisioner's environment — never in the command line.
 *
 * The resource is replaced — and the operation called again — when the method, path,
 * body (by SHA-256) or idempotency key change; an unchanged re-apply calls nothing.
 *
 * An optional `destroy` operation runs from a destroy-time provisioner. Terraform lets
 * such a provisioner reference only `self`, `count.index` and `each.key`, so its inputs
 * are stored on the resource (`input` of terraform_data, `triggers` of null_resource)
 * and read back through `self`. Terraform runs it only while the construct is still in
 * the configuration (remove a construct in two steps: destroy it, then delete it), not
 * for a resource that is tainted (e.g. its create-time operation failed), and not with
 * `create_before_destroy`. A failed destroy operation fails the destroy, and the next
 * destroy runs it again.
 *
 * With `runner: "provider"` it is the jobgate provider's `jobgate_operation` (the same call,
 * replaced on the same changes), and the job's outcome is there for other resources:
 * `jobId`, `status`, `resultJson`, `result(key)` (e.g. `deploy.result("release_id")`).
 * `destroy` does not apply there: the provider's destroy is state-only.
 */
import { Fn, type ITerraformDependable, type TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { ENV } from "../../api/env.js";
import { IDEMPOTENCY_KEY_PATTERN } from "../../api/identifiers.js";
import { cliCommand } from "./cli-command.js";
import { ConstructPropsError, isApplyTimeValue, oneOf, optionalString, positiveDuration, propLabel, requireString } from "./prop-checks.js";
import { connectionEnvironment, normalizeRunnerProps, ON_FAILURE, type NormalizedRunnerProps, type OnFailure, type RunnerProps } from "./runner-props.js";
import { JobgateOperation } from "./provider-operation.js";
import type { JobOutcome } from "./provider-outcome.js";
import { jobgateProviderFor, outcomeOrThrow } from "./provider-runner.js";
import { createRunnerResource, RESOURCE_ID, selfReference, type ProvisionerSpec } from "./runner-resource.js";
import { canonicalJson, operationTriggers, sha256Hex } from "./triggers.js";

export type OperationMethod = "POST" | "PUT" | "PATCH" | "DELETE";
export const OPERATION_METHODS: readonly OperationMethod[] = ["POST", "PUT", "PATCH", "DELETE"];
/** Methods an `Idempotency-Key` means something for (the others are idempotent already). */
const IDEMPOTENCY_KEY_METHODS: readonly OperationMethod[] = ["POST", "PATCH"];
/** Under Linux's limit on one environment string (128 KiB), with room to spare. */
export const MAX_BODY_BYTES = 100_000;

/** One HTTP call that answers 202 with a job. */
export interface OperationCall {
  /** The HTTP method of the operation. */
  readonly method: OperationMethod;
  /** The operation's path on the API, starting with `/`, e.g. `"/v1/sites/site_1/deploys"`. */
  readonly path: string;
  /**
   * The JSON request body: JSON text, or an object (sent with its keys sorted, so the
   * replacement trigger does not depend on key order). Stored in the state (hashed in
   * the triggers; in full for a destroy operation): put no secrets in it.
   * @default — no body
   */
  readonly body?: string | Readonly<Record<string, unknown>>;
  /**
   * An `Idempotency-Key` (POST and PATCH only). With one, a re-run after a timeout or an
   * interrupted apply re-attaches to the same job instead of starting another; but a
   * re-run after the job failed gets the same failed job — change the key to retry.
   * @default — no key: every run starts a new job
   */
  readonly idempotencyKey?: string;
}

export interface AsyncOperationDestroy extends OperationCall {
  /**
   * How long `terraform destroy` waits for the destroy-time operation's job.
   * @default — the construct's `timeout`
   */
  readonly timeout?: string;
  /**
   * Terraform's `on_failure` for the destroy-time provisioner: `"continue"` lets the
   * destroy go on when the operation fails.
   * @default "fail"
   */
  readonly onFailure?: OnFailure;
}

export interface AsyncOperationProps extends RunnerProps, OperationCall {
  /**
   * An operation to run (and wait on) when the resource is destroyed, e.g. a
   * `DELETE` of what the create-time operation made. See the limits in this file's header.
   * @default — nothing runs at destroy
   */
  readonly destroy?: AsyncOperationDestroy;
}

interface NormalizedCall {
  readonly method: OperationMethod;
  readonly path: string;
  readonly body: string | undefined;
  readonly idempotencyKey: string | undefined;
}

export interface NormalizedAsyncOperationProps extends NormalizedRunnerProps, NormalizedCall {
  readonly destroy: (NormalizedCall & { readonly timeout: string; readonly onFailure: OnFailure }) | undefined;
}

const KIND = "AsyncOperation";
const CALL_VARIABLES = {
  [ENV.callMethod]: "method",
  [ENV.callPath]: "path",
  [ENV.callBody]: "body",
  [ENV.idempotencyKey]: "idempotencyKey",
};

export function normalizeAsyncOperationProps(id: string, props: AsyncOperationProps): NormalizedAsyncOperationProps {
  if (props === null || typeof props !== "object") {
    throw new ConstructPropsError(`${KIND} ${JSON.stringify(id)}: props are required, e.g. { method: "POST", path: "/v1/sites/site_1/deploys" }`);
  }
  const runner = normalizeRunnerProps(KIND, id, props, CALL_VARIABLES);
  const call = normalizeCall(id, "", props);
  let destroy: NormalizedAsyncOperationProps["destroy"];
  if (props.destroy !== undefined && runner.runner === "provider") {
    throw new ConstructPropsError(
      `${propLabel(KIND, id, "destroy")} only applies to the local-exec runners: with runner "provider" destroy only removes the resource from the state; run the destroy-time operation as its own AsyncOperation`,
    );
  }
  if (props.destroy !== undefined) {
    if (props.destroy === null || typeof props.destroy !== "object") {
      throw new ConstructPropsError(`${propLabel(KIND, id, "destroy")} must be an object such as { method: "DELETE", path: "/v1/…" }`);
    }
    destroy = {
      ...normalizeCall(id, "destroy.", props.destroy),
      timeout: positiveDuration(propLabel(KIND, id, "destroy.timeout"), props.destroy.timeout, runner.timeout),
      onFailure: oneOf(propLabel(KIND, id, "destroy.onFailure"), props.destroy.onFailure, ON_FAILURE, "fail"),
    };
  }
  return { ...runner, ...call, destroy };
}

function normalizeCall(id: string, prefix: string, call: OperationCall): NormalizedCall {
  const label = (prop: string) => propLabel(KIND, id, prefix + prop);
  const method = oneOf(label("method"), requireString(label("method"), call.method), OPERATION_METHODS, "POST");

  const path = requireString(label("path"), call.path);
  if (!isApplyTimeValue(path)) {
    if (!path.startsWith("/") || path.startsWith("//")) {
      throw new ConstructPropsError(
        `${label("path")} must start with "/" (a path on the API such as "/v1/sites/site_1/deploys"; set the server with "apiUrl"), got ${JSON.stringify(path)}`,
      );
    }
    if (/[\s\x00-\x1f\x7f]/.test(path)) {
      throw new ConstructPropsError(`${label("path")} must not contain whitespace or control characters (percent-encode them), got ${JSON.stringify(path)}`);
    }
  }

  const body = normalizeBody(label("body"), call.body);
  if (body !== undefined && method === "DELETE") {
    throw new ConstructPropsError(`${label("body")} cannot be sent with ${JSON.stringify(prefix + "method")}: "DELETE"; put the parameters in "${prefix}path"`);
  }

  const idempotencyKey = optionalString(label("idempotencyKey"), call.idempotencyKey);
  if (idempotencyKey !== undefined) {
    if (!IDEMPOTENCY_KEY_METHODS.includes(method)) {
      throw new ConstructPropsError(
        `${label("idempotencyKey")} only applies to ${JSON.stringify(prefix + "method")}: "POST" or "PATCH" (${method} is idempotent already); remove it`,
      );
    }
    if (!isApplyTimeValue(idempotencyKey) && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
      throw new ConstructPropsError(
        `${label("idempotencyKey")} must be 1 to 255 printable ASCII characters without spaces, got ${JSON.stringify(idempotencyKey)}`,
      );
    }
  }
  return { method, path, body, idempotencyKey };
}

function normalizeBody(label: string, body: OperationCall["body"]): string | undefined {
  if (body === undefined) return undefined;
  let text: string;
  if (typeof body === "string") {
    text = body;
    if (!isApplyTimeValue(text)) {
      try {
        JSON.parse(text);
      } catch (error) {
        throw new ConstructPropsError(`${label} must be JSON text or an object: ${(error as Error).message}`, { cause: error });
      }
    }
  } else if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    text = canonicalJson(body);
  } else {
    throw new ConstructPropsError(`${label} must be JSON text or an object, got ${JSON.stringify(body)}`);
  }
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new ConstructPropsError(`${label} is ${Buffer.byteLength(text)} bytes; at most ${MAX_BODY_BYTES} fit in the provisioner's environment`);
  }
  return text;
}

export class AsyncOperation extends Construct implements ITerraformDependable {
  /** The `terraform_data` or `null_resource` carrying the provisioners, or the `jobgate_operation`. */
  readonly resource: TerraformResource;
  /** The props after defaults and checks. */
  readonly props: NormalizedAsyncOperationProps;
  readonly #outcome: JobOutcome | undefined;

  constructor(scope: Construct, id: string, props: AsyncOperationProps) {
    super(scope, id);
    this.props = normalizeAsyncOperationProps(id, props);
    const p = this.props;
    if (p.runner === "provider") {
      const provider = jobgateProviderFor(this, p.apiUrl, p.forgeVersion);
      const resource = new JobgateOperation(this, RESOURCE_ID, {
        method: p.method,
        path: p.path,
        ...(p.body !== undefined ? { body: p.body } : {}),
        ...(p.idempotencyKey !== undefined ? { idempotencyKey: p.idempotencyKey } : {}),
        timeouts: { create: p.timeout },
        ...(provider !== undefined ? { provider } : {}),
        ...(p.dependsOn.length > 0 ? { dependsOn: [...p.dependsOn] } : {}),
      });
      this.resource = resource;
      this.#outcome = resource.outcome;
      return;
    }
    this.#outcome = undefined;
    const connection = connectionEnvironment(p);
    const provisioners: ProvisionerSpec[] = [
      {
        command: cliCommand(p.cli, ["call", "--wait", "--timeout", p.timeout]),
        environment: { ...connection, ...callEnvironment(p) },
        onFailure: p.onFailure,
        quiet: p.quiet,
      },
    ];
    // Destroy-time values, read back through `self` (the only reference Terraform allows there).
    const stored: Record<string, string> = {};
    if (p.destroy !== undefined) {
      const destroyEnv: Record<string, string> = {};
      const keep = (variable: string, key: string, value: string | undefined) => {
        if (value === undefined) return;
        stored[key] = value;
        destroyEnv[variable] = selfReference(p.runner, key);
      };
      for (const [variable, value] of Object.entries(connection)) keep(variable, `env_${variable}`, value);
      keep(ENV.callMethod, "destroy_method", p.destroy.method);
      keep(ENV.callPath, "destroy_path", p.destroy.path);
      keep(ENV.callBody, "destroy_body", p.destroy.body);
      keep(ENV.idempotencyKey, "destroy_idempotency_key", p.destroy.idempotencyKey);
      provisioners.push({
        command: cliCommand(p.cli, ["call", "--wait", "--timeout", p.destroy.timeout]),
        environment: destroyEnv,
        when: "destroy",
        onFailure: p.destroy.onFailure,
        quiet: p.quiet,
      });
    }
    this.resource = createRunnerResource(this, {
      runner: p.runner,
      triggers: operationTriggers(p, (body) => (isApplyTimeValue(body) ? Fn.sha256(body) : sha256Hex(body))),
      stored,
      dependsOn: p.dependsOn,
      provisioners,
    });
  }

  /** Lets other resources `dependsOn` this operation. */
  get fqn(): string {
    return this.resource.fqn;
  }

  /** The id of the job the operation started (`runner: "provider"` only). */
  get jobId(): string {
    return outcomeOrThrow(KIND, this.node.id, this.#outcome, '"jobId"').jobId;
  }
  /** The job's final status (`runner: "provider"` only). */
  get status(): string {
    return outcomeOrThrow(KIND, this.node.id, this.#outcome, '"status"').status;
  }
  /** The job's result as JSON text (`runner: "provider"` only). */
  get resultJson(): string {
    return outcomeOrThrow(KIND, this.node.id, this.#outcome, '"resultJson"').resultJson;
  }
  /** One member of the job's result, e.g. `result("release_id")` (`runner: "provider"` only). */
  result(key: string): string {
    return outcomeOrThrow(KIND, this.node.id, this.#outcome, `result(${JSON.stringify(key)})`).result(key);
  }
}

function callEnvironment(call: NormalizedCall): Record<string, string> {
  const env: Record<string, string> = { [ENV.callMethod]: call.method, [ENV.callPath]: call.path };
  if (call.body !== undefined) env[ENV.callBody] = call.body;
  if (call.idempotencyKey !== undefined) env[ENV.idempotencyKey] = call.idempotencyKey;
  return env;
}
