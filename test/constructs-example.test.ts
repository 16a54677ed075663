/** The example stack `cdktf.json` points at synthesizes what examples/README.md describes. */
import { Testing } from "cdktf";
import { DeploySiteStack } from "../examples/deploy-site/stack.js";

describe("examples/deploy-site", () => {
  const json = JSON.parse(Testing.synth(new DeploySiteStack(Testing.app(), "deploy-site"), true));
  const { deploy, build } = json.resource.terraform_data;

  test("deploys through AsyncOperation, with a body Terraform builds and hashes", () => {
    expect(deploy.provisioner[0]["local-exec"]).toEqual({
      command: "exec $${JOBGATE_CLI:-npx --no-install jobgate} call --wait --timeout 10m",
      environment: {
        JOBGATE_CALL_METHOD: "POST",
        JOBGATE_CALL_PATH: "/v1/sites/${var.site_id}/deploys",
        JOBGATE_CALL_BODY: '${jsonencode({"duration_ms" = var.deploy_duration_ms})}',
      },
    });
    expect(deploy.triggers_replace).toEqual({
      method: "POST",
      path: "/v1/sites/${var.site_id}/deploys",
      body_sha256: '${sha256(jsonencode({"duration_ms" = var.deploy_duration_ms}))}',
    });
  });

  test("then waits on the build job from the variable", () => {
    expect(build.depends_on).toEqual(["terraform_data.deploy"]);
    expect(build.provisioner[0]["local-exec"].environment).toEqual({ JOBGATE_JOB_ID: "${var.build_job_id}" });
    expect(build.triggers_replace).toEqual({ job_id: "${var.build_job_id}" });
    expect(json.variable.build_job_id.default).toBeUndefined();
    expect(json.output.waited_on_build.value).toBe("${terraform_data.build.triggers_replace.job_id}");
  });

  test("needs no provider download and holds no token", () => {
    expect(json.provider).toBeUndefined();
    expect(JSON.stringify(json)).not.toMatch(/mfk_|JOBGATE_TOKEN/);
  });
});
