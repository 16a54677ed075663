/**
 * The gRPC services of the protocol, built at start from the parsed .proto files
 * (proto-sources.ts): protobufjs's light runtime encodes and decodes the messages, grpc-js
 * serves them. (No @grpc/proto-loader at run time: it parses descriptor.proto when it loads,
 * and a provider is started several times per Terraform command.)
 *
 * Messages as handlers see them: field names as in the .proto (snake_case), int64 as JS
 * numbers, enums as numbers, bytes as Buffers, absent fields filled with their defaults, and
 * `oneof` fields named by a virtual property (`selector: "attribute_name"`).
 */
import type * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs/light.js";
import { protoDescriptor } from "./proto-sources.js";

export interface Protocol {
  readonly provider: grpc.ServiceDefinition;
  readonly controller: grpc.ServiceDefinition;
  readonly stdio: grpc.ServiceDefinition;
  readonly broker: grpc.ServiceDefinition;
  readonly health: grpc.ServiceDefinition;
}

const CONVERSION: protobuf.IConversionOptions = { longs: Number, enums: Number, defaults: true, oneofs: true, arrays: true, objects: true };

let loaded: Protocol | undefined;

function serviceDefinition(root: protobuf.Root, fullName: string): grpc.ServiceDefinition {
  const service = root.lookupService(fullName);
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${fullName}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (value) => Buffer.from(request.encode(request.fromObject(value)).finish()),
      requestDeserialize: (bytes) => request.toObject(request.decode(bytes), CONVERSION),
      responseSerialize: (value) => Buffer.from(response.encode(response.fromObject(value)).finish()),
      responseDeserialize: (bytes) => response.toObject(response.decode(bytes), CONVERSION),
      originalName: method.name,
    };
  }
  return definition;
}

export function loadProtocol(): Protocol {
  if (loaded !== undefined) return loaded;
  const root = protobuf.Root.fromJSON(protoDescriptor());
  const provider = serviceDefinition(root, "tfplugin6.Provider");
  const controller = serviceDefinition(root, "plugin.GRPCController");
  const stdio = serviceDefinition(root, "plugin.GRPCStdio");
  const broker = serviceDefinition(root, "plugin.GRPCBroker");
  const health = serviceDefinition(root, "grpc.health.v1.Health");
  loaded = { provider, controller, stdio, broker, health };
  return loaded;
}
