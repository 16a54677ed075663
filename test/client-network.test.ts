/**
 * The network rules as pure functions (spec §9 "Networks"): which proxy a URL goes
 * through, what is printed of a proxy, what a failure means, how cut holds shorten the
 * wait, and one retrier shared by several loops. The real proxies are in
 * network-forward-proxy.test.ts and network-reverse-proxy.test.ts.
 */
import { HoldWindow } from "../client/hold-window.js";
import { runtimeProxies } from "../client/network.js";
import { describeNetworkFailure, isApiAnswer, isIntermediaryCut } from "../client/network-errors.js";
import { isLoopbackHost, printableProxy, proxyFor, proxySecrets, proxySettings } from "../client/proxy-env.js";
import { normalizeClientOptions } from "../client/options.js";
import { HttpError, UnreachableError, isConfigError } from "../client/errors.js";
import { Retrier } from "../client/retrier.js";

const P = "http://proxy.corp:3128";

describe("which proxy a URL goes through", () => {
  test("the lowercase variable wins, even empty", () => {
    expect(proxySettings({ HTTPS_PROXY: "http://upper:1", https_proxy: "http://lower:2" }).httpsProxy).toBe("http://lower:2");
    expect(proxySettings({ HTTPS_PROXY: "http://upper:1", https_proxy: "" }).httpsProxy).toBeUndefined();
    expect(proxySettings({ NO_PROXY: "a", no_proxy: "b" }).noProxy).toBe("b");
  });

  test("https uses HTTPS_PROXY, else HTTP_PROXY; http uses HTTP_PROXY", () => {
    expect(proxyFor("https://api.example.com", proxySettings({ HTTPS_PROXY: P }))).toBe(P);
    expect(proxyFor("https://api.example.com", proxySettings({ HTTP_PROXY: P }))).toBe(P);
    expect(proxyFor("http://api.example.com", proxySettings({ HTTPS_PROXY: P }))).toBeUndefined();
    expect(proxyFor("http://api.example.com", proxySettings({ HTTP_PROXY: P }))).toBe(P);
  });

  test.each([
    ["api.example.com", "https://api.example.com", true],
    ["example.com", "https://api.example.com", true],
    [".example.com", "https://api.example.com", true],
    ["*.example.com", "https://api.example.com", true],
    ["*", "https://api.example.com", true],
    ["api.example.com:443", "https://api.example.com", true],
    ["api.example.com:8443", "https://api.example.com", false],
    ["other.com, example.com", "https://api.example.com", true],
    ["other.com example.com", "https://api.example.com", true],
    ["ample.com", "https://api.example.com", false],
    ["api.example.com.evil", "https://api.example.com", false],
  ])("NO_PROXY=%j for %s: direct %s", (noProxy, url, direct) => {
    expect(proxyFor(url, proxySettings({ HTTPS_PROXY: P, NO_PROXY: noProxy })) === undefined).toBe(direct);
  });

  test.each(["localhost", "LOCALHOST", "api.localhost", "127.0.0.1", "127.4.5.6", "[::1]", "::1"])("%s is loopback: always direct", (host) => {
    expect(isLoopbackHost(host)).toBe(true);
    expect(proxyFor(`http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:8080`, proxySettings({ HTTP_PROXY: P }))).toBeUndefined();
  });

  test.each(["128.0.0.1", "localhost.example.com", "10.0.0.1", "::2"])("%s is not loopback", (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  test("a proxy without a scheme is an http:// one, as Go and curl read it; its credentials are still secrets", () => {
    expect(proxySettings({ HTTPS_PROXY: "proxy.corp:3128" }).httpsProxy).toBe("http://proxy.corp:3128");
    expect(proxySettings({ http_proxy: " user:p%40ss@proxy.corp:3128 " }).httpProxy).toBe("http://user:p%40ss@proxy.corp:3128");
    expect(proxySettings({ HTTPS_PROXY: "https://proxy.corp:3129" }).httpsProxy).toBe("https://proxy.corp:3129");
    const settings = proxySettings({ HTTPS_PROXY: "user:p%40ss@proxy.corp:3128" });
    expect(printableProxy(proxyFor("https://api.example.com", settings)!)).toBe("http://***@proxy.corp:3128");
    expect(proxySecrets(settings)).toEqual(expect.arrayContaining(["p%40ss", "p@ss", "user:p@ss"]));
  });

  test("credentials never print; every form of them is scrubbed", () => {
    expect(printableProxy("http://user:p%40ss@proxy:3128")).toBe("http://***@proxy:3128");
    expect(printableProxy(P)).toBe(P);
    expect(printableProxy("not a url :: secret")).not.toContain("secret");
    const secrets = proxySecrets(proxySettings({ HTTPS_PROXY: "http://user:p%40ss@proxy:3128" }));
    expect(secrets).toEqual(expect.arrayContaining(["p%40ss", "p@ss", "user:p@ss", Buffer.from("user:p@ss").toString("base64")]));
  });

  test("a client names its proxy without credentials and refuses an API URL ending in /v1", () => {
    const options = normalizeClientOptions({ token: "t", apiUrl: "https://api.example.com/forge", fetch: globalThis.fetch });
    expect(options.apiUrl).toBe("https://api.example.com/forge");
    expect(() => normalizeClientOptions({ token: "t", apiUrl: "https://api.example.com/v1/" })).toThrow(
      "apiUrl must be the API's base URL without the version path: the client adds /v1 itself; use https://api.example.com instead of https://api.example.com/v1/",
    );
  });

  test("the runtime's own proxy support is used only where Node has it and it is switched on", () => {
    expect(runtimeProxies({ NODE_USE_ENV_PROXY: "1" }, "20.20.2")).toBe(false);
    expect(runtimeProxies({ NODE_USE_ENV_PROXY: "1" }, "22.21.0")).toBe(true);
    expect(runtimeProxies({ NODE_USE_ENV_PROXY: "1" }, "24.5.0")).toBe(true);
    expect(runtimeProxies({}, "24.5.0")).toBe(false);
    expect(runtimeProxies({ NODE_USE_ENV_PROXY: "0" }, "24.5.0")).toBe(false);
  });
});

describe("what a failure means", () => {
  const fetchFailed = (cause: object) => Object.assign(new TypeError("fetch failed"), { cause });

  test("a certificate that does not verify is permanent, and says what to do", () => {
    const failure = describeNetworkFailure(
      fetchFailed({ code: "SELF_SIGNED_CERT_IN_CHAIN", message: "self-signed certificate in certificate chain" }),
      "api:443",
      undefined,
    );
    expect(failure.permanent).toBe(true);
    expect(failure.message).toContain("does not verify (SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain)");
    expect(failure.message).toContain("--ca-file");
  });

  test("a port fetch blocks (6000, 10080, …) is permanent: no retry can reach it", () => {
    const failure = describeNetworkFailure(fetchFailed(new Error("bad port")), "api:6000", undefined);
    expect(failure.permanent).toBe(true);
    expect(failure.message).toContain("fetch refuses to connect to the port of api:6000");
  });

  test("a proxy asking for credentials is permanent; one that cannot reach the API is not", () => {
    expect(describeNetworkFailure(fetchFailed(new Error("Proxy response (407) !== 200 when HTTP Tunneling")), "api:443", P).permanent).toBe(true);
    expect(describeNetworkFailure(fetchFailed(new Error("Proxy response (503) !== 200 when HTTP Tunneling")), "api:443", P)).toEqual({
      permanent: false,
      message: `proxy ${P} could not connect to api:443 (503)`,
    });
  });

  test("a refused connection is retryable and quotes the innermost cause", () => {
    expect(describeNetworkFailure(fetchFailed({ code: "ECONNREFUSED", message: "connect ECONNREFUSED 127.0.0.1:9" }), "x", undefined)).toEqual({
      permanent: false,
      message: "connect ECONNREFUSED 127.0.0.1:9",
    });
  });

  test("an intermediary's 502/503/504 page is a cut; the API's own 503 envelope is not", () => {
    const details = (status: number, code: string) => ({ status, code, requestId: undefined });
    expect(isIntermediaryCut(new HttpError("504", details(504, "http_504")))).toBe(true);
    expect(isIntermediaryCut(new HttpError("503", details(503, "unavailable")))).toBe(false);
    expect(isIntermediaryCut(new HttpError("500", details(500, "http_500")))).toBe(false);
    expect(isIntermediaryCut(new UnreachableError("reset"))).toBe(true);
    expect(isIntermediaryCut(new UnreachableError("no answer within 40s", { reason: "timeout" }))).toBe(false);
    expect(isApiAnswer({ status: 304, json: undefined })).toBe(true);
    expect(isApiAnswer({ status: 504, json: undefined })).toBe(false);
    expect(isApiAnswer({ status: 503, json: { error: { code: "unavailable", message: "x" } } })).toBe(true);
  });
});

describe("cut holds", () => {
  test("a cut shortens the wait under what the cut hold lasted, never below 5 s; only the first says so", () => {
    const holds = new HoldWindow(25);
    expect(HoldWindow.isCutAfter(4_999)).toBe(false);
    expect(HoldWindow.isCutAfter(5_000)).toBe(true);
    expect(holds.cut(10_004, "504")).toEqual({ lastedMs: 10_004, waitS: 9, how: "504", first: true });
    expect(holds.cut(9_990, "504").waitS).toBe(9);
    expect(holds.cut(6_000, "504")).toMatchObject({ waitS: 5, first: false });
    expect(holds.cut(5_100, "reset").waitS).toBe(5);
  });
});

describe("one retrier shared by several loops", () => {
  test("concurrent failures join one backoff: the schedule grows as for one waiter", async () => {
    const delays: number[] = [];
    const retrier = new Retrier({
      schedule: { minDelayMs: 40, maxDelayMs: 1_000, factor: 2 },
      retries: Infinity,
      onRetry: (_error, delayMs) => delays.push(delayMs),
      giveUp: (last) => last,
    });
    const failure = new UnreachableError("down");
    await Promise.all(Array.from({ length: 50 }, () => retrier.afterFailure(failure)));
    await Promise.all(Array.from({ length: 50 }, () => retrier.afterFailure(failure)));
    expect(delays).toHaveLength(2); // two rounds, one backoff each
    expect(delays[1]!).toBeGreaterThanOrEqual(40); // attempt 2: 40–80 ms, not attempt 100's cap
    expect(delays[1]!).toBeLessThanOrEqual(80);
  });

  test("with no answer ever, it gives up at the connect deadline", async () => {
    const retrier = new Retrier({
      schedule: { minDelayMs: 10, maxDelayMs: 10, factor: 1 },
      retries: Infinity,
      connectDeadline: () => performance.now() - 1,
      neverAnswered: () => new UnreachableError("never answered", { reason: "never_answered" }),
      giveUp: (last) => last,
    });
    await expect(retrier.afterFailure(new UnreachableError("down"))).rejects.toThrow("never answered");
  });

  test("a bad CA bundle is a ConfigError naming the flag", () => {
    let error: unknown;
    try {
      normalizeClientOptions({ token: "t", caFile: "/nonexistent/ca.pem" });
    } catch (e) {
      error = e;
    }
    expect(isConfigError(error)).toBe(true);
    expect((error as Error).message).toBe("--ca-file /nonexistent/ca.pem: cannot read it (ENOENT)");
  });
});
