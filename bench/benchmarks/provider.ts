/**
 * 7. The Terraform provider's cost (issue 12): (a) start-up — spawn of the installed
 * provider to its handshake line, with the environment Terraform sets; (b) `terraform
 * apply` of one `jobgate_job_wait` on a job that has already succeeded, against the same
 * apply of a `terraform_data` whose local-exec runs `jobgate jobs wait`, started two ways:
 * with node directly (`JOBGATE_CLI=node …/main.js`, the fastest launcher) and with the
 * constructs' default `npx --no-install jobgate` from a project that has jobgate installed.
 * Each workspace is initialized once; each round deletes the state and applies again,
 * alternating A B C on one `jobgate serve`. Target: the provider is not slower (ratio ≤ 1).
 *
 * Terraform starts a provider process several times per `apply` (schema, validate, plan,
 * apply); `terraform_data` is built into Terraform. So the provider pays Node's start-up
 * each time, where local-exec pays it once.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { numberFlag, type BenchContext } from "../lib/context.js";
import { createJob, patchJob } from "../lib/http.js";
import { CLI, ROOT, TOKEN } from "../lib/paths.js";
import { startJobgateCli } from "../lib/processes.js";
import { ratioOf, type BenchResult } from "../lib/report.js";
import { distribution, median } from "../lib/stats.js";
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from "../../provider-shim/provider/handshake.js";
import { createPluginCertificate } from "../../provider-shim/provider/tls/certificate.js";
import { executableName, REGISTRY_HOSTS, currentPlatform } from "../../provider-shim/provider/install.js";
import { PROVIDER_VERSION } from "../../provider-shim/provider/version.js";

const APPLY_TIMEOUT_MS = 120_000;

function startupMs(executable: string, cacheHome: string): Promise<number> {
  const cert = createPluginCertificate();
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(executable, [], {
      env: {
        PATH: process.env.PATH,
        XDG_CACHE_HOME: cacheHome,
        [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
        PLUGIN_PROTOCOL_VERSIONS: "5,6",
        PLUGIN_CLIENT_CERT: cert.certPem,
      },
      stdio: ["ignore", "pipe", "ignore"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) {
        const ms = performance.now() - started;
        child.kill("SIGTERM");
        resolve(ms);
      }
    });
    child.on("exit", (code) => (out.includes("\n") ? undefined : reject(new Error(`provider exited (${code}) before its handshake`))));
  });
}

function terraform(cwd: string, env: NodeJS.ProcessEnv, args: string[]): { ms: number; output: string } {
  const started = performance.now();
  const result = spawnSync("terraform", [...args, "-no-color"], { cwd, env, encoding: "utf8", timeout: APPLY_TIMEOUT_MS });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`terraform ${args.join(" ")} in ${cwd} failed (${result.status}):\n${result.stdout}${result.stderr}`);
  return { ms, output: result.stdout };
}

export async function runProviderBench(ctx: BenchContext): Promise<BenchResult> {
  if (spawnSync("terraform", ["version"], { stdio: "ignore" }).status !== 0) throw new Error("terraform is not on the PATH");
  const rounds = numberFlag(ctx, "rounds", 5, 3);
  const root = mkdtempSync(join(tmpdir(), "jobgate-bench-provider-"));
  const server = await startJobgateCli();
  try {
    const plugins = join(root, "plugins");
    const install = spawnSync(process.execPath, [CLI, "provider", "install", "--dir", plugins], { encoding: "utf8" });
    if (install.status !== 0) throw new Error(`jobgate provider install failed: ${install.stderr}`);
    const executable = join(plugins, REGISTRY_HOSTS[0], "jobgate/jobgate", PROVIDER_VERSION, currentPlatform(), executableName(PROVIDER_VERSION));
    // The provider's code cache (code-cache.ts) lives here: the first start has none, and writes it.
    const cacheHome = join(root, "cache");
    const coldStartup = await startupMs(executable, cacheHome);
    const startups: number[] = [];
    for (let i = 0; i < rounds * 2; i++) startups.push(await startupMs(executable, cacheHome));

    const jobId = await createJob(server.url);
    await patchJob(server.url, jobId, { status: "succeeded", result: { release_id: "rel_bench" } });
    const rc = join(root, "terraformrc");
    writeFileSync(
      rc,
      `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(plugins)}\n    include = ["registry.terraform.io/jobgate/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/jobgate/*"]\n  }\n}\n`,
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TF_CLI_CONFIG_FILE: rc,
      XDG_CACHE_HOME: cacheHome,
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      JOBGATE_API_URL: server.url,
      JOBGATE_TOKEN: TOKEN,
    };
    delete env.TF_LOG;
    const viaProvider = join(root, "provider");
    const viaLocalExec = join(root, "local-exec");
    const viaNpx = join(root, "local-exec-npx");
    for (const dir of [viaProvider, viaLocalExec, viaNpx]) mkdirSync(dir, { recursive: true });
    // A project with jobgate installed (a bin shim, as npm makes), for `npx --no-install jobgate`.
    const project = join(root, "project");
    mkdirSync(join(project, "node_modules", ".bin"), { recursive: true });
    writeFileSync(join(project, "package.json"), '{ "name": "stack", "private": true }\n');
    writeFileSync(join(project, "node_modules", ".bin", "jobgate"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(join(project, "node_modules", ".bin", "jobgate"), 0o755);
    writeFileSync(
      join(viaProvider, "main.tf"),
      `terraform {\n  required_providers {\n    jobgate = { source = "jobgate/jobgate" }\n  }\n}\nresource "jobgate_job_wait" "w" {\n  job_id = "${jobId}"\n}\n`,
    );
    writeFileSync(
      join(viaLocalExec, "main.tf"),
      `resource "terraform_data" "w" {\n  triggers_replace = { job_id = "${jobId}" }\n  provisioner "local-exec" {\n    command     = "exec ${process.execPath} ${CLI} jobs wait --timeout 2m"\n    environment = { JOBGATE_JOB_ID = "${jobId}" }\n  }\n}\n`,
    );
    writeFileSync(
      join(viaNpx, "main.tf"),
      `resource "terraform_data" "w" {\n  triggers_replace = { job_id = "${jobId}" }\n  provisioner "local-exec" {\n    command     = "exec $\${JOBGATE_CLI:-npx --no-install jobgate} jobs wait --timeout 2m"\n    working_dir = ${JSON.stringify(project)}\n    environment = { JOBGATE_JOB_ID = "${jobId}" }\n  }\n}\n`,
    );
    for (const dir of [viaProvider, viaLocalExec, viaNpx]) terraform(dir, { ...env, TF_DATA_DIR: join(dir, ".terraform") }, ["init", "-input=false"]);
    const applies: Record<"provider" | "localExec" | "npx", number[]> = { provider: [], localExec: [], npx: [] };
    for (let i = 0; i < rounds; i++) {
      for (const [kind, dir] of [
        ["provider", viaProvider],
        ["localExec", viaLocalExec],
        ["npx", viaNpx],
      ] as const) {
        rmSync(join(dir, "terraform.tfstate"), { force: true });
        const run = terraform(dir, { ...env, TF_DATA_DIR: join(dir, ".terraform") }, ["apply", "-auto-approve", "-input=false"]);
        if (!run.output.includes("Apply complete! Resources: 1 added")) throw new Error(`unexpected apply output:\n${run.output}`);
        applies[kind].push(run.ms);
      }
    }
    const startup = distribution(startups);
    const provider = median(applies.provider);
    const localExec = median(applies.localExec);
    const npx = median(applies.npx);
    return {
      name: "provider",
      title: `Terraform provider: start-up, and one apply on a finished job vs terraform_data + local-exec (${rounds} rounds, A B C)`,
      figures: [
        { name: "provider start-up (spawn → handshake line), first, no code cache yet", unit: "ms", value: coldStartup },
        { name: "provider start-up (spawn → handshake line), median", unit: "ms", value: startup.p50 },
        { name: "provider start-up, max", unit: "ms", value: startup.max },
        {
          name: "apply, jobgate_job_wait on a finished job (median)",
          unit: "ms",
          value: provider,
          baseline: localExec,
          baselineName: "terraform_data + local-exec jobgate jobs wait",
          ratio: ratioOf(provider, localExec),
          target: "≤ 1 (not slower)",
          met: provider <= localExec,
        },
        {
          name: "apply, jobgate_job_wait on a finished job (median)",
          unit: "ms",
          value: provider,
          baseline: npx,
          baselineName: "terraform_data + local-exec via the constructs' default npx --no-install jobgate",
          ratio: ratioOf(provider, npx),
          target: "≤ 1 (not slower)",
          met: provider <= npx,
        },
      ],
      notes: [
        `terraform ${/v(\S+)/.exec(spawnSync("terraform", ["version"], { encoding: "utf8" }).stdout)?.[1] ?? "?"}; the local-exec CLI started as \`node ${CLI.replace(ROOT, "")}\``,
      ],
      raw: { coldStartup, startups, applies },
    };
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
