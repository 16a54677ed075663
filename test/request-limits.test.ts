/**
 * What one request may cost (spec §2 "Limits on what a request may cost"), on a real
 * server: heads over 16 KiB, slow heads and bodies, bodies before auth, deep or
 * unserializable JSON, undecodable encodings, and path case.
 */
import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let api: TestServer;
let port: number;
beforeAll(async () => {
  api = await startTestServer({ headersTimeoutMs: 500, bodyTimeoutMs: 800 });
  port = api.server.port;
});
afterAll(() => api.close());

const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;

/** Writes `chunks` on a raw socket (each after `gapMs`) and resolves with all the server sent, once it closes (or `timeoutMs`). */
function raw(chunks: string[], gapMs = 0, timeoutMs = 10_000): Promise<{ text: string; closedAfterMs: number; firstByteAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, "127.0.0.1");
    let text = "";
    let firstByteAfterMs = Infinity;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms; got: ${text}`));
    }, timeoutMs);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      firstByteAfterMs = Math.min(firstByteAfterMs, performance.now() - started);
      text += chunk;
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: performance.now() - started, firstByteAfterMs });
    });
    socket.on("connect", () => {
      void (async () => {
        for (const chunk of chunks) {
          if (socket.destroyed) return;
          socket.write(chunk);
          if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        }
      })();
    });
  });
}

/** The first response in `text`. */
function parseRaw(text: string): { status: number; headers: Map<string, string>; json: any } {
  const headEnd = text.indexOf("\r\n\r\n");
  const [statusLine = "", ...lines] = text.slice(0, headEnd).split("\r\n");
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()] as [string, string]));
  const body = text.slice(headEnd + 4, headEnd + 4 + Number(headers.get("content-length") ?? 0));
  return { status: Number(statusLine.split(" ")[1]), headers, json: body === "" ? undefined : JSON.parse(body) };
}

describe("the request head", () => {
  test("headers over 16 KiB are 431 headers_too_large in the JSON envelope with a request id, on every path", async () => {
    const job = await api.publish();
    for (const path of ["/v1/jobs", `/v1/jobs/${job.id}`, "/internal/v1/jobs"]) {
      const res = await api.request(path, { headers: { "x-padding": "x".repeat(17 * 1024) } });
      expect(res.status).toBe(431);
      expect(res.json.error).toEqual({ code: "headers_too_large", message: "the request's headers are larger than 16 KiB" });
      expect(res.headers.get("x-request-id")).toMatch(REQUEST_ID);
      expect(res.json.request_id).toBe(res.headers.get("x-request-id"));
    }
  });

  test("headers just under 16 KiB are served", async () => {
    expect((await api.request("/v1/jobs", { headers: { "x-padding": "x".repeat(15 * 1024) } })).status).toBe(200);
  });

  test("a head that trickles in slower than --headers-timeout is 408 request_timeout and the connection closes", async () => {
    const head = `GET /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKENS.all}\r\n`;
    const { text, closedAfterMs } = await raw([...head.match(/.{1,8}/gs)!], 150);
    const res = parseRaw(text);
    expect(res.status).toBe(408);
    expect(res.json.error.code).toBe("request_timeout");
    expect(res.headers.get("x-request-id")).toMatch(REQUEST_ID);
    // Node checks its timeouts once a second here: the slow client is gone within a few, not the default minute.
    expect(closedAfterMs).toBeLessThan(5_000);
  });

  test("a body that trickles in slower than --body-timeout is 408 and the connection closes", async () => {
    const body = JSON.stringify({ progress: 0.5 });
    const job = await api.publish();
    const head = `PATCH /internal/v1/jobs/${job.id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKENS.all}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { text, closedAfterMs } = await raw([head, ...body.split("")], 150);
    expect(parseRaw(text).status).toBe(408);
    expect(closedAfterMs).toBeLessThan(6_000);
    expect((await api.request(`/v1/jobs/${job.id}`)).json.data.progress).toBe(0); // nothing half-read was applied
  });

  test("paths are case-sensitive: /V1/JOBS/x names no route (404), not a self-contradicting 405", async () => {
    const job = await api.publish();
    for (const path of [`/V1/JOBS/${job.id}`, "/V1/jobs", `/v1/Jobs/${job.id}/stream`]) {
      const res = await api.request(path);
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe("not_found");
    }
  });
});

describe("the request-target", () => {
  test("in absolute-form (RFC 9112 §3.2.2) it names the same resource on every read path: never a self-contradicting 405", async () => {
    const job = await api.publish();
    for (const [method, path] of [
      ["GET", `/v1/jobs/${job.id}`],
      ["HEAD", `/v1/jobs/${job.id}?wait=1`],
      ["GET", "/v1/jobs?limit=1"],
      ["HEAD", `/v1/jobs/${job.id}/stream`],
    ] as const) {
      const head = `${method} http://127.0.0.1:${port}${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKENS.all}\r\nConnection: close\r\n\r\n`;
      const { text } = await raw([head]);
      expect([method, path, parseRaw(text).status]).toEqual([method, path, 200]);
    }
  });
});

describe("the request body", () => {
  test("a body is read only after authentication: an unauthenticated 2 MiB body is a 401, not a 413", async () => {
    const big = JSON.stringify({ type: "x".repeat(2 * 1024 * 1024) });
    const unauthenticated = await api.request("/internal/v1/jobs", { method: "POST", token: null, body: big });
    expect(unauthenticated.status).toBe(401);
    const wrongScope = await api.request("/internal/v1/jobs", { method: "POST", token: TOKENS.reader, body: big });
    expect(wrongScope.status).toBe(403);
    expect((await api.request("/internal/v1/jobs", { method: "POST", body: big })).status).toBe(413);
  });

  test("an unauthenticated body that trickles in holds nothing: the 401 goes out at once", async () => {
    const head = `POST /internal/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`;
    const { text, firstByteAfterMs } = await raw([head, "{", '"a"'], 1_000);
    expect(parseRaw(text).status).toBe(401);
    // Answered while the body was still trickling in (it takes 2 s), not after it.
    expect(firstByteAfterMs).toBeLessThan(1_000);
  });

  const nested = (depth: number): unknown => {
    let value: unknown = { code: "deep", message: "x" };
    for (let i = 1; i < depth; i++) value = { level: value };
    return value;
  };

  test("JSON nested deeper than 32 levels is a 400 naming the field, and nothing is stored", async () => {
    const job = await api.publish();
    const res = await api.patch(job.id, { status: "succeeded", result: nested(32) });
    expect(res.status).toBe(400);
    expect(res.json.error).toEqual({ code: "invalid_request", message: "result is nested deeper than 32 levels" });
    const after = await api.request(`/v1/jobs/${job.id}`);
    expect(after.json.data).toMatchObject({ status: "queued", result: null });
    expect(after.headers.get("etag")).toBe('"w/job-1"');
  });

  test("50 000 levels of nesting are refused the same way, and the job stays readable", async () => {
    const job = await api.publish();
    const body = `{"status":"succeeded","result":${"[".repeat(50_000)}${"]".repeat(50_000)}}`;
    const res = await api.request(`/internal/v1/jobs/${job.id}`, { method: "PATCH", body });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toBe("result is nested deeper than 32 levels");
    expect((await api.request(`/v1/jobs/${job.id}`)).status).toBe(200);
    expect((await api.request("/v1/jobs?limit=100")).status).toBe(200);
  });

  test("31 levels under the body (32 with it) are accepted and read back as sent", async () => {
    const job = await api.publish();
    const result = nested(31) as Record<string, unknown>;
    const res = await api.patch(job.id, { status: "succeeded", result });
    expect(res.status).toBe(200);
    expect((await api.request(`/v1/jobs/${job.id}`)).json.data.result).toEqual(result);
  });

  test("a number JSON cannot carry back (1e400) is a 400 naming the field", async () => {
    const job = await api.publish();
    const res = await api.request(`/internal/v1/jobs/${job.id}`, { method: "PATCH", body: '{"status":"succeeded","result":{"size":1e400}}' });
    expect(res.status).toBe(400);
    expect(res.json.error).toEqual({ code: "invalid_request", message: "result: Infinity is not a number JSON can carry" });
  });

  test("a Content-Encoding the server cannot decode is a 400 naming Content-Encoding; a valid gzip body is read", async () => {
    for (const encoding of ["gzip", "deflate", "br"]) {
      const res = await api.request("/internal/v1/jobs", { method: "POST", body: "not compressed", headers: { "content-encoding": encoding } });
      expect(res.status).toBe(400);
      expect(res.json.error).toEqual({ code: "invalid_request", message: `Content-Encoding: the body is not valid ${encoding} data` });
    }
    const unknown = await api.request("/internal/v1/jobs", { method: "POST", body: "{}", headers: { "content-encoding": "snappy" } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toBe('Content-Encoding "snappy" is not supported; send identity, gzip, deflate or br');
    const body = gzipSync(JSON.stringify({ type: "deployment.deploy", team_id: "team_1", resource: { type: "deployment", site_id: "site_1" } }));
    const res = await fetch(`${api.url}/internal/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKENS.all}`, "content-type": "application/json", "content-encoding": "gzip" },
      body,
    });
    expect(res.status).toBe(201);
  });
});

describe("limits are counted when they bite", () => {
  test("refused heads show in jobgate_http_requests_total", async () => {
    await api.request("/v1/jobs", { headers: { "x-padding": "x".repeat(17 * 1024) } });
    const metrics = await api.request("/metrics", { token: null });
    expect(metrics.text).toMatch(/jobgate_http_requests_total\{route="refused: headers_too_large",status="431"\} [1-9]/);
  });
});
