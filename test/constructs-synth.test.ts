/**
 * What the constructs synthesize, for both runners: the resource, its provisioners and
 * their environment, the replacement triggers, the overrides cdktf has no types for —
 * and that no token ever reaches the JSON.
 */
import { provider as nullProvider } from "@cdktf/provider-null";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import type { Construct } from "constructs";
import { AsyncOperation, JobWait } from "../provider-shim/constructs/index.js";
import { sha256Hex } from "../provider-shim/constructs/triggers.js";

const DEFAULT_WAIT = "exec $${JOBGATE_CLI:-npx --no-install jobgate} jobs wait --timeout 30m";
const DEFAULT_CALL = "exec $${JOBGATE_CLI:-npx --no-install jobgate} call --wait --timeout 30m";

function synth(fn: (scope: Construct) => void): any {
  return JSON.parse(Testing.synthScope(fn));
}

function stackJson(fn: (stack: TerraformStack) => void): any {
  const stack = new TerraformStack(Testing.app(), "test");
  fn(stack);
  return JSON.parse(Testing.synth(stack, true));
}

function localExec(resource: any, index = 0): any {
  return resource.provisioner[index]["local-exec"];
}

describe("JobWait on terraform_data (the default runner)", () => {
  test("one terraform_data whose create-time provisioner runs `jobs wait` with the id in its environment", () => {
    const json = synth((scope) => new JobWait(scope, "wait-build", { jobId: "job_01J9SC0000000000000000000A" }));
    expect(Object.keys(json.resource)).toEqual(["terraform_data"]);
    const resource = json.resource.terraform_data["wait-build"];
    expect(resource.triggers_replace).toEqual({ job_id: "job_01J9SC0000000000000000000A" });
    expect(resource.input).toBeUndefined();
    expect(resource.provisioner).toHaveLength(1);
    expect(localExec(resource)).toEqual({
      command: DEFAULT_WAIT,
      environment: { JOBGATE_JOB_ID: "job_01J9SC0000000000000000000A" },
    });
    expect(json.provider).toBeUndefined();
  });

  test("a job id from elsewhere stays a reference, in the environment and the triggers, never in the command", () => {
    const json = synth((scope) => {
      const jobId = new TerraformVariable(scope, "build_job_id", { type: "string" });
      new JobWait(scope, "wait", { jobId: jobId.stringValue });
    });
    const resource = json.resource.terraform_data.wait;
    expect(localExec(resource).environment.JOBGATE_JOB_ID).toBe("${var.build_job_id}");
    expect(resource.triggers_replace).toEqual({ job_id: "${var.build_job_id}" });
    expect(localExec(resource).command).toBe(DEFAULT_WAIT);
  });

  test("apiUrl, forgeVersion, timeout, cli, environment reach the provisioner; quiet and on_failure by override", () => {
    const json = synth(
      (scope) =>
        new JobWait(scope, "wait", {
          jobId: "job_1",
          timeout: "90s",
          apiUrl: "https://jobs.example.com",
          forgeVersion: "2026-06-23",
          cli: ["node", "/opt/job gate/main.js"],
          environment: { NODE_OPTIONS: "--max-old-space-size=128" },
          quiet: true,
          onFailure: "continue",
        }),
    );
    const exec = localExec(json.resource.terraform_data.wait);
    expect(exec.command).toBe("exec node '/opt/job gate/main.js' jobs wait --timeout 1m30s");
    expect(exec.environment).toEqual({
      NODE_OPTIONS: "--max-old-space-size=128",
      JOBGATE_API_URL: "https://jobs.example.com",
      JOBGATE_FORGE_VERSION: "2026-06-23",
      JOBGATE_JOB_ID: "job_1",
    });
    expect(exec.quiet).toBe(true);
    expect(exec.on_failure).toBe("continue");
  });

  test("dependsOn accepts resources and other jobgate constructs", () => {
    const json = synth((scope) => {
      const deploy = new AsyncOperation(scope, "deploy", { method: "POST", path: "/v1/sites/site_1/deploys" });
      new JobWait(scope, "wait", { jobId: "job_1", dependsOn: [deploy] });
    });
    expect(json.resource.terraform_data.wait.depends_on).toEqual(["terraform_data.deploy"]);
  });

  test("the same inputs synthesize the same JSON, with no timestamp() anywhere", () => {
    const build = () => Testing.synthScope((scope) => new JobWait(scope, "wait", { jobId: "job_1" }));
    const first = build();
    expect(build()).toBe(first);
    expect(first).not.toMatch(/timestamp\(/);
  });
});

describe("JobWait on null_resource", () => {
  test("a null_resource with `triggers`, and the null provider added to the stack once", () => {
    const json = stackJson((stack) => {
      new JobWait(stack, "a", { jobId: "job_1", runner: "null_resource" });
      new JobWait(stack, "b", { jobId: "job_2", runner: "null_resource" });
    });
    expect(json.resource.terraform_data).toBeUndefined();
    expect(json.resource.null_resource.a.triggers).toEqual({ job_id: "job_1" });
    expect(localExec(json.resource.null_resource.a)).toEqual({ command: DEFAULT_WAIT, environment: { JOBGATE_JOB_ID: "job_1" } });
    expect(json.resource.null_resource.b.triggers).toEqual({ job_id: "job_2" });
    expect(json.provider.null).toHaveLength(1);
    expect(json.terraform.required_providers.null.source).toBe("null");
  });

  test("a NullProvider the stack already has is reused", () => {
    const json = stackJson((stack) => {
      new nullProvider.NullProvider(stack, "mine", { alias: "mine" });
      new JobWait(stack, "a", { jobId: "job_1", runner: "null_resource" });
    });
    expect(json.provider.null).toEqual([{ alias: "mine" }]);
  });

  test("a default NullProvider added after the construct fails synth with a message saying what to do", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    new JobWait(stack, "a", { jobId: "job_1", runner: "null_resource" });
    new nullProvider.NullProvider(stack, "late");
    expect(() => Testing.synth(stack, true)).toThrow(/2 default "null" providers.*create your NullProvider before the jobgate constructs/s);
  });
});

describe("AsyncOperation", () => {
  const body = { duration_ms: 2000, team_id: "team_1" };
  const bodyText = '{"duration_ms":2000,"team_id":"team_1"}';

  test("calls the operation from the environment and replaces on method, path, body hash and key", () => {
    const json = synth(
      (scope) =>
        new AsyncOperation(scope, "deploy", {
          method: "POST",
          path: "/v1/sites/site_1/deploys",
          body,
          idempotencyKey: "deploy-site-1-v1",
        }),
    );
    const resource = json.resource.terraform_data.deploy;
    expect(resource.triggers_replace).toEqual({
      method: "POST",
      path: "/v1/sites/site_1/deploys",
      body_sha256: sha256Hex(bodyText),
      idempotency_key: "deploy-site-1-v1",
    });
    expect(resource.provisioner).toHaveLength(1);
    expect(localExec(resource)).toEqual({
      command: DEFAULT_CALL,
      environment: {
        JOBGATE_CALL_METHOD: "POST",
        JOBGATE_CALL_PATH: "/v1/sites/site_1/deploys",
        JOBGATE_CALL_BODY: bodyText,
        JOBGATE_IDEMPOTENCY_KEY: "deploy-site-1-v1",
      },
    });
  });

  test("an object body is sent with sorted keys, so key order does not change the trigger", () => {
    const a = synth((s) => new AsyncOperation(s, "op", { method: "POST", path: "/x", body: { b: 1, a: { d: 2, c: 3 } } }));
    const b = synth((s) => new AsyncOperation(s, "op", { method: "POST", path: "/x", body: { a: { c: 3, d: 2 }, b: 1 } }));
    expect(a).toEqual(b);
    expect(localExec(a.resource.terraform_data.op).environment.JOBGATE_CALL_BODY).toBe('{"a":{"c":3,"d":2},"b":1}');
  });

  test("a body known only at apply time is hashed by Terraform's sha256()", () => {
    const json = synth((scope) => {
      const payload = new TerraformVariable(scope, "payload", { type: "string" });
      new AsyncOperation(scope, "op", { method: "POST", path: "/v1/sites/site_1/builds", body: payload.stringValue });
    });
    const resource = json.resource.terraform_data.op;
    expect(resource.triggers_replace.body_sha256).toBe("${sha256(var.payload)}");
    expect(localExec(resource).environment.JOBGATE_CALL_BODY).toBe("${var.payload}");
  });

  test("a destroy operation reads everything through self.input, the only reference Terraform allows there", () => {
    const json = synth(
      (scope) =>
        new AsyncOperation(scope, "env", {
          method: "POST",
          path: "/v1/sites/site_1/environments/env_1/deploys",
          apiUrl: "http://127.0.0.1:9000",
          destroy: { method: "POST", path: "/v1/sites/site_1/builds", body: '{"teardown":true}', timeout: "5m", onFailure: "continue" },
        }),
    );
    const resource = json.resource.terraform_data.env;
    expect(resource.input).toEqual({
      env_JOBGATE_API_URL: "http://127.0.0.1:9000",
      destroy_method: "POST",
      destroy_path: "/v1/sites/site_1/builds",
      destroy_body: '{"teardown":true}',
    });
    expect(resource.provisioner).toHaveLength(2);
    const destroy = localExec(resource, 1);
    expect(destroy).toEqual({
      command: "exec $${JOBGATE_CLI:-npx --no-install jobgate} call --wait --timeout 5m",
      when: "destroy",
      on_failure: "continue",
      environment: {
        JOBGATE_API_URL: "${self.input.env_JOBGATE_API_URL}",
        JOBGATE_CALL_METHOD: "${self.input.destroy_method}",
        JOBGATE_CALL_PATH: "${self.input.destroy_path}",
        JOBGATE_CALL_BODY: "${self.input.destroy_body}",
      },
    });
    for (const value of Object.values<string>(destroy.environment)) expect(value).toMatch(/^\$\{self\.input\.[a-zA-Z_]+\}$/);
    expect(localExec(resource, 0).on_failure).toBeUndefined();
  });

  test("on null_resource the destroy values live in triggers and are read through self.triggers", () => {
    const json = stackJson(
      (stack) =>
        new AsyncOperation(stack, "op", {
          method: "POST",
          path: "/v1/sites/site_1/deploys",
          runner: "null_resource",
          destroy: { method: "DELETE", path: "/v1/sites/site_1/deploys/latest" },
        }),
    );
    const resource = json.resource.null_resource.op;
    expect(resource.triggers).toEqual({
      method: "POST",
      path: "/v1/sites/site_1/deploys",
      destroy_method: "DELETE",
      destroy_path: "/v1/sites/site_1/deploys/latest",
    });
    expect(localExec(resource, 1).environment).toEqual({
      JOBGATE_CALL_METHOD: "${self.triggers.destroy_method}",
      JOBGATE_CALL_PATH: "${self.triggers.destroy_path}",
    });
    expect(json.provider.null).toHaveLength(1);
  });
});

describe("the token", () => {
  const SECRET = "mfk_secret_do_not_synthesize_0123456789";
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.JOBGATE_TOKEN;
    process.env.JOBGATE_TOKEN = SECRET;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.JOBGATE_TOKEN;
    else process.env.JOBGATE_TOKEN = saved;
  });

  test.each(["terraform_data", "null_resource"] as const)("never appears in the JSON (%s runner)", (runner) => {
    const json = Testing.synth(
      (() => {
        const stack = new TerraformStack(Testing.app(), "test");
        new JobWait(stack, "wait", { jobId: "job_1", runner, apiUrl: "http://127.0.0.1:8080" });
        new AsyncOperation(stack, "op", {
          method: "POST",
          path: "/v1/sites/site_1/deploys",
          runner,
          destroy: { method: "POST", path: "/v1/sites/site_1/builds" },
        });
        return stack;
      })(),
    );
    expect(json).not.toContain(SECRET);
    expect(json).not.toContain("JOBGATE_TOKEN");
    expect(json).not.toMatch(/Bearer|mfk_/);
  });
});
