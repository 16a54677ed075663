/**
 * The TLS listener the host connects to: our throwaway certificate, and one client admitted —
 * the one presenting exactly the host's PLUGIN_CLIENT_CERT, byte for byte. The TLS handshake
 * proves the client holds that certificate's key (its CertificateVerify is checked whatever the
 * chain's verdict); any other certificate, or none, is cut before a byte of HTTP/2 is read.
 *
 * Why pinned here rather than given to TLS as the trusted CA: the first TLS context given a `ca`
 * makes Node parse its whole bundled root store (35–45 ms on these machines) — once per start,
 * and Terraform starts a provider four times per apply. An empty `ca` builds no store.
 */
import { createServer, type Server, type TLSSocket } from "node:tls";
import type { Logger } from "../logging.js";
import type { PluginCertificate } from "./certificate.js";

export async function listenForHost(options: {
  readonly socketPath: string;
  readonly certificate: PluginCertificate;
  /** PLUGIN_CLIENT_CERT as DER: the certificate the host will present. */
  readonly hostCert: Buffer;
  readonly logger: Logger;
  /** A connection from the host, TLS done and ALPN h2 negotiated, for the gRPC server. */
  readonly onHostConnection: (socket: TLSSocket) => void;
}): Promise<Server> {
  const { logger, hostCert } = options;
  const server = createServer({
    key: options.certificate.keyPem,
    cert: options.certificate.certPem,
    ca: [],
    requestCert: true,
    // The chain is judged below, by the pin; OpenSSL alone would refuse the host's self-signed certificate.
    rejectUnauthorized: false,
    minVersion: "TLSv1.2",
    // gRPC clients (grpc-go in Terraform among them) insist on h2 by ALPN.
    ALPNProtocols: ["h2"],
  });
  server.on("secureConnection", (socket: TLSSocket) => {
    socket.on("error", (error: Error) => logger.debug(`host connection: ${error.message}`));
    const refusal = refusalOf(socket, hostCert);
    if (refusal !== undefined) {
      logger.warn(`refused a connection: ${refusal}`);
      socket.destroy();
      return;
    }
    options.onHostConnection(socket);
  });
  server.on("tlsClientError", (error: Error) => logger.debug(`refused a TLS handshake: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

function refusalOf(socket: TLSSocket, hostCert: Buffer): string | undefined {
  const presented = socket.getPeerX509Certificate();
  if (presented === undefined) return "it presented no client certificate";
  if (!presented.raw.equals(hostCert)) return "its client certificate is not the host's (PLUGIN_CLIENT_CERT)";
  if (socket.alpnProtocol !== "h2") return "it did not negotiate h2 (ALPN)";
  return undefined;
}
