/**
 * terraform-provider-jobgate end to end with the real `terraform` on the PATH: installed
 * by `jobgate provider install --dir <tmp>` into a filesystem mirror (no registry, nothing
 * in ~/.terraform.d), against a real jobgate server on an ephemeral port.
 *
 * Skipped, loudly, where terraform is missing.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { App, LocalBackend } from "cdktf";
import type { Job } from "../client/index.js";
import { DeploySiteStack } from "../examples/deploy-site/stack.js";
import { assertBuilt, CLI } from "./helpers/cli.js";
import { TOKENS } from "./helpers/keys.js";
import { assertBundleBuilt, PROVIDER_BUNDLE } from "./helpers/provider.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import {
  flat,
  hasTerraform,
  initWorkspace,
  installProviderTo,
  makeRoot,
  processesMentioning,
  removeRoots,
  warnIfNoTerraform,
  workspace,
  writeCliConfig,
  type Workspace,
} from "./helpers/terraform.js";

warnIfNoTerraform("test/provider-e2e.test.ts");
const describeWithTerraform = hasTerraform ? describe : describe.skip;

const REPO = process.cwd();
const TEST_TIMEOUT_MS = 120_000;

let server: TestServer;
let mirror: string;
let cliConfig: string;

/** A workspace with `files` written into it, talking to `apiUrl` with the all-scopes token. */
function makeWorkspace(name: string, files: Record<string, string>, extraEnv: NodeJS.ProcessEnv = {}): Workspace {
  const dir = makeRoot(name);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return workspace(dir, cliConfig, { JOBGATE_API_URL: server.url, JOBGATE_TOKEN: TOKENS.all, ...extraEnv });
}

async function untilTerminal(jobId: string): Promise<Job> {
  let res = await server.request(`/v1/jobs/${jobId}`);
  for (;;) {
    const job = res.json.data as Job;
    if (job.status === "succeeded" || job.status === "failed") return job;
    const etag = res.headers.get("etag")!;
    do res = await server.request(`/v1/jobs/${jobId}`, { headers: { "if-none-match": etag, prefer: "wait=30" } });
    while (res.status === 304);
  }
}

async function jobsOfType(type: string): Promise<Job[]> {
  const res = await server.request("/v1/jobs?limit=100");
  return (res.json.data as Job[]).filter((job) => job.type === type);
}

async function heldLongPolls(): Promise<number> {
  const res = await server.request("/metrics", { token: null });
  return Number(/^jobgate_long_polls_held (\d+)/m.exec(res.text)?.[1] ?? 0);
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stateOf(ws: Workspace): Promise<any> {
  const run = await ws.terraform("show", "-json");
  if (run.code !== 0) throw new Error(`terraform show failed:\n${run.output}`);
  return JSON.parse(run.stdout);
}

function resourceIn(state: any, address: string): any {
  return state.values?.root_module?.resources?.find((r: { address: string }) => r.address === address);
}

const PROVIDER_BLOCK = `terraform {\n  required_providers {\n    jobgate = { source = "jobgate/jobgate" }\n  }\n}\nprovider "jobgate" {}\n`;

describeWithTerraform("terraform with terraform-provider-jobgate", () => {
  beforeAll(async () => {
    assertBuilt();
    assertBundleBuilt();
    server = await startTestServer({ operationDurationMs: 1000 });
    const root = makeRoot("mirror");
    mirror = installProviderTo(join(root, "plugins")).dir;
    cliConfig = writeCliConfig(root, mirror);
  });

  afterAll(async () => {
    await server?.close();
    removeRoots();
  });

  test(
    "install writes the same bytes for both registries; init needs no registry; the lock hash is the same from two installs",
    async () => {
      const version = (JSON.parse(readFileSync(resolve(REPO, "package.json"), "utf8")) as { version: string }).version;
      const bundle = readFileSync(PROVIDER_BUNDLE);
      for (const host of ["registry.terraform.io", "registry.opentofu.org"]) {
        const exe = readFileSync(join(mirror, host, "jobgate/jobgate", version, "linux_amd64", `terraform-provider-jobgate_v${version}`));
        expect(exe.equals(bundle)).toBe(true);
      }
      expect(bundle.subarray(0, 20).toString()).toBe("#!/usr/bin/env node\n");
      // A second install elsewhere, a second workspace: the same h1: hash in both lock files.
      const otherRoot = makeRoot("mirror2");
      const other = installProviderTo(join(otherRoot, "plugins"));
      expect(other.stdout).toContain("installed ");
      expect(installProviderTo(other.dir).stdout).toContain("up to date ");
      const a = makeWorkspace("lock-a", { "main.tf": PROVIDER_BLOCK });
      const b = workspace(makeRoot("lock-b"), writeCliConfig(otherRoot, other.dir), {});
      writeFileSync(join(b.dir, "main.tf"), PROVIDER_BLOCK);
      await initWorkspace(a);
      await initWorkspace(b);
      const lockA = readFileSync(join(a.dir, ".terraform.lock.hcl"), "utf8");
      const lockB = readFileSync(join(b.dir, ".terraform.lock.hcl"), "utf8");
      const hash = /"(h1:[A-Za-z0-9+/=]+)"/.exec(lockA)?.[1];
      expect(hash).toBeDefined();
      expect(lockB).toContain(hash!);
      expect(lockA).toContain(`version = "${version}"`);
      // A multi-platform lock file from the mirror, as docs/provider.md says: one hash, since the package is the same everywhere.
      const multi = spawnSync(process.execPath, [CLI, "provider", "install", "--dir", other.dir, "--platform", "linux_amd64", "--platform", "darwin_arm64"], {
        encoding: "utf8",
      });
      expect(multi.status).toBe(0);
      const lock = await b.terraform("providers", "lock", `-fs-mirror=${other.dir}`, "-platform=linux_amd64", "-platform=darwin_arm64");
      expect(lock.code).toBe(0);
      const lockMulti = readFileSync(join(b.dir, ".terraform.lock.hcl"), "utf8");
      expect([...lockMulti.matchAll(/"(h1:[^"]+)"/g)].map((m) => m[1])).toEqual([hash]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "the example applies: the deploy blocks until its job succeeds, release_id is an output and feeds a second resource; a re-plan shows no changes; the token is nowhere",
    async () => {
      const logFile = "provider.log";
      const ws = makeWorkspace("example", {}, { TF_LOG_PROVIDER: "TRACE", TF_LOG_PATH: "provider.log" });
      copyFileSync(resolve(REPO, "examples/provider/main.tf"), join(ws.dir, "main.tf"));
      await initWorkspace(ws);
      const JOB_MS = 2000;
      const apply = await ws.terraform("apply", "-auto-approve", "-input=false", `-var=deploy_duration_ms=${JOB_MS}`);
      expect(apply.output).toContain("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.");
      expect(apply.code).toBe(0);
      const [deploy] = await jobsOfType("deployment.deploy");
      const [build] = await jobsOfType("build.run");
      expect(deploy!.status).toBe("succeeded");
      const releaseId = (deploy!.result as { release_id: string }).release_id;
      expect(apply.output).toContain(`release_id = "${releaseId}"`);
      expect(apply.output).toContain(`build_id = "${(build!.result as { build_id: string }).build_id}"`);
      // Held for the job's run: at least most of its 2 s.
      expect(apply.output).toMatch(/jobgate_operation\.deploy: Creation complete after \d+s \[id=job_/);
      expect(apply.endedAt - apply.startedAt).toBeGreaterThanOrEqual(JOB_MS - 200);
      // The second resource ran after the deploy, with the release id in its body.
      expect(apply.output.indexOf("jobgate_operation.deploy: Creation complete")).toBeLessThan(
        apply.output.indexOf("jobgate_operation.smoke_build: Creating..."),
      );
      const state = await stateOf(ws);
      expect(JSON.parse(resourceIn(state, "jobgate_operation.smoke_build").values.body)).toEqual({ duration_ms: 1000, release_id: releaseId });
      const output = await ws.terraform("output", "-raw", "release_id");
      expect(output.stdout).toBe(releaseId);

      const plan = await ws.terraform("plan", "-detailed-exitcode", "-input=false", `-var=deploy_duration_ms=${JOB_MS}`, "-out=tfplan");
      expect(plan.output).toContain("No changes.");
      expect(plan.code).toBe(0);
      const planJson = await ws.terraform("show", "-json", "tfplan");
      expect(planJson.code).toBe(0);
      for (const text of [
        planJson.stdout,
        readFileSync(join(ws.dir, "terraform.tfstate"), "utf8"),
        readFileSync(join(ws.dir, logFile), "utf8"),
        apply.output,
      ]) {
        expect(text).not.toContain(TOKENS.all);
      }
      // The provider did log (to Terraform's log, through stderr), so the check above means something;
      // and Terraform read its lines as hclog's, at their own level (not re-logged whole at DEBUG).
      expect(readFileSync(join(ws.dir, logFile), "utf8")).toMatch(
        /\[INFO\]\s+provider\.terraform-provider-jobgate\S*: terraform-provider-jobgate \d+\.\d+\.\d+ serving/,
      );

      // A refresh against an API that no longer has the jobs changes nothing and calls nothing.
      const empty = await startTestServer();
      try {
        const refresh = await ws.terraform("apply", "-refresh-only", "-auto-approve", "-input=false", `-var=deploy_duration_ms=${JOB_MS}`);
        expect(refresh.code).toBe(0);
        const gone = workspace(ws.dir, cliConfig, { JOBGATE_API_URL: empty.url, JOBGATE_TOKEN: TOKENS.all });
        const before = await stateOf(gone);
        // (Terraform 1.11 exits 2 from any refresh-only -detailed-exitcode plan of a config with outputs; the text is what counts.)
        const again = await gone.terraform("apply", "-refresh-only", "-auto-approve", "-input=false", `-var=deploy_duration_ms=${JOB_MS}`);
        expect(again.output).toContain("No changes.");
        expect(again.code).toBe(0);
        expect((await stateOf(gone)).values).toEqual(before.values);
      } finally {
        await empty.close();
      }
      const destroy = await ws.terraform("destroy", "-auto-approve", "-input=false", `-var=deploy_duration_ms=${JOB_MS}`);
      expect(destroy.output).toContain("Destroy complete! Resources: 2 destroyed.");
      expect(await jobsOfType("deployment.deploy")).toHaveLength(1); // destroy called nothing
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a failed job fails the apply with error.code: error.message, and taints the resource",
    async () => {
      const job = await server.startOperation("/v1/sites/site_1/deploys", { duration_ms: 300, fail: true });
      const ws = makeWorkspace("failed", { "main.tf": `${PROVIDER_BLOCK}resource "jobgate_job_wait" "w" {\n  job_id = "${job.id}"\n}\n` });
      await initWorkspace(ws);
      const apply = await ws.terraform("apply", "-auto-approve", "-input=false");
      expect(apply.code).toBe(1);
      expect(flat(apply.output)).toContain(`Error: Job ${job.id} failed: deploy_failed: simulated failure of ${job.id}`);
      const w = resourceIn(await stateOf(ws), "jobgate_job_wait.w");
      expect(w.values.status).toBe("failed");
      expect(w.values.error_code).toBe("deploy_failed");
      expect(w.tainted).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a timeout fails the apply with the last state; a refresh after the API forgot the job keeps the state",
    async () => {
      const job = await server.startOperation("/v1/sites/site_1/deploys", { duration_ms: 120_000 });
      const ws = makeWorkspace("timeout", {
        "main.tf": `${PROVIDER_BLOCK}resource "jobgate_job_wait" "w" {\n  job_id = "${job.id}"\n  timeouts {\n    create = "2s"\n  }\n}\n`,
      });
      await initWorkspace(ws);
      const apply = await ws.terraform("apply", "-auto-approve", "-input=false");
      expect(apply.code).toBe(1);
      expect(flat(apply.output)).toContain(`Error: Timed out waiting for job ${job.id}`);
      expect(flat(apply.output)).toMatch(new RegExp(`timed out after 2s waiting for ${job.id}; last state: (queued|running) \\d+%`));
      const before = resourceIn(await stateOf(ws), "jobgate_job_wait.w");
      expect(["queued", "running"]).toContain(before.values.status);
      // The API no longer keeps it (another, empty server): the refresh reads 404 and keeps the state.
      const empty = await startTestServer();
      try {
        const gone = workspace(ws.dir, cliConfig, { JOBGATE_API_URL: empty.url, JOBGATE_TOKEN: TOKENS.all });
        const refresh = await gone.terraform("apply", "-refresh-only", "-auto-approve", "-input=false");
        expect(refresh.code).toBe(0);
        const after = resourceIn(await stateOf(gone), "jobgate_job_wait.w");
        expect(after.values).toEqual(before.values);
      } finally {
        await empty.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "terraform import jobgate_job_wait adopts a job; the plan after it is empty; bad ids and operations are refused",
    async () => {
      const job = await server.startOperation("/v1/sites/site_1/builds", { duration_ms: 200 });
      const done = await untilTerminal(job.id);
      const ws = makeWorkspace("import", {
        "main.tf": `${PROVIDER_BLOCK}variable "id" { type = string }\nresource "jobgate_job_wait" "x" {\n  job_id = var.id\n}\nresource "jobgate_operation" "op" {\n  path = "/v1/sites/site_1/builds"\n}\n`,
      });
      await initWorkspace(ws);
      const imported = await ws.terraform("import", "-input=false", `-var=id=${job.id}`, "jobgate_job_wait.x", job.id);
      expect(imported.output).toContain("Import successful!");
      expect(imported.code).toBe(0);
      const x = resourceIn(await stateOf(ws), "jobgate_job_wait.x");
      expect(x.values).toMatchObject({ job_id: job.id, status: "succeeded", progress: 1, result: JSON.stringify(done.result) });
      const plan = await ws.terraform("plan", "-detailed-exitcode", "-input=false", `-var=id=${job.id}`, "-target=jobgate_job_wait.x");
      expect(plan.output).toContain("No changes.");
      expect(plan.code).toBe(0);

      const missing = await ws.terraform("import", "-input=false", "-var=id=job_missing", "jobgate_job_wait.x", "job_01NOPE000000000000000000NO");
      expect(missing.code).toBe(1);
      const op = await ws.terraform("import", "-input=false", `-var=id=${job.id}`, "jobgate_operation.op", job.id);
      expect(op.code).toBe(1);
      expect(flat(op.output)).toContain("jobgate_operation cannot be imported");
      expect(flat(op.output)).toContain("terraform import jobgate_job_wait.NAME job_");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "SIGINT to terraform stops the wait within seconds, and no provider process outlives it",
    async () => {
      const job = await server.startOperation("/v1/sites/site_1/deploys", { duration_ms: 120_000 });
      const ws = makeWorkspace("sigint", { "main.tf": `${PROVIDER_BLOCK}resource "jobgate_job_wait" "w" {\n  job_id = "${job.id}"\n}\n` });
      await initWorkspace(ws);
      const running = ws.start("apply", "-auto-approve", "-input=false");
      let run, stoppedMs;
      try {
        await running.waitFor(/jobgate_job_wait\.w: Creating\.\.\./);
        // Interrupt once the provider's long-poll is held on the server (so it has seen the job).
        await until(async () => (await heldLongPolls()) > 0, "the provider's long-poll to be held");
        // The provider (run from the workspace's TF_DATA_DIR) is up and waiting now.
        expect(processesMentioning(join(ws.dir, ".terraform")).some((p) => p.cmdline.includes("terraform-provider-jobgate"))).toBe(true);
        const interruptedAt = performance.now();
        running.child.kill("SIGINT");
        run = await running.done;
        stoppedMs = performance.now() - interruptedAt;
      } finally {
        if (running.child.exitCode === null) running.child.kill("SIGKILL");
      }
      expect(run.code).not.toBe(0);
      expect(run.output).toContain("Interrupt received.");
      expect(flat(run.output)).toContain(`Error: Interrupted while waiting for job ${job.id}`);
      // "Within seconds": 10 s is 10x what it takes here.
      expect(stoppedMs).toBeLessThan(10_000);
      expect(processesMentioning(join(ws.dir, ".terraform"))).toEqual([]);
      expect(resourceIn(await stateOf(ws), "jobgate_job_wait.w").tainted).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'a CDKTF app with runner: "provider" synthesizes, applies, and its result("release_id") output is the deploy\'s',
    async () => {
      const root = makeRoot("cdktf");
      const app = new App({ outdir: join(root, "cdktf.out") });
      const stack = new DeploySiteStack(app, "deploy-site-provider", { runner: "provider" });
      new LocalBackend(stack, { path: "terraform.tfstate" });
      app.synth();
      const ws = workspace(join(root, "cdktf.out", "stacks", "deploy-site-provider"), cliConfig, { JOBGATE_API_URL: server.url, JOBGATE_TOKEN: TOKENS.all });
      const synthesized = readFileSync(join(ws.dir, "cdk.tf.json"), "utf8");
      expect(synthesized).not.toContain("local-exec");
      expect(synthesized).not.toContain(TOKENS.all);
      await initWorkspace(ws);
      const build = await server.startOperation("/v1/sites/site_1/builds", { duration_ms: 500 });
      const apply = await ws.terraform("apply", "-auto-approve", "-input=false", `-var=build_job_id=${build.id}`, "-var=deploy_duration_ms=800");
      expect(apply.output).toContain("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.");
      expect(apply.code).toBe(0);
      const outputs = JSON.parse((await ws.terraform("output", "-json")).stdout) as Record<string, { value: string }>;
      const deploys = await jobsOfType("deployment.deploy");
      const deploy = deploys.find((j) => (j.result as { release_id?: string } | null)?.release_id === outputs.release_id!.value);
      expect(deploy).toBeDefined();
      expect(outputs.release_id!.value).toMatch(/^rel_/);
      expect(outputs.build_id!.value).toBe(((await untilTerminal(build.id)).result as { build_id: string }).build_id);
      expect(outputs.waited_on_build!.value).toBe(build.id);
    },
    TEST_TIMEOUT_MS,
  );
});
