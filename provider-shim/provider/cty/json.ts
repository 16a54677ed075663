/**
 * cty's JSON encoding, which Terraform uses for stored state (UpgradeResourceState's
 * `raw_state.json`): plain JSON by type, `dynamic` as `{ "value": …, "type": … }`. Unknown
 * values never appear in state. Attributes the current schema no longer has are dropped
 * (that is what upgrading a state means); missing ones read as null.
 */
import { CtyCodecError, ctyNumber } from "./msgpack.js";
import { collectionElement, describeType, typeFromJson, type CtyType } from "./types.js";
import { Dynamic, record, type CtyValue } from "./values.js";

/** Parses state JSON text (numbers as JSON.parse reads them: doubles). */
export function valueFromJsonText(text: string, type: CtyType): CtyValue {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CtyCodecError("", `not JSON: ${(error as Error).message}`);
  }
  return valueFromJson(json, type, "");
}

export function valueFromJson(json: unknown, type: CtyType, path = ""): CtyValue {
  if (json === null || json === undefined) return null;
  if (type === "dynamic") {
    if (typeof json !== "object" || Array.isArray(json) || !("type" in json)) {
      throw new CtyCodecError(path, 'a dynamic value in JSON must be { "value": …, "type": … }');
    }
    const inner = typeFromJson(json.type);
    return new Dynamic(inner, valueFromJson((json as { value?: unknown }).value, inner, path));
  }
  if (type === "string") {
    if (typeof json === "string") return json;
    // Terraform's own JSON converter accepts numbers and bools where strings go.
    if (typeof json === "number" || typeof json === "boolean") return String(json);
    throw wrong(path, type, json);
  }
  if (type === "number") {
    if (typeof json === "number") return json;
    if (typeof json === "string") return ctyNumber(json);
    throw wrong(path, type, json);
  }
  if (type === "bool") {
    if (typeof json === "boolean") return json;
    if (json === "true" || json === "false") return json === "true";
    throw wrong(path, type, json);
  }
  if ("list" in type || "set" in type) {
    if (!Array.isArray(json)) throw wrong(path, type, json);
    const element = collectionElement(type)!;
    return json.map((item, index) => valueFromJson(item, element, `${path}[${index}]`));
  }
  if ("tuple" in type) {
    if (!Array.isArray(json) || json.length !== type.tuple.length) throw wrong(path, type, json);
    return json.map((item, index) => valueFromJson(item, type.tuple[index]!, `${path}[${index}]`));
  }
  if (typeof json !== "object" || Array.isArray(json)) throw wrong(path, type, json);
  const entries = json as Record<string, unknown>;
  if ("map" in type) {
    return record(Object.keys(entries).map((key) => [key, valueFromJson(entries[key], type.map, `${path}[${JSON.stringify(key)}]`)] as const));
  }
  return record(Object.keys(type.object).map((name) => [name, valueFromJson(entries[name], type.object[name]!, `${path}.${name}`)] as const));
}

function wrong(path: string, type: CtyType, json: unknown): CtyCodecError {
  return new CtyCodecError(path, `expected ${describeType(type)}, got ${JSON.stringify(json)?.slice(0, 60)}`);
}
