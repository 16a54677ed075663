/**
 * The go-plugin handshake and AutoMTLS of terraform-provider-jobgate, against the built
 * bundle: spawned with the environment Terraform sets, it prints exactly one line,
 * `1|6|unix|<socket>|grpc|<cert>`, serves gRPC over mutual TLS to the host's certificate
 * only, and refuses to run as anything but a plugin.
 */
import { X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { MAGIC_COOKIE_KEY } from "../provider-shim/provider/handshake.js";
import {
  assertBundleBuilt,
  clientConstructors,
  connect,
  healthOf,
  hostCertificate,
  providerEnv,
  removeProviderCache,
  startProvider,
  unary,
  type RunningProvider,
} from "./helpers/provider.js";

const running: RunningProvider[] = [];
function start(env: NodeJS.ProcessEnv): RunningProvider {
  const p = startProvider(env);
  running.push(p);
  return p;
}

beforeAll(() => assertBundleBuilt());
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  removeProviderCache();
});

describe("terraform-provider-jobgate handshake", () => {
  test("prints one line 1|6|unix|<socket>|grpc|<unpadded base64 DER>, and serves mutual TLS to the host's certificate", async () => {
    const host = hostCertificate();
    const p = start(providerEnv(host));
    const hs = await p.handshake;
    expect([hs.core, hs.app, hs.network, hs.protocol]).toEqual(["1", "6", "unix", "grpc"]);
    expect(existsSync(hs.address)).toBe(true);
    const certField = hs.raw.split("|")[5]!;
    expect(certField).toMatch(/^[A-Za-z0-9+/]+$/); // standard alphabet, no padding
    const cert = new X509Certificate(hs.certDer);
    expect(cert.checkHost("localhost")).toBe("localhost");
    expect(cert.verify(cert.publicKey)).toBe(true);

    const clients = connect(hs, host);
    try {
      const health = await unary(clients.health, "Check", { service: "plugin" });
      expect(health.status).toBe(1); // SERVING
      const schema = await unary(clients.provider, "GetProviderSchema", {});
      expect(Object.keys(schema.resource_schemas).sort()).toEqual(["jobgate_job_wait", "jobgate_operation"]);
      expect(Object.keys(schema.data_source_schemas)).toEqual(["jobgate_job"]);
      const token = schema.provider.block.attributes.find((a: { name: string }) => a.name === "token");
      expect(token.sensitive).toBe(true);
      const op = schema.resource_schemas.jobgate_operation.block;
      expect(op.block_types.map((b: { type_name: string }) => b.type_name)).toEqual(["timeouts"]);
      // Shutdown ends the process, cleanly, and removes the socket.
      await unary(clients.controller, "Shutdown", {});
    } finally {
      clients.close();
    }
    const exit = await p.exited;
    expect(exit.code).toBe(0);
    expect(existsSync(hs.address)).toBe(false);
    // Nothing but the handshake line on stdout, ever.
    expect(p.stdout()).toBe(`${hs.raw}\n`);
  });

  test("a fresh key and certificate every run", async () => {
    const host = hostCertificate();
    const [a, b] = [start(providerEnv(host)), start(providerEnv(host))];
    const [ha, hb] = await Promise.all([a.handshake, b.handshake]);
    expect(ha.certDer.equals(hb.certDer)).toBe(false);
    expect(
      new X509Certificate(ha.certDer).publicKey
        .export({ type: "spki", format: "der" })
        .equals(new X509Certificate(hb.certDer).publicKey.export({ type: "spki", format: "der" })),
    ).toBe(false);
    a.child.kill("SIGTERM");
    b.child.kill("SIGTERM");
    expect((await a.exited).code).toBe(0);
  });

  test("refuses a client that presents another certificate, or none", async () => {
    const host = hostCertificate();
    const p = start(providerEnv(host));
    const hs = await p.handshake;
    const intruder = connect(hs, hostCertificate());
    try {
      await expect(unary(intruder.provider, "GetProviderSchema", {}, 5000)).rejects.toMatchObject({ code: 14 }); // UNAVAILABLE: the TLS handshake failed
    } finally {
      intruder.close();
    }
    // Nor one with no certificate at all.
    const ctors = clientConstructors();
    const anonymous = new ctors.Health(`unix:${hs.address}`, grpc.credentials.createSsl(Buffer.from(hs.certPem)), {
      "grpc.ssl_target_name_override": "localhost",
      "grpc.default_authority": "localhost",
    }) as grpc.Client & Record<string, any>;
    try {
      await expect(unary(anonymous, "Check", { service: "plugin" }, 5000)).rejects.toMatchObject({ code: 14 });
    } finally {
      anonymous.close();
    }
    // The real host still gets in.
    expect(await healthOf(hs, host)).toBe(1);
    p.child.kill("SIGTERM");
    await p.exited;
  });

  test("ignores SIGINT (Terraform stops it through StopProvider), exits on SIGTERM", async () => {
    const host = hostCertificate();
    const p = start(providerEnv(host));
    const hs = await p.handshake;
    p.child.kill("SIGINT");
    const clients = connect(hs, host);
    try {
      expect((await unary(clients.health, "Check", { service: "plugin" })).status).toBe(1);
      expect(await unary(clients.provider, "StopProvider", {})).toEqual({ Error: "" });
    } finally {
      clients.close();
    }
    p.child.kill("SIGTERM");
    expect(await p.exited).toEqual({ code: 0, signal: null });
  });

  test("run by hand, without the magic cookie, it says what it is and exits 1", async () => {
    const env = providerEnv(hostCertificate());
    delete env[MAGIC_COOKIE_KEY];
    const p = start(env);
    const exit = await p.exited;
    expect(exit.code).toBe(1);
    expect(p.stdout()).toBe("");
    expect(p.stderr()).toContain("This binary is a plugin");
    expect(p.stderr()).toContain("jobgate provider install");
    // The configuration it teaches is valid HCL: a one-line block may hold only one argument.
    expect(p.stderr()).toContain('  terraform {\n    required_providers {\n      jobgate = { source = "jobgate/jobgate" }\n    }\n  }\n');
  });

  test("refuses a host without protocol 6, one without AutoMTLS, and one whose certificate is not one", async () => {
    const old = start(providerEnv(hostCertificate(), { PLUGIN_PROTOCOL_VERSIONS: "4,5" }));
    expect((await old.exited).code).toBe(1);
    expect(old.stderr()).toContain("speaks plugin protocol 6, but the host offered 4, 5");
    const plain = start(providerEnv(hostCertificate(), { PLUGIN_CLIENT_CERT: "" }));
    expect((await plain.exited).code).toBe(1);
    expect(plain.stderr()).toContain("PLUGIN_CLIENT_CERT is not set");
    expect(plain.stdout()).toBe("");
    const garbled = start(providerEnv(hostCertificate(), { PLUGIN_CLIENT_CERT: "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n" }));
    expect((await garbled.exited).code).toBe(1);
    expect(garbled.stderr()).toMatch(/^PLUGIN_CLIENT_CERT is not a PEM certificate \(.+\)\n$/);
    expect(garbled.stdout()).toBe("");
  });

  test("logs go to stderr as hclog JSON at TF_LOG_PROVIDER's level", async () => {
    const host = hostCertificate();
    const p = start(providerEnv(host, { TF_LOG_PROVIDER: "DEBUG" }));
    await p.handshake;
    p.child.kill("SIGTERM");
    await p.exited;
    const lines = p
      .stderr()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, string>);
    expect(lines.some((l) => l["@level"] === "info" && /serving/.test(l["@message"]!))).toBe(true);
    expect(lines.every((l) => typeof l["@timestamp"] === "string" && typeof l["@module"] === "string")).toBe(true);
    // go-plugin parses @timestamp with hclog's layout 2006-01-02T15:04:05.000000Z07:00 (exactly six
    // fraction digits); a line it cannot parse loses its level (re-logged whole at DEBUG).
    for (const line of lines) expect(line["@timestamp"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/);
  });
});
