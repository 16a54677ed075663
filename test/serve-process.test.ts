/**
 * `jobgate serve` as a process (the built CLI): start-up errors, the banner, structured
 * logs with request ids and never a token, and SIGTERM shutdown.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TOKENS } from "./helpers/keys.js";
import { writeTestKeysFile } from "./helpers/server.js";

const CLI = "dist/provider-shim/cli/main.js";

function serve(args: string[]): { child: ChildProcess; url: Promise<string>; stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk) => (out += chunk));
  const url = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (chunk) => {
      err += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(err);
      if (match) resolve(match[1]!);
    });
    child.once("exit", () => reject(new Error(`serve exited early: ${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, url, stdout: () => out, stderr: () => err, exited };
}

test("a malformed keys file stops the server at start with exit 2 and a message naming entry and field", () => {
  const path = join(mkdtempSync(join(tmpdir(), "jobgate-serve-")), "keys.json");
  writeFileSync(
    path,
    JSON.stringify({
      keys: [
        { token: "mfk_test_valid_1", account: "acct_1", scopes: ["jobs:read"] },
        { token: "mfk_test_valid_2", account: "acct_1", scopes: "jobs:read" },
      ],
    }),
  );
  const result = spawnSync(process.execPath, [CLI, "serve", "--keys", path, "--port", "0"], { encoding: "utf8" });
  expect(result.status).toBe(2);
  expect(result.stderr).toContain(`jobgate serve: --keys ${path}: entry 2: "scopes" must be an array of strings`);
});

test("missing keys and bad flags are usage errors that say what was expected", () => {
  const noKeys = spawnSync(process.execPath, [CLI, "serve"], { encoding: "utf8", env: { ...process.env, JOBGATE_KEYS_FILE: "" } });
  expect(noKeys.status).toBe(2);
  expect(noKeys.stderr).toContain("--keys is required (or JOBGATE_KEYS_FILE)");
  const badWait = spawnSync(process.execPath, [CLI, "serve", "--keys", "examples/keys.json", "--max-wait", "60"], { encoding: "utf8" });
  expect(badWait.status).toBe(2);
  expect(badWait.stderr).toContain('--max-wait: "60" is not a duration; expected a number with a unit, such as 90s, 30m or 1h30m');
});

test("serves with the development keys, logs a JSON line per request at debug with its id and never a token, and shuts down on SIGTERM", async () => {
  const server = serve(["--keys", writeTestKeysFile(), "--log-level", "debug"]);
  const url = await server.url;
  expect(server.stderr()).toContain("Try it");
  const publish = await fetch(`${url}/internal/v1/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKENS.all}`, "content-type": "application/json" },
    body: JSON.stringify({ type: "deployment.deploy", team_id: "team_1", resource: { type: "deployment", site_id: "site_1" } }),
  });
  const job = ((await publish.json()) as { data: { id: string } }).data;
  const held = fetch(`${url}/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${TOKENS.all}`, "if-none-match": '"w/job-1"', prefer: "wait=30" } });
  await fetch(`${url}/v1/jobs`, { headers: { authorization: "Bearer mfk_wrong_token_value" } });
  // Let the hold register before the signal.
  for (let i = 0; i < 100 && !(await (await fetch(`${url}/metrics`)).text()).includes("jobgate_long_polls_held 1"); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  server.child.kill("SIGTERM");
  const res = await held;
  expect(res.status).toBe(200);
  expect(await server.exited).toBe(0);

  const lines = server
    .stdout()
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  const requests = lines.filter((line) => line.msg === "request");
  expect(requests.length).toBeGreaterThanOrEqual(2);
  for (const line of requests) expect(line.request_id).toMatch(/^req_/);
  expect(requests.some((line) => line.status === 401 && line.route === "GET /v1/jobs")).toBe(true);
  expect(requests.some((line) => line.status === 200 && line.route === "GET /v1/jobs/:jobID")).toBe(true);
  for (const token of [...Object.values(TOKENS), "mfk_wrong_token_value"]) {
    expect(server.stdout()).not.toContain(token);
    expect(server.stderr()).not.toContain(token);
  }
});

test("at the default log level a request writes no log line (most requests are 304s and held polls)", async () => {
  const server = serve(["--keys", writeTestKeysFile()]);
  const url = await server.url;
  expect((await fetch(`${url}/v1/jobs`, { headers: { authorization: `Bearer ${TOKENS.all}` } })).status).toBe(200);
  expect((await fetch(`${url}/v1/jobs`, { headers: { authorization: "Bearer mfk_wrong_token_value" } })).status).toBe(401);
  server.child.kill("SIGTERM");
  expect(await server.exited).toBe(0);
  const lines = server
    .stdout()
    .trim()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line));
  expect(lines.filter((line) => line.msg === "request")).toEqual([]);
});
