/**
 * The hand-written CDKTF bindings and `runner: "provider"` on JobWait / AsyncOperation:
 * what they synthesize, the tokens they hand out, and the props they refuse.
 */
import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { AsyncOperation, DataJobgateJob, JobgateProvider, JobWait } from "../provider-shim/constructs/index.js";
import { PROVIDER_VERSION } from "../provider-shim/provider/version.js";

function stackJson(fn: (stack: TerraformStack) => void): any {
  const stack = new TerraformStack(Testing.app(), "test");
  fn(stack);
  return JSON.parse(Testing.synth(stack, true));
}

describe('runner: "provider"', () => {
  test("JobWait is a jobgate_job_wait with its timeout; the stack gets the jobgate provider once", () => {
    const json = stackJson((stack) => {
      const id = new TerraformVariable(stack, "build_job_id", { type: "string" });
      const a = new JobWait(stack, "build", { jobId: id.stringValue, runner: "provider", timeout: "10m" });
      new JobWait(stack, "other", { jobId: "job_1", runner: "provider", dependsOn: [a] });
      new TerraformOutput(stack, "build_id", { value: a.result("build_id") });
      new TerraformOutput(stack, "status", { value: a.status });
    });
    expect(json.terraform.required_providers.jobgate).toEqual({ source: "jobgate/jobgate", version: PROVIDER_VERSION });
    expect(json.provider.jobgate).toEqual([{}]);
    expect(json.resource.jobgate_job_wait.build).toEqual({ job_id: "${var.build_job_id}", timeouts: { create: "10m" } });
    expect(json.resource.jobgate_job_wait.other.depends_on).toEqual(["jobgate_job_wait.build"]);
    expect(json.resource.terraform_data).toBeUndefined();
    expect(json.output.build_id.value).toBe("${jsondecode(jobgate_job_wait.build.result).build_id}");
    expect(json.output.status.value).toBe("${jobgate_job_wait.build.status}");
  });

  test("AsyncOperation is a jobgate_operation with method, path, body and key; result(key) reads its result", () => {
    const json = stackJson((stack) => {
      const deploy = new AsyncOperation(stack, "deploy", {
        method: "POST",
        path: "/v1/sites/site_1/deploys",
        body: { duration_ms: 500 },
        idempotencyKey: "deploy-1",
        runner: "provider",
      });
      new TerraformOutput(stack, "release_id", { value: deploy.result("release_id") });
      new TerraformOutput(stack, "job_id", { value: deploy.jobId });
      new TerraformOutput(stack, "result", { value: deploy.resultJson });
    });
    expect(json.resource.jobgate_operation.deploy).toEqual({
      method: "POST",
      path: "/v1/sites/site_1/deploys",
      body: '{"duration_ms":500}',
      idempotency_key: "deploy-1",
      timeouts: { create: "30m" },
    });
    expect(json.output.release_id.value).toBe("${jsondecode(jobgate_operation.deploy.result).release_id}");
    expect(json.output.job_id.value).toBe("${jobgate_operation.deploy.job_id}");
    expect(json.output.result.value).toBe("${jobgate_operation.deploy.result}");
  });

  test("apiUrl / forgeVersion get an aliased provider per pair; an app's own default provider is reused; no token anywhere", () => {
    const json = stackJson((stack) => {
      new JobgateProvider(stack, "mine", { apiUrl: "http://127.0.0.1:9" });
      new JobWait(stack, "a", { jobId: "job_1", runner: "provider", apiUrl: "https://jobs.example" });
      new JobWait(stack, "b", { jobId: "job_2", runner: "provider", apiUrl: "https://jobs.example" });
      new JobWait(stack, "c", { jobId: "job_3", runner: "provider" });
      new DataJobgateJob(stack, "last", { jobId: "job_3" });
    });
    expect(json.provider.jobgate).toHaveLength(2);
    const aliased = json.provider.jobgate.find((p: { alias?: string }) => p.alias !== undefined);
    expect(aliased.api_url).toBe("https://jobs.example");
    expect(json.resource.jobgate_job_wait.a.provider).toBe(`jobgate.${aliased.alias}`);
    expect(json.resource.jobgate_job_wait.b.provider).toBe(`jobgate.${aliased.alias}`);
    expect(json.resource.jobgate_job_wait.c.provider).toBeUndefined();
    expect(json.data.jobgate_job.last).toEqual({ job_id: "job_3" });
    expect(JSON.stringify(json)).not.toMatch(/token|mfk_/);
  });

  test("the default runner is still terraform_data, whose outcome is not a Terraform value", () => {
    const stack = new TerraformStack(Testing.app(), "t");
    const wait = new JobWait(stack, "w", { jobId: "job_1" });
    expect(wait.resource.terraformResourceType).toBe("terraform_data");
    expect(wait.jobId).toBe("job_1");
    expect(() => wait.status).toThrow('JobWait "w": "status" is only known with runner: "provider"');
    const op = new AsyncOperation(stack, "op", { method: "POST", path: "/v1/sites/site_1/deploys" });
    expect(() => op.result("release_id")).toThrow('AsyncOperation "op": result("release_id") is only known with runner: "provider"');
  });

  test("local-exec props are refused with the provider runner, naming the prop", () => {
    const stack = new TerraformStack(Testing.app(), "t");
    expect(() => new JobWait(stack, "w", { jobId: "job_1", runner: "provider", cli: ["jobgate"] })).toThrow(
      'JobWait "w": "cli" only applies to the local-exec runners ("terraform_data", "null_resource"), not to runner "provider"; remove it',
    );
    expect(() => new JobWait(stack, "q", { jobId: "job_1", runner: "provider", quiet: true })).toThrow('"quiet" only applies to the local-exec runners');
    expect(() => new AsyncOperation(stack, "op", { method: "POST", path: "/v1/x", runner: "provider", destroy: { method: "DELETE", path: "/v1/x" } })).toThrow(
      'AsyncOperation "op": "destroy" only applies to the local-exec runners',
    );
  });
});
