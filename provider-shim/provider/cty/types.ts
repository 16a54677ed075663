/**
 * cty types — the type system of Terraform's values — as the plugin protocol spells them
 * in schemas and in `dynamic` values: JSON such as `"string"`, `["map","string"]`,
 * `["object",{"a":"number"}]`, `["tuple",["string","bool"]]`, `"dynamic"`.
 */

export type CtyPrimitive = "string" | "number" | "bool";

export type CtyType =
  | CtyPrimitive
  /** Any type: a value of it travels with its own type (see `Dynamic`). */
  | "dynamic"
  | { readonly list: CtyType }
  | { readonly set: CtyType }
  | { readonly map: CtyType }
  | { readonly object: Readonly<Record<string, CtyType>>; readonly optional?: readonly string[] }
  | { readonly tuple: readonly CtyType[] };

export class CtyTypeError extends Error {
  override name = "CtyTypeError";
}

/** The element type of a list, set or map; undefined for anything else. */
export function collectionElement(type: CtyType): CtyType | undefined {
  if (typeof type === "string") return undefined;
  if ("list" in type) return type.list;
  if ("set" in type) return type.set;
  if ("map" in type) return type.map;
  return undefined;
}

/** The JSON value of a type, as schemas and dynamic values carry it. */
export function typeToJson(type: CtyType): unknown {
  if (typeof type === "string") return type;
  if ("list" in type) return ["list", typeToJson(type.list)];
  if ("set" in type) return ["set", typeToJson(type.set)];
  if ("map" in type) return ["map", typeToJson(type.map)];
  if ("tuple" in type) return ["tuple", type.tuple.map(typeToJson)];
  const attributes: Record<string, unknown> = {};
  for (const name of Object.keys(type.object).sort()) attributes[name] = typeToJson(type.object[name]!);
  return type.optional !== undefined && type.optional.length > 0 ? ["object", attributes, [...type.optional].sort()] : ["object", attributes];
}

/** Parses the JSON value of a type; throws `CtyTypeError` naming what is wrong. */
export function typeFromJson(json: unknown): CtyType {
  if (json === "string" || json === "number" || json === "bool" || json === "dynamic") return json;
  if (!Array.isArray(json) || typeof json[0] !== "string") throw new CtyTypeError(`not a cty type: ${JSON.stringify(json)}`);
  const [kind, arg, extra] = json as [string, unknown, unknown];
  switch (kind) {
    case "list":
      return { list: typeFromJson(arg) };
    case "set":
      return { set: typeFromJson(arg) };
    case "map":
      return { map: typeFromJson(arg) };
    case "tuple":
      if (!Array.isArray(arg)) throw new CtyTypeError(`tuple type needs an array of element types, got ${JSON.stringify(arg)}`);
      return { tuple: arg.map(typeFromJson) };
    case "object": {
      if (arg === null || typeof arg !== "object" || Array.isArray(arg)) {
        throw new CtyTypeError(`object type needs an object of attribute types, got ${JSON.stringify(arg)}`);
      }
      const attributes = Object.create(null) as Record<string, CtyType>;
      for (const [name, attr] of Object.entries(arg)) attributes[name] = typeFromJson(attr);
      if (extra === undefined) return { object: attributes };
      if (!Array.isArray(extra) || !extra.every((name) => typeof name === "string")) {
        throw new CtyTypeError(`object type's optional attributes must be an array of names, got ${JSON.stringify(extra)}`);
      }
      return { object: attributes, optional: extra };
    }
    default:
      throw new CtyTypeError(`unknown cty type kind ${JSON.stringify(kind)}`);
  }
}

/** `string`, `list(string)`, `object({a=number})`: how Terraform writes types in messages. */
export function describeType(type: CtyType): string {
  if (typeof type === "string") return type;
  if ("list" in type) return `list(${describeType(type.list)})`;
  if ("set" in type) return `set(${describeType(type.set)})`;
  if ("map" in type) return `map(${describeType(type.map)})`;
  if ("tuple" in type) return `tuple([${type.tuple.map(describeType).join(", ")}])`;
  return `object({${Object.keys(type.object)
    .sort()
    .map((name) => `${name}=${describeType(type.object[name]!)}`)
    .join(", ")}})`;
}
