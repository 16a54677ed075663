/** The keys file (spec §1): both forms, and a start-up error naming the entry and field. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeyRing, KeysFileError } from "../proxy/tenancy/keys.js";

function keysFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "jobgate-keys-test-")), "keys.json");
  writeFileSync(path, content);
  return path;
}

const valid = { token: "mfk_test_valid_1", account: "acct_1", scopes: ["jobs:read"] };

test("the development keys shipped in examples/ load", () => {
  const ring = KeyRing.fromFile("examples/keys.json");
  expect(ring.size).toBeGreaterThan(3);
  expect(ring.authenticate("Bearer mfk_dev_all")?.scopes.has("deploys:write")).toBe(true);
  expect(ring.authenticate("Bearer mfk_dev_hashed")?.account).toBe("acct_dev");
});

test.each([
  [{ keys: [valid, { ...valid, token: "mfk_test_valid_2", scopes: "jobs:read" }] }, 'entry 2: "scopes" must be an array of strings'],
  [{ keys: [{ ...valid, scopes: ["jobs:write"] }] }, 'entry 1: "scopes": unknown scope "jobs:write"'],
  [{ keys: [{ account: "acct_1", scopes: [] }] }, 'entry 1: exactly one of "token" and "token_sha256" is required'],
  [{ keys: [{ ...valid, token_sha256: "ab" }] }, 'entry 1: exactly one of "token" and "token_sha256" is required'],
  [{ keys: [{ token_sha256: "XYZ", account: "a", scopes: [] }] }, 'entry 1: "token_sha256" must be 64 lowercase hex characters'],
  [{ keys: [{ ...valid, account: "" }] }, 'entry 1: "account" must be a non-empty identifier string'],
  [{ keys: [{ ...valid, site_id: 7 }] }, 'entry 1: "site_id" must be a non-empty identifier string when present'],
  [{ keys: [{ ...valid, colour: "red" }] }, 'entry 1: unknown field "colour"'],
  [{ keys: [valid, valid] }, "entry 2: the same token appears in an earlier entry"],
  [{ keys: [{ ...valid, token: "mfk_test_valid_1 " }] }, 'entry 1: "token" must not contain spaces or line breaks'],
  [{ keys: [] }, '"keys" is empty'],
  [[valid], 'expected an object { "keys": [ … ] }'],
])("a malformed keys file is refused with a message naming the entry and field (%#)", (content, message) => {
  const path = keysFile(JSON.stringify(content));
  expect(() => KeyRing.fromFile(path)).toThrow(KeysFileError);
  expect(() => KeyRing.fromFile(path)).toThrow(`--keys ${path}: ${message}`);
});

test("a JSON error never quotes the file, which may hold a token", () => {
  const path = keysFile('{ "keys": [ { "token": mfk_super_secret_prod_token, "account": "a", "scopes": [] } ] }');
  let message = "";
  try {
    KeyRing.fromFile(path);
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toBe(`--keys ${path}: not valid JSON; check its quotes, commas and brackets`);
  expect(message).not.toContain("mfk_super");
});

test("unreadable and non-JSON files say so", () => {
  expect(() => KeyRing.fromFile("/nonexistent/keys.json")).toThrow("--keys /nonexistent/keys.json: cannot read the file (ENOENT)");
  const path = keysFile("{ not json");
  expect(() => KeyRing.fromFile(path)).toThrow(`--keys ${path}: not valid JSON; check its quotes, commas and brackets`);
});
