/**
 * go-plugin's handshake, the host side of which is Terraform (and OpenTofu):
 *
 * 1. the host sets TF_PLUGIN_MAGIC_COOKIE (a fixed value: "you are being run as a
 *    plugin"), PLUGIN_PROTOCOL_VERSIONS (the app protocol versions it speaks, e.g. "5,6")
 *    and, with AutoMTLS, PLUGIN_CLIENT_CERT (its own throwaway certificate, PEM);
 * 2. the plugin listens (a unix socket in PLUGIN_UNIX_SOCKET_DIR, else the temp dir) with
 *    TLS, requiring and verifying exactly that client certificate;
 * 3. the plugin prints one line on stdout —
 *    `CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT`, here `1|6|unix|/tmp/…|grpc|<base64 DER>`
 *    (the certificate in standard base64 without padding) — and nothing else, ever.
 *
 * Run by hand (no cookie), the plugin says what it is and exits 1, as go-plugin does.
 */
import { X509Certificate } from "node:crypto";

export const MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE";
export const MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
export const CORE_PROTOCOL_VERSION = 1;
export const APP_PROTOCOL_VERSION = 6;
/** go-plugin: the host supports a seventh field (broker multiplexing) only when it sets this. */
const MULTIPLEX_ENV = "PLUGIN_MULTIPLEX_GRPC";

export class HandshakeError extends Error {
  override name = "HandshakeError";
}

export interface HandshakeEnv {
  /** PLUGIN_CLIENT_CERT as DER: the one certificate a client may present. */
  readonly clientCert: Buffer;
  readonly socketDir: string | undefined;
  readonly multiplex: boolean;
}

/** Checks what the host set; throws a HandshakeError with the message for stderr. */
export function readHandshakeEnv(env: NodeJS.ProcessEnv): HandshakeEnv {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    throw new HandshakeError(
      "This binary is a plugin: terraform-provider-jobgate, a Terraform provider. It is not meant to be run directly;\n" +
        "Terraform starts it. Install it with `jobgate provider install` and use it from a configuration with\n" +
        // A one-line `terraform { required_providers { … } }` is not valid HCL (a one-line block holds one argument).
        '  terraform {\n    required_providers {\n      jobgate = { source = "jobgate/jobgate" }\n    }\n  }',
    );
  }
  const versions = (env.PLUGIN_PROTOCOL_VERSIONS ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
  if (versions.length > 0 && !versions.includes(String(APP_PROTOCOL_VERSION))) {
    throw new HandshakeError(
      `terraform-provider-jobgate speaks plugin protocol ${APP_PROTOCOL_VERSION}, but the host offered ${versions.join(", ")}: ` +
        "use Terraform >= 1.0 or OpenTofu",
    );
  }
  const clientCertPem = env.PLUGIN_CLIENT_CERT ?? "";
  if (!clientCertPem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new HandshakeError(
      "PLUGIN_CLIENT_CERT is not set: terraform-provider-jobgate only serves over mutual TLS with the certificate its host " +
        "provides (go-plugin AutoMTLS, which Terraform and OpenTofu always use)",
    );
  }
  let clientCert: Buffer;
  try {
    clientCert = new X509Certificate(clientCertPem).raw;
  } catch (error) {
    throw new HandshakeError(`PLUGIN_CLIENT_CERT is not a PEM certificate (${(error as Error).message})`);
  }
  return { clientCert, socketDir: nonEmpty(env.PLUGIN_UNIX_SOCKET_DIR), multiplex: /^(1|t|true)$/i.test(env[MULTIPLEX_ENV] ?? "") };
}

/** The one stdout line. */
export function handshakeLine(socketPath: string, certDer: Buffer, env: HandshakeEnv): string {
  const cert = certDer.toString("base64").replace(/=+$/, "");
  // A host that asked about multiplexing gets an answer; it is never used (no broker connections).
  const mux = env.multiplex ? "|true" : "";
  return `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|unix|${socketPath}|grpc|${cert}${mux}\n`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
