/**
 * The text of the protocol's .proto files. Read from beside this module (the build copies
 * them into dist/); the single-file provider bundle replaces this module with the same
 * texts inlined (build-bundle.ts), so it needs no file next to it.
 */
import { readFileSync } from "node:fs";

export const PROTO_FILES = ["tfplugin6.proto", "go-plugin.proto", "health.proto"] as const;
export type ProtoFile = (typeof PROTO_FILES)[number];

export function protoSource(file: ProtoFile): string {
  return readFileSync(new URL(`./${file}`, import.meta.url), "utf8");
}
