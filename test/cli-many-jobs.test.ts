/**
 * Spec §9 "Several jobs" on a real server with the built CLI: `jobgate jobs wait ID…`
 * (and JOBGATE_JOB_IDS) waits on all at once, one long-poll each; the exit code is the
 * first job's, in the order given, that did not succeed, once every job is terminal;
 * `--any` ends at the first; `--json` prints the array; an outage affects all waits and
 * all recover under one backoff; a terminal shows one progress line per job and a summary
 * (rendered through a real pseudo-terminal, `script`). And `JobWait`'s `jobIds`.
 */
import { spawn, spawnSync } from "node:child_process";
import { TerraformStack, Testing } from "cdktf";
import type { Construct } from "constructs";
import { JobWait, type JobWaitProps } from "../provider-shim/constructs/index.js";
import { allOutput, assertBuilt, CLI, runCli, startCli, startRelay, until } from "./helpers/cli.js";
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let api: TestServer;
const env = (): Record<string, string> => ({ JOBGATE_API_URL: api.url, JOBGATE_TOKEN: TOKENS.all });
const UNKNOWN = "job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK";

beforeAll(async () => {
  assertBuilt();
  api = await startTestServer();
});
afterAll(async () => {
  await api.close();
  for (const text of allOutput) expect(text).not.toContain(TOKENS.all);
});

test("all succeed: exit 0; --json prints the jobs in the order given; one long-poll each", async () => {
  const jobs = [await api.publish(), await api.publish(), await api.publish()];
  const cli = startCli(["jobs", "wait", ...jobs.map((j) => j.id), "--json"], env());
  await until(() => api.server.metrics.heldLongPolls === 3, "one held long-poll per job");
  for (const job of [jobs[2]!, jobs[0]!, jobs[1]!]) await api.patch(job.id, { status: "succeeded" });
  const result = await cli.done;
  expect(result.code).toBe(0);
  expect((JSON.parse(result.stdout) as { id: string; status: string }[]).map((j) => [j.id, j.status])).toEqual(jobs.map((j) => [j.id, "succeeded"]));
  for (const job of jobs) expect(result.stderr).toContain(`jobgate: ${job.id} succeeded 100%`);
});

test("one fails: its code, only after every other job is terminal", async () => {
  const [ok, bad, slow] = [await api.publish(), await api.publish(), await api.publish()];
  const cli = startCli(["jobs", "wait", ok.id, bad.id, slow.id], env());
  await until(() => api.server.metrics.heldLongPolls === 3, "one held long-poll per job");
  await api.patch(ok.id, { status: "succeeded" });
  await api.patch(bad.id, { status: "failed", error: { code: "build_failed", message: "npm ci exited 1" } });
  await cli.waitForStderr(new RegExp(`${bad.id} failed`));
  await until(() => api.server.metrics.heldLongPolls === 1, "the slow job's long-poll alone");
  expect(cli.child.exitCode).toBeNull(); // still waiting on the slow one
  const finishedAt = performance.now();
  await api.patch(slow.id, { status: "succeeded" });
  const result = await cli.done;
  expect(result.code).toBe(1);
  expect(result.exitedAt).toBeGreaterThan(finishedAt);
  expect(result.stderr).toContain(`jobgate: job ${bad.id} failed: build_failed: npm ci exited 1`);
  expect(api.server.metrics.heldLongPolls).toBe(0); // nothing left running
});

test("the exit code is the first job's, in the order given, that did not succeed", async () => {
  const [failing, missingFirst] = [await api.publish(), await api.publish()];
  await api.patch(failing.id, { status: "failed", error: { code: "boom", message: "x" } });
  const result = await runCli(["jobs", "wait", UNKNOWN, failing.id], env());
  expect(result.code).toBe(5);
  expect(result.stderr).toContain(`GET /v1/jobs/${UNKNOWN}: 404 not_found`);
  expect(result.stderr).toContain(`job ${failing.id} failed: boom: x`);
  await api.patch(missingFirst.id, { status: "succeeded" });
  expect((await runCli(["jobs", "wait", failing.id, UNKNOWN], env())).code).toBe(1);
  expect((await runCli(["jobs", "wait", missingFirst.id, UNKNOWN], env())).code).toBe(5);
});

test("--any returns at the first terminal job, with its code, and prints where the others were", async () => {
  const [a, b] = [await api.publish(), await api.publish()];
  const cli = startCli(["jobs", "wait", a.id, b.id, "--any", "--json"], env());
  await until(() => api.server.metrics.heldLongPolls === 2, "both long-polls held");
  await api.patch(a.id, { status: "running", progress: 0.3 });
  await api.patch(b.id, { status: "failed", error: { code: "deploy_failed", message: "no capacity" } });
  const result = await cli.done;
  expect(result.code).toBe(1);
  expect((JSON.parse(result.stdout) as { status: string }[]).map((j) => j.status)).toEqual(["running", "failed"]);
  await until(() => api.server.metrics.heldLongPolls === 0, "the other long-poll to be released");
});

test("a timeout exits 3 with the last state of each unfinished job", async () => {
  const [a, b, done] = [await api.publish(), await api.publish(), await api.publish()];
  await api.patch(a.id, { status: "running", progress: 0.4 });
  await api.patch(done.id, { status: "succeeded" });
  const result = await runCli(["jobs", "wait", a.id, b.id, done.id, "--timeout", "1s"], env());
  expect(result.code).toBe(3);
  expect(result.stderr).toContain(`timed out after 1s waiting for ${a.id}; last state: running 40%`);
  expect(result.stderr).toContain(`timed out after 1s waiting for ${b.id}; last state: queued 0%`);
  expect(result.stderr).not.toContain(`waiting for ${done.id}`);
});

test("ids from JOBGATE_JOB_IDS, comma- or space-separated; a repeated id is a usage error", async () => {
  const [a, b] = [await api.publish(), await api.publish()];
  await api.patch(a.id, { status: "succeeded" });
  await api.patch(b.id, { status: "succeeded" });
  expect((await runCli(["jobs", "wait"], { ...env(), JOBGATE_JOB_IDS: `${a.id}, ${b.id}` })).code).toBe(0);
  expect((await runCli(["jobs", "wait"], { ...env(), JOBGATE_JOB_IDS: ` ${a.id} ${b.id} ` })).code).toBe(0);
  const twice = await runCli(["jobs", "wait", a.id, a.id], env());
  expect(twice.code).toBe(2);
  expect(twice.stderr).toContain(`the arguments: job ids: ${a.id} is given twice`);
  const watched = await runCli(["jobs", "watch", a.id, b.id, "--json"], env());
  expect(watched.code).toBe(0);
  expect(JSON.parse(watched.stdout)).toHaveLength(2);
});

test("an outage mid-wait affects every job's wait, and all recover under one backoff", async () => {
  const relay = await startRelay(api.server.port);
  try {
    const jobs = [await api.publish(), await api.publish(), await api.publish()];
    const cli = startCli(["jobs", "wait", ...jobs.map((j) => j.id), "--timeout", "2m"], { ...env(), JOBGATE_API_URL: relay.url });
    await until(() => api.server.metrics.heldLongPolls === 3, "three held long-polls");
    await relay.cut();
    await cli.waitForStderr(/retrying in/);
    for (const job of jobs) await api.patch(job.id, { status: "running", progress: 0.5 });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await relay.restore();
    for (const job of jobs) await cli.waitForStderr(new RegExp(`${job.id} running 50%`));
    for (const job of jobs) await api.patch(job.id, { status: "succeeded" });
    const result = await cli.done;
    expect(result.code).toBe(0);
    // One shared schedule: each backoff is said once, not once per job (2 s of outage: a few rounds at most).
    expect((result.stderr.match(/retrying in/g) ?? []).length).toBeLessThanOrEqual(5);
  } finally {
    await relay.close();
  }
}, 30_000);

const hasScript = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;
(hasScript ? test : test.skip)("on a terminal (a real pty, via script): one progress line per job and a summary, redrawn in place", async () => {
  const jobs = [await api.publish(), await api.publish(), await api.publish()];
  await api.patch(jobs[0]!.id, { status: "running", progress: 0.5 });
  await api.patch(jobs[1]!.id, { status: "succeeded" });
  const command = [process.execPath, CLI, "jobs", "wait", ...jobs.map((j) => j.id)].join(" ");
  const running = runScript(command, env());
  await until(() => api.server.metrics.heldLongPolls === 2, "the two unfinished jobs' long-polls");
  await new Promise((resolve) => setTimeout(resolve, 300)); // a redraw or two of the block
  await api.patch(jobs[0]!.id, { status: "succeeded" });
  await api.patch(jobs[2]!.id, { status: "succeeded" });
  const result = await running;
  expect(result.status).toBe(0);
  const screen = result.output;
  for (const job of jobs) expect(screen).toContain(job.id);
  expect(screen).toMatch(/ 50% running\s+job_/);
  expect(screen).toContain("3 jobs: 1 succeeded, 1 running, 1 queued");
  expect(screen).toContain("3 jobs: 3 succeeded");
  expect(screen).toContain("\x1b[3A"); // back up over the three job lines to redraw
  expect(screen).not.toMatch(/^jobgate: job_/m); // no plain lines on a terminal
});

/** `command` on a pseudo-terminal made by util-linux `script`: what a person at a terminal sees, escapes included. */
function runScript(command: string, extraEnv: Record<string, string>): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      env: { PATH: process.env.PATH, TERM: "xterm", COLUMNS: "120", ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      allOutput.push(output);
      resolve({ status, output });
    });
  });
}

describe("JobWait jobIds", () => {
  const synth = (props: JobWaitProps): any => JSON.parse(Testing.synthScope((scope: Construct) => new JobWait(scope, "builds", props)));

  test("passes the ids as JOBGATE_JOB_IDS, comma-separated, and re-runs when they change", () => {
    const json = synth({ jobIds: ["job_a", "job_b", "job_c"] });
    const resource = Object.values(json.resource.terraform_data as Record<string, any>)[0];
    expect(resource.provisioner[0]["local-exec"].environment).toMatchObject({ JOBGATE_JOB_IDS: "job_a,job_b,job_c" });
    expect(resource.provisioner[0]["local-exec"].environment.JOBGATE_JOB_ID).toBeUndefined();
    expect(resource.triggers_replace).toMatchObject({ job_ids: "job_a,job_b,job_c" });
  });

  test.each<[string, JobWaitProps, string]>([
    ["an empty list", { jobIds: [] }, `JobWait "builds": "jobIds" must be a non-empty array of job ids`],
    ["a repeated id", { jobIds: ["job_a", "job_a"] }, `JobWait "builds": "jobIds"[1]: "job_a" is given twice`],
    ["something that is not an id", { jobIds: ["job_a", "job_b; rm -rf /"] }, `JobWait "builds": "jobIds"[1] must be a job id`],
    ["both jobId and jobIds", { jobId: "job_a", jobIds: ["job_b"] }, `JobWait "builds": give "jobId" or "jobIds", not both`],
  ])("refuses %s", (_what, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe('JobWait jobIds with runner: "provider"', () => {
  test("one jobgate_job_wait per job, waited on in parallel; what others depend on comes after them all", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const builds = new JobWait(stack, "builds", { jobIds: ["job_a", "job_b", "job_c"], runner: "provider", timeout: "20m" });
    new JobWait(stack, "after", { jobId: "job_d", runner: "provider", dependsOn: [builds] });
    const json = JSON.parse(Testing.synth(stack, true));
    const waits = Object.entries(json.resource.jobgate_job_wait as Record<string, { job_id: string; depends_on?: string[]; timeouts: unknown }>);
    const ofBuilds = waits.filter(([, r]) => r.job_id !== "job_d");
    expect(ofBuilds.map(([, r]) => r.job_id)).toEqual(["job_a", "job_b", "job_c"]);
    for (const [, r] of ofBuilds) expect(r).toEqual({ job_id: expect.any(String), timeouts: { create: "20m" } });
    const [joinName, join] = Object.entries(json.resource.terraform_data as Record<string, { depends_on: string[] }>)[0]!;
    expect(join.depends_on.sort()).toEqual(ofBuilds.map(([name]) => `jobgate_job_wait.${name}`).sort());
    expect(waits.find(([, r]) => r.job_id === "job_d")![1].depends_on).toEqual([`terraform_data.${joinName}`]);
    expect(builds.jobWaits).toHaveLength(3);
  });
});
