/**
 * Spec §9 "Networks" through a real forward proxy: squid (Debian's), started by the suite
 * with its own config. The API is reachable by name only through squid — `API_HOST`
 * resolves in squid's hosts_file and nowhere else — so a request that works went through
 * it, and squid's access log counts them. Covers wait, watch, get, call and proxy mode's
 * upstream; NO_PROXY and loopback going direct; proxy credentials never printed; HTTPS
 * through the proxy with --ca-file / NODE_EXTRA_CA_CERTS against a test CA (nginx serving
 * the test certificate); and the installed Terraform provider, when terraform is on the PATH.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { allOutput, assertBuilt, closedPort, runCli, startCli } from "./helpers/cli.js";
import { TOKENS } from "./helpers/keys.js";
import { API_HOST, describeWith, makeTestCa, startNginx, startSquid, type Nginx, type Squid, type TestCa } from "./helpers/proxies.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { flat, hasTerraform, installProviderTo, makeRoot, removeRoots, workspace, writeCliConfig } from "./helpers/terraform.js";

const describeProxies = describeWith(["squid", "nginx", "openssl"], "test/network-forward-proxy.test.ts");

let api: TestServer;
let squid: Squid;
let tlsNginx: Nginx;
let ca: TestCa;
let port: number;
/** The API by a name only squid resolves. */
let viaName: string;

const PASSWORD = "S3cret-Pa55word";

describeProxies("through squid, a forward proxy", () => {
  beforeAll(async () => {
    assertBuilt();
    api = await startTestServer({ operationDurationMs: 300 });
    port = Number(new URL(api.url).port);
    viaName = `http://${API_HOST}:${port}`;
    [squid, ca] = await Promise.all([startSquid(), Promise.resolve(makeTestCa())]);
    tlsNginx = await startNginx([{ upstreamPort: port, tls: { cert: ca.cert, key: ca.key } }]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([api?.close(), squid?.close(), tlsNginx?.close()]);
    ca?.remove();
    removeRoots();
    // Neither the token nor the proxy password ever reached any output.
    expect(allOutput.join("\n")).not.toContain(TOKENS.all);
    expect(allOutput.join("\n")).not.toContain(PASSWORD);
    expect(allOutput.join("\n")).not.toContain(Buffer.from(`jobgate:${PASSWORD}`).toString("base64"));
  });

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    JOBGATE_API_URL: viaName,
    JOBGATE_TOKEN: TOKENS.all,
    HTTP_PROXY: squid.url,
    ...extra,
  });

  test("jobs wait, get and watch reach the API only through the proxy", async () => {
    const job = await api.publish();
    const before = squid.requestsFor(API_HOST);
    const wait = startCli(["jobs", "wait", job.id], env());
    await wait.waitForStderr(/queued 0%/);
    const get = await runCli(["jobs", "get", job.id, "--json"], env());
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ id: job.id, status: "queued" });
    const watch = startCli(["jobs", "watch", job.id], env());
    await watch.waitForStderr(/queued 0%/);
    await api.patch(job.id, { status: "running", progress: 0.5 });
    await Promise.all([wait.waitForStderr(/running 50%/), watch.waitForStderr(/running 50%/)]);
    await api.patch(job.id, { status: "succeeded" });
    const [waited, watched] = await Promise.all([wait.done, watch.done]);
    expect(waited.code).toBe(0);
    expect(watched.code).toBe(0);
    expect(watched.stderr).not.toContain("falling back");
    // Tunnels are logged as they close: wait, get and watch (stream and long-poll) each had ≥ 1.
    await squid.untilLogged(API_HOST, before + 3);
  });

  test("call --wait goes through the proxy; the lowercase variable wins over the uppercase", async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const before = squid.requestsFor(API_HOST);
    const result = await runCli(
      ["call", "POST", "/v1/sites/site_1/deploys", "--data", '{"duration_ms": 200}', "--wait"],
      env({ http_proxy: squid.url, HTTP_PROXY: dead }),
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/succeeded 100%/);
    await squid.untilLogged(API_HOST, before + 1);
  });

  test("without the proxy the name does not resolve: exit 6 after --connect-timeout, naming the URL and that no proxy is set", async () => {
    const job = await api.publish();
    const result = await runCli(["jobs", "wait", job.id, "--connect-timeout", "1s"], { JOBGATE_API_URL: viaName, JOBGATE_TOKEN: TOKENS.all });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain(`${viaName} never answered within the 1s connect timeout`);
    expect(result.stderr).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expect(result.stderr).toContain("no proxy is in use");
    expect(result.ms).toBeLessThan(10_000);
  });

  test("NO_PROXY: a matching host, .suffix, * or host:port goes direct (squid sees nothing); other entries do not", async () => {
    const job = await api.publish();
    for (const noProxy of [API_HOST, ".jobgate.test", "*", `${API_HOST}:${port}`, `other.test, *.jobgate.test`]) {
      const before = squid.requestsFor(API_HOST);
      const result = await runCli(["jobs", "get", job.id, "--connect-timeout", "500ms"], env({ NO_PROXY: noProxy }));
      expect({ noProxy, code: result.code }).toEqual({ noProxy, code: 6 });
      expect(result.stderr).toMatch(/ENOTFOUND|EAI_AGAIN/);
      expect(squid.requestsFor(API_HOST)).toBe(before);
    }
    for (const noProxy of ["other.test", `${API_HOST}:${port + 1}`, "jobgate.test.example"]) {
      const result = await runCli(["jobs", "get", job.id], env({ no_proxy: noProxy, NO_PROXY: API_HOST }));
      expect({ noProxy, code: result.code }).toEqual({ noProxy, code: 0 });
    }
  });

  test("loopback always goes direct, whatever the proxy variables say", async () => {
    const job = await api.publish();
    const dead = `http://127.0.0.1:${await closedPort()}`;
    for (const url of [api.url, `http://localhost:${port}`]) {
      const result = await runCli(["jobs", "get", job.id], {
        JOBGATE_API_URL: url,
        JOBGATE_TOKEN: TOKENS.all,
        HTTP_PROXY: dead,
        HTTPS_PROXY: dead,
        NO_PROXY: "",
      });
      expect({ url, code: result.code, stderr: result.stderr }).toEqual({ url, code: 0, stderr: "" });
    }
    expect(squid.requestsFor("127.0.0.1")).toBe(0);
  });

  test("proxy credentials are never printed: an unreachable proxy, a refused password, a good one", async () => {
    const job = await api.publish();
    const deadPort = await closedPort();
    const unreachable = await runCli(
      ["jobs", "wait", job.id, "--connect-timeout", "1s"],
      env({ HTTP_PROXY: `http://jobgate:${PASSWORD}@127.0.0.1:${deadPort}` }),
    );
    expect(unreachable.code).toBe(6);
    expect(unreachable.stderr).toContain(`(through proxy http://***@127.0.0.1:${deadPort})`);
    expect(unreachable.stderr).toContain("ECONNREFUSED");

    const guarded = await startSquid({ auth: { user: "jobgate", password: PASSWORD } });
    try {
      const refused = await runCli(["jobs", "get", job.id], env({ HTTP_PROXY: `http://jobgate:wrong-${PASSWORD}@127.0.0.1:${guarded.port}` }));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("asks for credentials (407");
      const none = await runCli(["jobs", "get", job.id], env({ HTTP_PROXY: guarded.url }));
      expect(none.code).toBe(2);
      const good = await runCli(["jobs", "get", job.id, "--json"], env({ HTTP_PROXY: `http://jobgate:${PASSWORD}@127.0.0.1:${guarded.port}` }));
      expect(good.code).toBe(0);
      await guarded.untilLogged(API_HOST, 1);
      // Written without a scheme, as Go (Terraform) and curl take it: the same proxy, the same credentials.
      const bare = await runCli(["jobs", "get", job.id, "--json"], env({ HTTP_PROXY: `jobgate:${PASSWORD}@127.0.0.1:${guarded.port}` }));
      expect(bare.stderr).toBe("");
      expect(bare.code).toBe(0);
      await guarded.untilLogged(API_HOST, 2);
    } finally {
      await guarded.close();
    }
    const help = await runCli(["jobs", "wait", "--help"], env({ HTTP_PROXY: `http://jobgate:${PASSWORD}@127.0.0.1:${deadPort}` }));
    expect(help.code).toBe(0);
  }, 30_000);

  test("HTTPS through the proxy: an untrusted certificate exits 2 at once; --ca-file, JOBGATE_CA_FILE or NODE_EXTRA_CA_CERTS trust it", async () => {
    const job = await api.publish();
    const httpsUrl = `https://${API_HOST}:${tlsNginx.ports[0]}`;
    const tlsEnv = env({ JOBGATE_API_URL: httpsUrl, HTTPS_PROXY: squid.url });
    const untrusted = await runCli(["jobs", "wait", job.id], tlsEnv);
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toContain(`does not verify (UNABLE_TO_VERIFY_LEAF_SIGNATURE`);
    expect(untrusted.stderr).toContain(`through proxy ${squid.url}`);
    expect(untrusted.stderr).toContain("--ca-file");
    expect(untrusted.stderr).not.toMatch(/retrying in/);
    expect(untrusted.ms).toBeLessThan(10_000);

    const before = squid.requestsFor(API_HOST);
    expect((await runCli(["jobs", "get", job.id, "--ca-file", ca.caFile], tlsEnv)).code).toBe(0);
    expect((await runCli(["jobs", "get", job.id], { ...tlsEnv, JOBGATE_CA_FILE: ca.caFile })).code).toBe(0);
    expect((await runCli(["jobs", "get", job.id], { ...tlsEnv, NODE_EXTRA_CA_CERTS: ca.caFile })).code).toBe(0);
    await squid.untilLogged(API_HOST, before + 3);

    const notPem = await runCli(["jobs", "get", job.id, "--ca-file", ca.key], tlsEnv);
    expect(notPem.code).toBe(2);
    expect(notPem.stderr).toContain(`--ca-file ${ca.key}: no PEM certificate in it`);
  });

  test("proxy mode reaches its upstream through the proxy", async () => {
    const job = await api.publish();
    const before = squid.requestsFor(API_HOST);
    const serve = startCli(["serve", "--upstream", viaName, "--port", "0"], { HTTP_PROXY: squid.url });
    try {
      await serve.waitForStderr(/listening on http:\/\/127\.0\.0\.1:\d+/);
      const local = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(serve.stderr())![1]!;
      const wait = startCli(["jobs", "wait", job.id], { JOBGATE_API_URL: local, JOBGATE_TOKEN: TOKENS.all });
      await wait.waitForStderr(/queued 0%/);
      await api.patch(job.id, { status: "succeeded" });
      const result = await wait.done;
      expect(result.code).toBe(0);
      serve.child.kill("SIGTERM");
      await serve.done;
      await squid.untilLogged(API_HOST, before + 2); // the access check and the watch
    } finally {
      serve.child.kill("SIGKILL");
    }
  });
  // The provider runs as Terraform's child, from the installed bundle: the same transport, the same proxy variables.
  (hasTerraform ? test : test.skip)(
    "the installed Terraform provider reaches the API only through the proxy, and trusts a ca_file",
    async () => {
      const job = await api.publish();
      await api.patch(job.id, { status: "succeeded", result: { release_id: "rel_via_proxy" } });
      const root = makeRoot("proxy");
      const { dir: mirror } = installProviderTo(join(root, "plugins"));
      writeFileSync(
        join(root, "main.tf"),
        `terraform {\n  required_providers {\n    jobgate = { source = "jobgate/jobgate" }\n  }\n}\n` +
          `provider "jobgate" {\n  ca_file = ${JSON.stringify(ca.caFile)}\n}\n` +
          `data "jobgate_job" "j" {\n  job_id = "${job.id}"\n}\n` +
          `output "release" {\n  value = jsondecode(data.jobgate_job.j.result).release_id\n}\n`,
      );
      const ws = workspace(root, writeCliConfig(root, mirror), { JOBGATE_API_URL: viaName, JOBGATE_TOKEN: TOKENS.all, HTTP_PROXY: squid.url });
      const before = squid.requestsFor(API_HOST);
      const init = await ws.terraform("init", "-input=false");
      expect(init.code).toBe(0);
      const apply = await ws.terraform("apply", "-auto-approve", "-input=false");
      expect(apply.code).toBe(0);
      expect(flat(apply.output)).toContain('release = "rel_via_proxy"');
      await squid.untilLogged(API_HOST, before + 1);
    },
    120_000,
  );
});
