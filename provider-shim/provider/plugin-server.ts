/**
 * The gRPC server a go-plugin host talks to: the provider service (tfplugin6.Provider)
 * plus go-plugin's own — GRPCController (Shutdown), GRPCStdio, GRPCBroker — and the
 * health service the host pings. It listens on a fresh unix socket with mutual TLS: our
 * throwaway certificate (tls/certificate.ts) and exactly the host's PLUGIN_CLIENT_CERT as
 * the only client admitted (tls/host-only-listener.ts); any other client certificate (or
 * none) is cut before a single RPC is read.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { handshakeLine, type HandshakeEnv } from "./handshake.js";
import type { Logger } from "./logging.js";
import { loadProtocol } from "./protocol/services.js";
import { createPluginCertificate } from "./tls/certificate.js";
import { listenForHost } from "./tls/host-only-listener.js";

/** A unary handler of the provider service: request message in, response message out. */
export type UnaryHandler = (request: unknown) => Promise<object>;
export type ProviderHandlers = Record<string, UnaryHandler>;

export interface PluginServer {
  /** The handshake line to print (with its newline). */
  readonly line: string;
  readonly socketPath: string;
  /** Resolves when the host asked for Shutdown (or close() was called). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

const SERVING = 1;

export async function startPluginServer(options: {
  readonly env: HandshakeEnv;
  readonly provider: ProviderHandlers;
  readonly logger: Logger;
  /** Called before the server closes on the host's Shutdown. */
  readonly onShutdown?: () => void;
}): Promise<PluginServer> {
  const { env, logger } = options;
  const protocol = loadProtocol();
  const certificate = createPluginCertificate();
  const server = new grpc.Server({ "grpc.max_receive_message_length": 256 * 1024 * 1024, "grpc.max_send_message_length": 256 * 1024 * 1024 });
  const socketPath = join(env.socketDir ?? tmpdir(), `jobgate-plugin-${randomBytes(6).toString("hex")}.sock`);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const openStreams = new Set<grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>>();
  let closing: Promise<void> | undefined;

  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      for (const stream of openStreams) stream.end();
      listener.close();
      server.tryShutdown(() => {
        rmSync(socketPath, { force: true });
        resolveClosed();
        resolve();
      });
      // Streams the host keeps open must not hold the exit up for long.
      setTimeout(() => server.forceShutdown(), 1000).unref();
    });
    return closing;
  };

  const providerImpl: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(protocol.provider)) {
    const handler = options.provider[name];
    providerImpl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      if (handler === undefined) {
        callback({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by terraform-provider-jobgate` });
        return;
      }
      const started = performance.now();
      logger.trace(`rpc ${name}: received`, { tf_rpc: name });
      handler(call.request).then(
        (response) => {
          logger.trace(`rpc ${name}: answered`, { tf_rpc: name, duration_ms: Math.round(performance.now() - started) });
          callback(null, response);
        },
        (error: unknown) => {
          logger.error(`rpc ${name}: ${(error as Error)?.stack ?? String(error)}`, { tf_rpc: name });
          callback({ code: grpc.status.INTERNAL, details: `terraform-provider-jobgate: ${(error as Error)?.message ?? String(error)}` });
        },
      );
    };
    void method;
  }
  server.addService(protocol.provider, providerImpl);

  server.addService(protocol.controller, {
    Shutdown: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      logger.debug("host asked for shutdown");
      options.onShutdown?.();
      callback(null, {});
      setImmediate(() => void close());
    },
  });
  server.addService(protocol.stdio, {
    StreamStdio: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      // Logs go to stderr directly; the stream stays open, empty, until we exit.
      openStreams.add(call);
      call.on("cancelled", () => openStreams.delete(call));
    },
  });
  server.addService(protocol.broker, {
    StartStream: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      openStreams.add(call);
      call.on("data", () => logger.debug("ignoring a broker message: this provider brokers no connections"));
      call.on("end", () => {
        openStreams.delete(call);
        call.end();
      });
      call.on("cancelled", () => openStreams.delete(call));
    },
  });
  server.addService(protocol.health, {
    Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const service = call.request.service;
      if (service === "" || service === "plugin") callback(null, { status: SERVING });
      else callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${JSON.stringify(service)}` });
    },
  });

  // TLS is the listener's (the host's certificate pinned there); gRPC runs over what it admits.
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const listener: Server = await listenForHost({
    socketPath,
    certificate,
    hostCert: env.clientCert,
    logger,
    onHostConnection: (socket) => injector.injectConnection(socket),
  });
  logger.debug("plugin server listening", { address: socketPath });
  return { line: handshakeLine(socketPath, certificate.der, env), socketPath, closed, close };
}
