/** The pure parts of the constructs: replacement triggers and the provisioner's command line. */
import { canonicalJson, operationTriggers, sha256Hex } from "../provider-shim/constructs/triggers.js";
import { cliCommand, escapeTemplate, shellQuote } from "../provider-shim/constructs/cli-command.js";

describe("triggers", () => {
  test("sha256Hex is the FIPS 180-2 digest, as Terraform's sha256() prints it", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  test("canonicalJson sorts keys at every depth and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: [{ z: 1, y: 2 }, 3], c: { e: null, d: "x" } })).toBe('{"a":[{"y":2,"z":1},3],"b":1,"c":{"d":"x","e":null}}');
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
  });

  test("operation triggers: readable method and path, hashed body, key only when given", () => {
    expect(operationTriggers({ method: "POST", path: "/v1/x", body: undefined, idempotencyKey: undefined })).toEqual({
      method: "POST",
      path: "/v1/x",
    });
    expect(operationTriggers({ method: "POST", path: "/v1/x", body: "{}", idempotencyKey: "k" })).toEqual({
      method: "POST",
      path: "/v1/x",
      body_sha256: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
      idempotency_key: "k",
    });
  });

  test("any change of method, path, body or key changes the triggers; nothing else does", () => {
    const base = { method: "POST", path: "/v1/x", body: '{"a":1}', idempotencyKey: "k" };
    const of = (o: typeof base) => JSON.stringify(operationTriggers(o));
    expect(of({ ...base })).toBe(of(base));
    for (const change of [{ method: "PATCH" }, { path: "/v1/y" }, { body: '{"a":2}' }, { idempotencyKey: "k2" }]) {
      expect(of({ ...base, ...change })).not.toBe(of(base));
    }
  });

  test("an apply-time body is hashed by the function the caller passes", () => {
    expect(operationTriggers({ method: "POST", path: "/", body: "${var.b}", idempotencyKey: undefined }, (b) => `sha256(${b})`).body_sha256).toBe(
      "sha256(${var.b})",
    );
  });
});

describe("the command line", () => {
  test("shellQuote leaves plain words alone and single-quotes the rest", () => {
    expect(shellQuote("/usr/bin/node")).toBe("/usr/bin/node");
    expect(shellQuote("--timeout=1m30s")).toBe("--timeout=1m30s");
    expect(shellQuote("/opt/my tools/main.js")).toBe("'/opt/my tools/main.js'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("$(id)")).toBe("'$(id)'");
  });

  test("escapeTemplate keeps Terraform from interpolating", () => {
    expect(escapeTemplate("a${b}%{c}")).toBe("a$${b}%%{c}");
  });

  test("default CLI: $JOBGATE_CLI, else npx --no-install jobgate, read by the shell", () => {
    expect(cliCommand(undefined, ["jobs", "wait", "--timeout", "30m"])).toBe("exec $${JOBGATE_CLI:-npx --no-install jobgate} jobs wait --timeout 30m");
  });

  test("an explicit CLI is quoted for the shell and escaped for Terraform", () => {
    expect(cliCommand(["node", "/srv/${x}/main.js"], ["call", "--wait"])).toBe("exec node '/srv/$${x}/main.js' call --wait");
  });
});
