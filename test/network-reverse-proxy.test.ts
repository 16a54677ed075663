/**
 * Spec §9 "Networks" and §7 through a real reverse proxy: nginx (Debian's), started by
 * the suite with its own config —
 * - a 10 s `proxy_read_timeout` (every 25 s hold is cut with a 504): a change after 25 s
 *   of quiet is still seen within a second, with no backoff;
 * - 1 KiB buffers ignoring `X-Accel-Buffering`, gzipping the stream (an early batch of
 *   events passes, later ones wait for the next batch): `watch` shows each spaced change
 *   within 2 s;
 * - the same with nginx's default deflate settings (a stream held entirely): proxy mode
 *   remembers the upstream's SSE is buffered, so its next watch long-polls at once, and
 *   says so once at info;
 * - the API under another base path, TLS with a test CA, and URLs that cannot work.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { assertBuilt, closedPort, runCli, startCli, until } from "./helpers/cli.js";
import { TOKENS } from "./helpers/keys.js";
import { describeWith, makeTestCa, startNginx, type Nginx, type TestCa } from "./helpers/proxies.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { startServer, type JobgateServer } from "../proxy/server.js";

const describeNginx = describeWith(["nginx", "openssl"], "test/network-reverse-proxy.test.ts");

let api: TestServer;
let nginx: Nginx;
let ca: TestCa;
let timeoutUrl: string;
let bufferingUrl: string;
let holdingUrl: string;
let basePathUrl: string;
let tlsUrl: string;
let selfSignedUrl: string;

const env = (url: string, extra: Record<string, string> = {}): Record<string, string> => ({ JOBGATE_API_URL: url, JOBGATE_TOKEN: TOKENS.all, ...extra });

describeNginx("through nginx, a reverse proxy", () => {
  beforeAll(async () => {
    assertBuilt();
    api = await startTestServer();
    ca = makeTestCa();
    const upstreamPort = Number(new URL(api.url).port);
    nginx = await startNginx([
      { upstreamPort, readTimeout: "10s" },
      { upstreamPort, buffering: "batches" },
      { upstreamPort, buffering: "all" },
      { upstreamPort, basePath: "/forge" },
      { upstreamPort, tls: { cert: ca.cert, key: ca.key } },
      { upstreamPort, tls: ca.selfSigned },
    ]);
    [timeoutUrl, bufferingUrl, holdingUrl, basePathUrl, tlsUrl, selfSignedUrl] = nginx.urls as [string, string, string, string, string, string];
    basePathUrl += "/forge";
    tlsUrl = tlsUrl.replace("127.0.0.1", "localhost");
  }, 30_000);

  afterAll(async () => {
    await Promise.all([api?.close(), nginx?.close()]);
    ca?.remove();
  });

  test("a 10 s proxy_read_timeout: the cut hold is asked again at once, shorter; a change after 25 s of quiet shows within 1 s, no backoff", async () => {
    const job = await api.publish();
    const cli = startCli(["jobs", "wait", job.id], env(timeoutUrl));
    await cli.waitForStderr(/queued 0%/);
    await cli.waitForStderr(/a held request was cut after 10/);
    await new Promise((resolve) => setTimeout(resolve, 25_000 - 10_000));
    const changedAt = performance.now();
    await api.patch(job.id, { status: "succeeded" });
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(result.exitedAt - changedAt).toBeLessThan(1_000);
    expect(result.stderr.match(/a held request was cut/g)).toHaveLength(1);
    expect(result.stderr).toContain("asking for 9s holds from now on");
    expect(result.stderr).not.toMatch(/retrying in/);
    // One 504 (the first 25 s hold), then 9 s holds that nginx lets through.
    const statuses = nginx
      .accessLog()
      .filter((line) => line.includes(job.id))
      .map((line) => line.split(" ")[8]);
    expect(statuses.filter((s) => s === "504")).toHaveLength(1);
    expect(statuses.length).toBeLessThanOrEqual(6); // first GET, the cut hold, ≤ 3 holds of 9 s, the change
  }, 45_000);

  test("nginx passing the stream in batches after an early one: watch shows each spaced change within 2 s", async () => {
    const job = await api.publish();
    const cli = startCli(["jobs", "watch", job.id], env(bufferingUrl));
    await cli.waitForStderr(/queued 0%/);
    // A burst, so that an early batch comes through the stream: it looks like SSE works.
    for (let i = 1; i <= 8; i++) await api.patch(job.id, { status: "running", progress: i / 100 });
    await cli.waitForStderr(/running 8%/);
    const lags: number[] = [];
    for (const [i, progress] of [0.2, 0.4, 0.6, 0.8].entries()) {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const at = performance.now();
      await api.patch(job.id, { status: "running", progress });
      await cli.waitForStderr(new RegExp(`running ${Math.round(progress * 100)}%`));
      lags.push(performance.now() - at);
      expect({ change: i, lagUnder2s: lags[i]! < 2_000 }).toEqual({ change: i, lagUnder2s: true });
    }
    await api.patch(job.id, { status: "succeeded" });
    const result = await cli.done;
    expect(result.code).toBe(0);
    // The early batch made the stream look current; the long-poll beside it found it behind.
    expect(result.stderr).toContain("the stream is over 1s behind the long-poll (a proxy buffering it?); falling back to long-poll");
  }, 30_000);

  test("proxy mode: an upstream SSE held by a buffer is remembered; the next watch long-polls at once; logged once at info", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(
          ...chunk
            .toString()
            .split("\n")
            .filter((l) => l !== ""),
        );
        done();
      },
    });
    const proxy: JobgateServer = await startServer({ port: 0, upstream: holdingUrl, sseFirstByteMs: 1_000 }, { logger: pino({ level: "info" }, sink) });
    try {
      const ask = (id: string, headers: Record<string, string> = {}) =>
        fetch(`${proxy.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${TOKENS.all}`, ...headers } });
      const first = await api.publish();
      expect((await ask(first.id)).status).toBe(200);
      await until(() => lines.some((l) => l.includes("upstream SSE is buffered")), "the fallback to be logged", 10_000);
      const second = await api.publish();
      expect((await ask(second.id)).status).toBe(200);
      // A long-poll on the second job, held by proxy mode; the change comes from its upstream long-poll.
      const held = ask(second.id, { "if-none-match": '"w/job-1"', prefer: "wait=20" });
      await until(() => proxy.metrics.heldLongPolls === 1, "the local hold");
      await new Promise((resolve) => setTimeout(resolve, 200));
      const changedAt = performance.now();
      await api.patch(second.id, { status: "running", progress: 0.5 });
      expect((await held).status).toBe(200);
      expect(performance.now() - changedAt).toBeLessThan(900); // no 1 s first-byte probe for the second job
      const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
      expect(metrics).toMatch(/jobgate_upstream_requests_total\{kind="watch_stream"\} 1\n/);
      expect(lines.filter((l) => l.includes("upstream SSE is buffered")).map((l) => JSON.parse(l).level)).toEqual([30]);
    } finally {
      await proxy.close();
    }
  }, 30_000);

  test("an API served under another base path works; one ending in /v1 exits 2 at once", async () => {
    const job = await api.publish({}, TOKENS.all);
    const ok = await runCli(["jobs", "get", job.id, "--json"], env(basePathUrl));
    expect(ok.code).toBe(0);
    const v1 = await runCli(["jobs", "wait", job.id], env(`${basePathUrl}/v1`));
    expect(v1.code).toBe(2);
    expect(v1.stderr).toContain(`the client adds /v1 itself; use ${basePathUrl} instead of ${basePathUrl}/v1`);
  });

  test("TLS: a self-signed certificate exits 2 at once with the reason; --ca-file and NODE_EXTRA_CA_CERTS trust a test CA", async () => {
    const job = await api.publish();
    const untrusted = await runCli(["jobs", "wait", job.id], env(selfSignedUrl));
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toMatch(/does not verify \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/);
    expect(untrusted.stderr).not.toMatch(/retrying in/);
    expect((await runCli(["jobs", "get", job.id, "--ca-file", ca.caFile], env(tlsUrl))).code).toBe(0);
    expect((await runCli(["jobs", "get", job.id], env(tlsUrl, { NODE_EXTRA_CA_CERTS: ca.caFile }))).code).toBe(0);
    const missing = await runCli(["jobs", "get", job.id], env(tlsUrl));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  test("an API that never answers: exit 6 after --connect-timeout, naming the URL (and the proxy when one is in use)", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const direct = await runCli(["jobs", "wait", "job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK", "--connect-timeout", "1s"], env(url));
    expect(direct.code).toBe(6);
    expect(direct.stderr).toContain(`${url} never answered within the 1s connect timeout`);
    expect(direct.stderr).toContain("ECONNREFUSED");
    expect(direct.ms).toBeLessThan(10_000);
    const proxyPort = await closedPort();
    const viaProxy = await runCli(
      ["jobs", "wait", "job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK", "--connect-timeout", "1s"],
      env("http://jobs.example.test", { HTTP_PROXY: `http://127.0.0.1:${proxyPort}` }),
    );
    expect(viaProxy.code).toBe(6);
    expect(viaProxy.stderr).toContain(`http://jobs.example.test (through proxy http://127.0.0.1:${proxyPort}) never answered within the 1s connect timeout`);
  });
});
