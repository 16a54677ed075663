/**
 * Support for the provider suites: spawn terraform-provider-jobgate (the BUILT bundle,
 * exactly what `jobgate provider install` ships) with the environment Terraform sets,
 * read its handshake line, and talk to it over mutual TLS as Terraform does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from "../../provider-shim/provider/handshake.js";
import { loadProtocol } from "../../provider-shim/provider/protocol/services.js";
import { createPluginCertificate, toPem, type PluginCertificate } from "../../provider-shim/provider/tls/certificate.js";

export const PROVIDER_BUNDLE = fileURLToPath(new URL("../../dist/provider/terraform-provider-jobgate.cjs", import.meta.url));

/**
 * The cache directory (XDG_CACHE_HOME) of the providers a suite starts, so that their code
 * cache (provider-shim/provider/code-cache.ts) goes to a temp dir, not the user's ~/.cache;
 * removeProviderCache() in the suite's afterAll.
 */
let cacheHome: string | undefined;
export function providerCacheHome(): string {
  cacheHome ??= mkdtempSync(join(tmpdir(), "jobgate-provider-cache-"));
  return cacheHome;
}
export function removeProviderCache(): void {
  if (cacheHome !== undefined) rmSync(cacheHome, { recursive: true, force: true });
  cacheHome = undefined;
}

export function assertBundleBuilt(): void {
  if (!existsSync(PROVIDER_BUNDLE)) throw new Error(`${PROVIDER_BUNDLE} is missing: run \`npm run build\` (npm test builds first)`);
}

export interface Handshake {
  readonly core: string;
  readonly app: string;
  readonly network: string;
  readonly address: string;
  readonly protocol: string;
  /** The server certificate, DER. */
  readonly certDer: Buffer;
  readonly certPem: string;
  readonly raw: string;
}

export interface RunningProvider {
  readonly child: ChildProcess;
  readonly handshake: Promise<Handshake>;
  /** Everything on stdout so far (should be the handshake line alone). */
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The client certificate a host would pass in PLUGIN_CLIENT_CERT. */
export function hostCertificate(): PluginCertificate {
  return createPluginCertificate();
}

export function providerEnv(clientCert: PluginCertificate, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    XDG_CACHE_HOME: providerCacheHome(),
    [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
    PLUGIN_PROTOCOL_VERSIONS: "5,6",
    PLUGIN_MIN_PORT: "10000",
    PLUGIN_MAX_PORT: "25000",
    PLUGIN_CLIENT_CERT: clientCert.certPem,
    ...extra,
  };
}

export function startProvider(env: NodeJS.ProcessEnv): RunningProvider {
  const child = spawn(process.execPath, [PROVIDER_BUNDLE], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const handshake = new Promise<Handshake>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf("\n");
      if (newline >= 0) resolve(parseHandshake(stdout.slice(0, newline)));
    });
    void exited.then(({ code }) => reject(new Error(`the provider exited (${code}) before its handshake line:\n${stderr}`)));
  });
  // A test that expects an early exit never awaits the handshake.
  handshake.catch(() => undefined);
  return { child, handshake, stdout: () => stdout, stderr: () => stderr, exited };
}

export function parseHandshake(line: string): Handshake {
  const parts = line.split("|");
  if (parts.length !== 6) throw new Error(`expected 6 fields in the handshake line, got ${parts.length}: ${line}`);
  const [core, app, network, address, protocol, cert] = parts as [string, string, string, string, string, string];
  const certDer = Buffer.from(cert, "base64");
  return { core, app, network, address, protocol, certDer, certPem: toPem("CERTIFICATE", certDer), raw: line };
}

export interface ProviderClients {
  readonly provider: grpc.Client & Record<string, any>;
  readonly controller: grpc.Client & Record<string, any>;
  readonly health: grpc.Client & Record<string, any>;
  close(): void;
}

/** gRPC clients over mutual TLS, presenting `clientCert` (what Terraform does). */
/** Connects as the host would and asks go-plugin's health check: "SERVING" (1) is what a working provider says. */
export async function healthOf(handshake: Handshake, clientCert: PluginCertificate): Promise<number> {
  const clients = connect(handshake, clientCert);
  try {
    return (await unary<{ status: number }>(clients.health, "Check", { service: "plugin" })).status;
  } finally {
    clients.close();
  }
}

/** Client constructors for the services the provider serves (the provider itself needs none). */
export function clientConstructors(): Record<"Provider" | "GRPCController" | "Health", grpc.ServiceClientConstructor> {
  const protocol = loadProtocol();
  return {
    Provider: grpc.makeGenericClientConstructor(protocol.provider, "Provider"),
    GRPCController: grpc.makeGenericClientConstructor(protocol.controller, "GRPCController"),
    Health: grpc.makeGenericClientConstructor(protocol.health, "Health"),
  };
}

export function connect(handshake: Handshake, clientCert: PluginCertificate): ProviderClients {
  const clients = clientConstructors();
  const credentials = grpc.credentials.createSsl(Buffer.from(handshake.certPem), Buffer.from(clientCert.keyPem), Buffer.from(clientCert.certPem));
  const options = { "grpc.ssl_target_name_override": "localhost", "grpc.default_authority": "localhost" };
  const target = `unix:${handshake.address}`;
  const provider = new clients.Provider(target, credentials, options) as grpc.Client & Record<string, any>;
  const controller = new clients.GRPCController(target, credentials, options) as grpc.Client & Record<string, any>;
  const health = new clients.Health(target, credentials, options) as grpc.Client & Record<string, any>;
  return {
    provider,
    controller,
    health,
    close: () => {
      provider.close();
      controller.close();
      health.close();
    },
  };
}

/** Promise form of a unary call, with a deadline. */
export function unary<T = any>(client: grpc.Client & Record<string, any>, method: string, request: object, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + timeoutMs }, (error: grpc.ServiceError | null, response: T) =>
      error ? reject(error) : resolve(response),
    );
  });
}
