/**
 * The protocol's .proto files, parsed. Read from beside this module (the build copies them
 * into dist/); the single-file provider bundle replaces this module with the parsed result
 * inlined as JSON (build-bundle.ts), so it needs no file next to it and parses nothing at start.
 */
import { readFileSync } from "node:fs";
import protobuf from "protobufjs";

export const PROTO_FILES = ["tfplugin6.proto", "go-plugin.proto", "health.proto"] as const;
export type ProtoFile = (typeof PROTO_FILES)[number];

export function protoSource(file: ProtoFile): string {
  return readFileSync(new URL(`./${file}`, import.meta.url), "utf8");
}

/** protobufjs's JSON descriptor of all the files (what protocol/services.ts builds the services from). */
export function protoDescriptor(): protobuf.INamespace {
  const root = new protobuf.Root();
  for (const file of PROTO_FILES) protobuf.parse(protoSource(file), root, { keepCase: true });
  return root.toJSON();
}
