/** Authentication and scopes (spec §1–2). */
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let api: TestServer;
let jobId: string;
beforeAll(async () => {
  api = await startTestServer();
  jobId = (await api.publish()).id;
});
afterAll(() => api.close());

const READ_PATHS = () => ["/v1/jobs", `/v1/jobs/${jobId}`, `/v1/jobs/${jobId}/stream`];

test("a missing token is 401 unauthenticated with WWW-Authenticate: Bearer on every read path", async () => {
  for (const path of READ_PATHS()) {
    const res = await api.request(path, { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(res.json.error).toEqual({ code: "unauthenticated", message: "missing Authorization: Bearer <token> header" });
  }
});

test("an unknown token is 401, and the token is not echoed", async () => {
  for (const path of READ_PATHS()) {
    const res = await api.request(path, { token: "mfk_not_a_real_token" });
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe("unauthenticated");
    expect(res.text).not.toContain("mfk_not_a_real_token");
  }
  const basic = await api.request(`/v1/jobs/${jobId}`, { token: null, headers: { authorization: "Basic dXNlcjpwYXNz" } });
  expect(basic.status).toBe(401);
});

test("the scheme is case-insensitive", async () => {
  const res = await api.request(`/v1/jobs/${jobId}`, { token: null, headers: { authorization: `bearer ${TOKENS.reader}` } });
  expect(res.status).toBe(200);
});

test("a valid token without the scope is 403 insufficient_scope", async () => {
  for (const path of READ_PATHS()) {
    const res = await api.request(path, { token: TOKENS.publisher });
    expect(res.status).toBe(403);
    expect(res.json.error).toEqual({ code: "insufficient_scope", message: "this key lacks the jobs:read scope" });
  }
  const publish = await api.request("/internal/v1/jobs", { method: "POST", token: TOKENS.reader, body: {} });
  expect(publish.status).toBe(403);
  expect(publish.json.error.message).toBe("this key lacks the jobs:publish scope");
  const deploy = await api.request("/v1/sites/site_1/deploys", { method: "POST", token: TOKENS.reader });
  expect(deploy.status).toBe(403);
  const build = await api.request("/v1/sites/site_1/builds", { method: "POST", token: TOKENS.deployer });
  expect(build.json.error.message).toBe("this key lacks the builds:write scope");
});

test("token_sha256 keys authenticate by the token whose hash they hold", async () => {
  const { createHash } = await import("node:crypto");
  const { KeyRing } = await import("../proxy/tenancy/keys.js");
  const token = "mfk_prod_only_hash_known";
  const ring = KeyRing.fromJson(
    { keys: [{ token_sha256: createHash("sha256").update(token).digest("hex"), account: "acct_9", scopes: ["jobs:read"] }] },
    "inline",
  );
  expect(ring.authenticate(`Bearer ${token}`)?.account).toBe("acct_9");
  expect(ring.authenticate(`Bearer ${token}x`)).toBeUndefined();
  expect(ring.authenticate(undefined)).toBeUndefined();
});
