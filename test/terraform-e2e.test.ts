/**
 * End to end with Terraform itself: a real server (in process, ephemeral port), stacks
 * synthesized by the constructs into a temp dir, `terraform init` + `terraform apply`
 * running the built CLI from local-exec. Each workspace has its own TF_DATA_DIR and an
 * empty CLI config, so nothing is read from or written to the user's Terraform setup.
 *
 * Needs `terraform` (≥ 1.4) on PATH — skipped loudly without it — and the built CLI
 * (`npx tsc -p tsconfig.json`), because Terraform runs the CLI, not these sources.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { App, LocalBackend, TerraformStack, TerraformVariable } from "cdktf";
import type { Job } from "../api/index.js";
import { DeploySiteStack } from "../examples/deploy-site/stack.js";
import { AsyncOperation, JobWait } from "../provider-shim/constructs/index.js";
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { flat, hasTerraform, initWorkspace, startTerraform, warnIfNoTerraform, type TerraformRun } from "./helpers/terraform.js";

const REPO = process.cwd();
const CLI_JS = resolve(REPO, "dist/provider-shim/cli/main.js");
const CLI = [process.execPath, CLI_JS];
/** Bound on one test (several terraform commands). */
const TEST_TIMEOUT_MS = 150_000;

warnIfNoTerraform("test/terraform-e2e.test.ts");
const describeWithTerraform = hasTerraform ? describe : describe.skip;

interface Workspace {
  /** Where terraform runs (the synthesized stack's directory). */
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  terraform(...args: string[]): Promise<TerraformRun>;
}

let server: TestServer;
const workspaces: string[] = [];

function workspace(name: string, extraEnv: NodeJS.ProcessEnv = {}): { root: string; make(dir: string): Workspace } {
  const root = mkdtempSync(join(tmpdir(), `jobgate-tf-${name}-`));
  workspaces.push(root);
  const rc = join(root, "terraformrc");
  writeFileSync(rc, "");
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.JOBGATE_CLI;
  Object.assign(env, {
    TF_DATA_DIR: join(root, ".terraform-data"),
    TF_CLI_CONFIG_FILE: rc,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    JOBGATE_API_URL: server.url,
    // The token only ever comes from the environment Terraform runs in.
    JOBGATE_TOKEN: TOKENS.all,
    ...extraEnv,
  });
  return {
    root,
    make: (dir) => ({ dir, env, terraform: (...args) => startTerraform(dir, env, args).done }),
  };
}

/** Synthesizes a stack the way `cdktf synth` does, with state next to it; returns its workspace. */
function synthStack(name: string, build: (stack: TerraformStack) => void, extraEnv: NodeJS.ProcessEnv = {}): Workspace {
  const ws = workspace(name, extraEnv);
  const app = new App({ outdir: join(ws.root, "cdktf.out") });
  const stack = new TerraformStack(app, name);
  build(stack);
  new LocalBackend(stack, { path: "terraform.tfstate" });
  app.synth();
  return ws.make(join(ws.root, "cdktf.out", "stacks", name));
}

/** Follows a job by long-poll and resolves when it is terminal, with the time it got there. */
async function watchUntilTerminal(jobId: string): Promise<{ job: Job; at: number }> {
  let res = await server.request(`/v1/jobs/${jobId}`);
  for (;;) {
    const job = res.json.data as Job;
    if (job.status === "succeeded" || job.status === "failed") return { job, at: Date.now() };
    const etag = res.headers.get("etag")!;
    do res = await server.request(`/v1/jobs/${jobId}`, { headers: { "if-none-match": etag, prefer: "wait=30" } });
    while (res.status === 304);
  }
}

async function jobsOfType(type: string): Promise<Job[]> {
  const res = await server.request("/v1/jobs?limit=100");
  return (res.json.data as Job[]).filter((job) => job.type === type);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

describeWithTerraform("terraform apply with the jobgate constructs", () => {
  beforeAll(async () => {
    if (!existsSync(CLI_JS)) {
      throw new Error(`${CLI_JS} is missing: build first (npx tsc -p tsconfig.json); Terraform runs the built CLI`);
    }
    server = await startTestServer({ operationDurationMs: 3000 });
  });

  afterAll(async () => {
    await server?.close();
    for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
  });

  test(
    "JobWait blocks apply until the job succeeds; an unchanged re-apply does nothing",
    async () => {
      const ws = synthStack("wait", (stack) => {
        const jobId = new TerraformVariable(stack, "job_id", { type: "string" });
        new JobWait(stack, "deploy", { jobId: jobId.stringValue, cli: CLI, timeout: "2m" });
      });
      await initWorkspace(ws);

      const JOB_MS = 5000;
      const jobStartedAt = Date.now();
      const job = await server.startOperation("/v1/sites/site_1/deploys", { duration_ms: JOB_MS });
      const finished = watchUntilTerminal(job.id);
      const apply = await ws.terraform("apply", "-auto-approve", "-input=false", `-var=job_id=${job.id}`);
      const done = await finished;

      expect(apply.output).toContain("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
      expect(apply.code).toBe(0);
      expect(apply.output).toContain(`${job.id} succeeded`);
      expect(done.job.status).toBe("succeeded");
      // Apply held until the job was done (the CLI saw it succeed before Terraform went on),
      // and let go promptly after. 100 ms of slack for the two observers' clocks.
      expect(apply.output.indexOf(`${job.id} succeeded`)).toBeLessThan(apply.output.indexOf("terraform_data.deploy: Creation complete"));
      expect(apply.endedAt - jobStartedAt).toBeGreaterThanOrEqual(JOB_MS - 100);
      expect(apply.endedAt).toBeGreaterThanOrEqual(done.at - 100);
      expect(apply.endedAt - done.at).toBeLessThan(15_000);
      const applyMs = apply.endedAt - apply.startedAt;
      const jobMs = done.at - jobStartedAt;
      const provisioner = /terraform_data\.deploy: Creation complete after (\d+)s/.exec(apply.output)?.[1];
      console.log(
        `[terraform e2e] JobWait: job ran ${seconds(jobMs)} (set to ${seconds(JOB_MS)}); terraform apply took ` +
          `${seconds(applyMs)} (started ${seconds(apply.startedAt - jobStartedAt)} after the job; the provisioner ` +
          `held "${provisioner}s"); apply returned ${seconds(apply.endedAt - done.at)} after the job finished`,
      );

      const again = await ws.terraform("apply", "-auto-approve", "-input=false", `-var=job_id=${job.id}`);
      expect(again.code).toBe(0);
      expect(again.output).toContain("No changes.");
      expect(again.output).not.toContain("local-exec");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a failed job fails the apply with the job's error code and message",
    async () => {
      const ws = synthStack("fail", (stack) => {
        const jobId = new TerraformVariable(stack, "job_id", { type: "string" });
        new JobWait(stack, "deploy", { jobId: jobId.stringValue, cli: CLI, timeout: "2m" });
      });
      await initWorkspace(ws);
      const job = await server.startOperation("/v1/sites/site_1/deploys", { duration_ms: 1500, fail: true });

      const apply = await ws.terraform("apply", "-auto-approve", "-input=false", `-var=job_id=${job.id}`);

      expect(apply.code).toBe(1);
      const message = `deploy_failed: simulated failure of ${job.id}, as the request asked ("fail": true)`;
      expect(flat(apply.output)).toContain("Error: local-exec provisioner error");
      expect(flat(apply.output)).toMatch(/Error running command '[^']*jobs wait --timeout 2m': exit status 1\. Output:/);
      // In the provisioner's streamed output and again in Terraform's error summary.
      expect(flat(apply.output).split(message).length - 1).toBeGreaterThanOrEqual(2);
      expect(apply.output).not.toContain("Apply complete!");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a timeout fails the apply with the job's last state",
    async () => {
      const ws = synthStack("timeout", (stack) => {
        const jobId = new TerraformVariable(stack, "job_id", { type: "string" });
        new JobWait(stack, "deploy", { jobId: jobId.stringValue, cli: CLI, timeout: "2s" });
      });
      await initWorkspace(ws);
      const job = await server.startOperation("/v1/sites/site_1/deploys", { duration_ms: 60_000 });

      const apply = await ws.terraform("apply", "-auto-approve", "-input=false", `-var=job_id=${job.id}`);

      expect(apply.code).toBe(1);
      expect(flat(apply.output)).toContain("exit status 3");
      expect(flat(apply.output)).toMatch(new RegExp(`timed out after 2s waiting for ${job.id}; last state: (queued|running)`));
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "onFailure: continue and quiet reach Terraform (set by override)",
    async () => {
      const ws = synthStack("continue", (stack) => {
        const jobId = new TerraformVariable(stack, "job_id", { type: "string" });
        new JobWait(stack, "deploy", { jobId: jobId.stringValue, cli: CLI, onFailure: "continue", quiet: true });
      });
      await initWorkspace(ws);
      const job = await server.startOperation("/v1/sites/site_1/deploys", { duration_ms: 500, fail: true });

      const apply = await ws.terraform("apply", "-auto-approve", "-input=false", `-var=job_id=${job.id}`);

      expect(apply.output).toContain("Apply complete! Resources: 1 added");
      expect(apply.code).toBe(0);
      expect(apply.output).toContain("Suppressed by quiet=true");
      expect(apply.output).not.toContain("jobs wait --timeout");
      expect(flat(apply.output)).toContain(`deploy_failed: simulated failure of ${job.id}`);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "AsyncOperation deploys, waits, is not re-run unchanged, and runs its destroy operation",
    async () => {
      const ws = synthStack("operation", (stack) => {
        new AsyncOperation(stack, "deploy", {
          method: "POST",
          path: "/v1/sites/site_1/deploys",
          body: { duration_ms: 2000 },
          cli: CLI,
          destroy: { method: "POST", path: "/v1/sites/site_1/builds", body: { duration_ms: 500 } },
        });
      });
      await initWorkspace(ws);
      const deploysBefore = (await jobsOfType("deployment.deploy")).length;

      const apply = await ws.terraform("apply", "-auto-approve", "-input=false");
      expect(apply.output).toContain("Apply complete! Resources: 1 added");
      expect(apply.code).toBe(0);
      const deploys = await jobsOfType("deployment.deploy");
      expect(deploys).toHaveLength(deploysBefore + 1);
      expect(deploys[0]!.status).toBe("succeeded");
      expect(apply.output).toContain(`${deploys[0]!.id} succeeded`);

      const again = await ws.terraform("apply", "-auto-approve", "-input=false");
      expect(again.code).toBe(0);
      expect(again.output).toContain("No changes.");
      expect(await jobsOfType("deployment.deploy")).toHaveLength(deploysBefore + 1);

      const buildsBefore = (await jobsOfType("build.run")).length;
      const destroy = await ws.terraform("destroy", "-auto-approve", "-input=false");
      expect(destroy.output).toContain("Destroy complete! Resources: 1 destroyed.");
      expect(destroy.code).toBe(0);
      const builds = await jobsOfType("build.run");
      expect(builds).toHaveLength(buildsBefore + 1);
      expect(builds[0]!.status).toBe("succeeded");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "the CDKTF example applies, with the CLI taken from JOBGATE_CLI",
    async () => {
      const ws = workspace("example", { JOBGATE_CLI: CLI.join(" ") });
      const app = new App({ outdir: join(ws.root, "cdktf.out") });
      const stack = new DeploySiteStack(app, "deploy-site");
      new LocalBackend(stack, { path: "terraform.tfstate" });
      app.synth();
      const { apply, build } = await applyExample(ws.make(join(ws.root, "cdktf.out", "stacks", "deploy-site")));
      expect(apply.output).toContain(`waited_on_build = "${build.id}"`);
      // The deploy ran before the wait that depends on it.
      expect(apply.output.indexOf("terraform_data.deploy: Creation complete")).toBeLessThan(apply.output.indexOf("terraform_data.build: Creating..."));
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "the HCL example applies",
    async () => {
      const ws = workspace("hcl", { JOBGATE_CLI: CLI.join(" ") });
      copyFileSync(resolve(REPO, "examples/hcl/main.tf"), join(ws.root, "main.tf"));
      await applyExample(ws.make(ws.root));
    },
    TEST_TIMEOUT_MS,
  );

  /** Both examples: a build started elsewhere, then apply deploys and waits on it. */
  async function applyExample(dir: ReturnType<ReturnType<typeof workspace>["make"]>) {
    await initWorkspace(dir);
    const build = await server.startOperation("/v1/sites/site_1/builds", { duration_ms: 1000 });
    const apply = await dir.terraform("apply", "-auto-approve", "-input=false", `-var=build_job_id=${build.id}`, "-var=deploy_duration_ms=1500");
    expect(apply.output).toContain("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.");
    expect(apply.code).toBe(0);
    expect(apply.output).toContain(`${build.id} succeeded`);
    return { apply, build };
  }
});
