/**
 * Inputs a hostile or broken client sends, answered as the spec names them in both modes
 * (spec §2): a bearer token with a control character or a tab, a list limit that is not
 * a whole number, and ids that give nothing away (a job id is not its request's id + 1, nor
 * the previous job id + 1).
 */
import { ulidGenerator } from "../proxy/ulid.js";
import { TOKENS } from "./helpers/keys.js";
import { startTestProxy, startTestServer, type TestServer } from "./helpers/server.js";

let upstream: TestServer;
let proxy: TestServer;
beforeAll(async () => {
  upstream = await startTestServer();
  proxy = await startTestProxy(upstream.url);
});
afterAll(async () => {
  await proxy.close();
  await upstream.close();
});

test.each([
  // A tab or space inside is a header Node accepts: the token is refused (401).
  ["a tab", "mfk_test\treader", 401, "unauthenticated"],
  ["a space", "mfk_test reader", 401, "unauthenticated"],
  // A control character is not HTTP: Node's parser refuses the request (400).
  ["a control character", "mfk_test\u0001reader", 400, "invalid_request"],
])("a token with %s is %d on every read path, in both modes — never a 500", async (_what, token, status, code) => {
  const job = await upstream.publish();
  for (const api of [upstream, proxy]) {
    for (const path of ["/v1/jobs", `/v1/jobs/${job.id}`, `/v1/jobs/${job.id}/stream`]) {
      // fetch refuses to send such headers itself; send the request as raw bytes.
      const res = await rawGet(api, path, `Bearer ${token}`);
      expect([path, res.status]).toEqual([path, status]);
      expect(res.body).toContain(`"code":"${code}"`);
    }
  }
});

test.each(["1e2", "0x10", "20.0", "-1", " 20"])("limit=%s is a 400 naming limit, in both modes", async (limit) => {
  for (const api of [upstream, proxy]) {
    const res = await api.request(`/v1/jobs?limit=${encodeURIComponent(limit)}`, { token: TOKENS.reader });
    expect(res.status).toBe(400);
    expect(res.json.error).toEqual({ code: "invalid_request", message: "limit must be a whole number from 1 to 100" });
  }
});

test("job ids and request ids come from separate sequences: a job id is never its request id + 1", async () => {
  for (let i = 0; i < 20; i++) {
    const res = await upstream.request("/internal/v1/jobs", {
      method: "POST",
      body: { type: "deployment.deploy", team_id: "team_1", resource: { type: "deployment", site_id: "site_1" } },
    });
    const jobUlid = (res.json.data.id as string).slice(4);
    const requestUlid = (res.json.request_id as string).slice(4);
    // Same millisecond, same time part: the random parts must not be neighbours.
    if (jobUlid.slice(0, 10) === requestUlid.slice(0, 10)) {
      const distance = decode(jobUlid.slice(10)) - decode(requestUlid.slice(10));
      expect(distance === 1n || distance === -1n).toBe(false);
    }
  }
});

test("ids minted in one millisecond sort in creation order, yet the next is never the last + 1: none can be guessed and published first", () => {
  const next = ulidGenerator();
  const ids = Array.from({ length: 1_000 }, () => next(1_796_000_000_000));
  expect([...ids].sort()).toEqual(ids);
  expect(new Set(ids).size).toBe(ids.length);
  for (let i = 1; i < ids.length; i++) {
    expect(ids[i]!.slice(0, 10)).toBe(ids[0]!.slice(0, 10)); // the same time part
    expect(decode(ids[i]!.slice(10)) - decode(ids[i - 1]!.slice(10))).toBeGreaterThan(1n);
  }
});

function decode(base32: string): bigint {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  let value = 0n;
  for (const char of base32) value = value * 32n + BigInt(alphabet.indexOf(char));
  return value;
}

async function rawGet(api: TestServer, path: string, authorization: string): Promise<{ status: number; body: string }> {
  const { connect } = await import("node:net");
  return new Promise((resolve, reject) => {
    const socket = connect(api.server.port, "127.0.0.1", () => {
      socket.write(Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`, "latin1"));
    });
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve({ status: Number(text.split(" ")[1]), body: text.slice(text.indexOf("\r\n\r\n") + 4) }));
  });
}
