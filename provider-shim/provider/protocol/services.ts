/**
 * The gRPC services of the protocol, built at start from the parsed .proto files
 * (proto-sources.ts) by @grpc/proto-loader.
 *
 * Messages as handlers see them: field names as in the .proto (snake_case), int64 as JS
 * numbers, enums as numbers, bytes as Buffers, absent fields filled with their defaults,
 * and `oneof` fields named by a virtual property (`selector: "attribute_name"`).
 */
import * as grpc from "@grpc/grpc-js";
import { fromJSON } from "@grpc/proto-loader";
import { protoDescriptor } from "./proto-sources.js";

export interface Protocol {
  readonly provider: grpc.ServiceDefinition;
  readonly controller: grpc.ServiceDefinition;
  readonly stdio: grpc.ServiceDefinition;
  readonly broker: grpc.ServiceDefinition;
  readonly health: grpc.ServiceDefinition;
  /** Client constructors, for tests and tools that speak to a provider. */
  readonly clients: {
    readonly Provider: grpc.ServiceClientConstructor;
    readonly GRPCController: grpc.ServiceClientConstructor;
    readonly GRPCStdio: grpc.ServiceClientConstructor;
    readonly GRPCBroker: grpc.ServiceClientConstructor;
    readonly Health: grpc.ServiceClientConstructor;
  };
}

let loaded: Protocol | undefined;

export function loadProtocol(): Protocol {
  if (loaded !== undefined) return loaded;
  const definition = fromJSON(protoDescriptor(), { keepCase: true, longs: Number, enums: Number, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    tfplugin6: { Provider: grpc.ServiceClientConstructor };
    plugin: { GRPCController: grpc.ServiceClientConstructor; GRPCStdio: grpc.ServiceClientConstructor; GRPCBroker: grpc.ServiceClientConstructor };
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  const clients = {
    Provider: pkg.tfplugin6.Provider,
    GRPCController: pkg.plugin.GRPCController,
    GRPCStdio: pkg.plugin.GRPCStdio,
    GRPCBroker: pkg.plugin.GRPCBroker,
    Health: pkg.grpc.health.v1.Health,
  };
  loaded = {
    provider: clients.Provider.service,
    controller: clients.GRPCController.service,
    stdio: clients.GRPCStdio.service,
    broker: clients.GRPCBroker.service,
    health: clients.Health.service,
    clients,
  };
  return loaded;
}
