/**
 * cty's msgpack encoding — how Terraform passes values over the plugin protocol
 * (DynamicValue.msgpack) — with @msgpack/msgpack, written from the published
 * object-wire-format description:
 *
 * - null is nil; strings are str; bools are bool;
 * - numbers are an int when whole and in int64, else a float64 when exact, else the
 *   decimal text as a str (decoding accepts all three, and big ints as well);
 * - lists, sets and tuples are arrays; maps and objects are maps keyed by string
 *   (an object always carries all of its attributes);
 * - an unknown value is any msgpack extension: code 0 for a plain unknown (encoded as
 *   one zero byte of payload), code 12 for a refined unknown whose payload is a map of
 *   refinements: 1 nullness (false: not null), 2 string prefix, 3/4 number lower/upper
 *   bound as [number, inclusive], 5/6 collection length lower/upper bound;
 * - a value of type `dynamic` is a 2-array [type JSON (bin or str), value], except an
 *   unknown of unknown type, which is the bare extension.
 *
 * Every error names the path of the value at fault (`.timeouts.create`, `.triggers["a"]`).
 */
import { decode, decodeMulti, encode, ExtData } from "@msgpack/msgpack";
import { collectionElement, describeType, typeFromJson, typeToJson, type CtyType } from "./types.js";
import { CtyNumber, Dynamic, isCtyNumber, isDynamic, isObjectValue, isUnknown, record, Unknown, type CtyValue, type Refinements } from "./values.js";

export const EXT_UNKNOWN = 0;
export const EXT_REFINED_UNKNOWN = 12;

const REFINE_NULLNESS = 1;
const REFINE_STRING_PREFIX = 2;
const REFINE_NUMBER_MIN = 3;
const REFINE_NUMBER_MAX = 4;
const REFINE_LENGTH_MIN = 5;
const REFINE_LENGTH_MAX = 6;
/** go-cty refuses refinement payloads above 1 KiB; so do we. */
const MAX_REFINEMENT_BYTES = 1024;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export class CtyCodecError extends Error {
  override name = "CtyCodecError";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path === "" ? "value" : path}: ${message}`);
  }
}

type Wire = null | string | boolean | number | bigint | Uint8Array | ExtData | Wire[] | { [key: string]: Wire };

/** The msgpack bytes of `value` as a value of `type`. */
export function encodeValue(value: CtyValue, type: CtyType): Uint8Array {
  return encode(toWire(value, type, ""), { useBigInt64: true });
}

/** The value in `bytes`, read as `type`. */
export function decodeValue(bytes: Uint8Array, type: CtyType): CtyValue {
  let wire: unknown;
  try {
    wire = decode(bytes, { useBigInt64: true });
  } catch (error) {
    throw new CtyCodecError("", `not valid msgpack: ${(error as Error).message}`);
  }
  return fromWire(wire, type, "");
}

/** A number as exact as JavaScript can hold it: a JS number when exact, else CtyNumber. */
export function ctyNumber(text: string): number | CtyNumber {
  const n = Number(text);
  if (Number.isFinite(n) && String(n) === text) return n;
  return new CtyNumber(text);
}

function toWire(value: CtyValue, type: CtyType, path: string): Wire {
  if (type === "dynamic" && value !== null && !isUnknown(value)) {
    if (!isDynamic(value)) throw new CtyCodecError(path, "a value of type dynamic must be a Dynamic (its own type with it)");
    return [new TextEncoder().encode(JSON.stringify(typeToJson(value.type))), toWire(value.value, value.type, path)];
  }
  if (value === null) return null;
  if (isUnknown(value)) return unknownToWire(value, type);
  if (type === "string") {
    if (typeof value !== "string") throw mismatch(path, type, value);
    return value;
  }
  if (type === "bool") {
    if (typeof value !== "boolean") throw mismatch(path, type, value);
    return value;
  }
  if (type === "number") return numberToWire(value, path);
  if (type === "dynamic") throw new CtyCodecError(path, "unreachable");
  if ("list" in type || "set" in type) {
    if (!Array.isArray(value)) throw mismatch(path, type, value);
    const element = collectionElement(type)!;
    return value.map((item, index) => toWire(item, element, `${path}[${index}]`));
  }
  if ("tuple" in type) {
    if (!Array.isArray(value) || value.length !== type.tuple.length) throw mismatch(path, type, value);
    return value.map((item, index) => toWire(item, type.tuple[index]!, `${path}[${index}]`));
  }
  if (!isObjectValue(value)) throw mismatch(path, type, value);
  const out = Object.create(null) as { [key: string]: Wire };
  if ("map" in type) {
    for (const key of Object.keys(value).sort()) out[key] = toWire(value[key]!, type.map, `${path}[${JSON.stringify(key)}]`);
    return out;
  }
  for (const key of Object.keys(value)) {
    if (!(key in type.object)) throw new CtyCodecError(path, `unsupported attribute ${JSON.stringify(key)} for ${describeType(type)}`);
  }
  for (const name of Object.keys(type.object).sort()) out[name] = toWire(value[name] ?? null, type.object[name]!, `${path}.${name}`);
  return out;
}

function numberToWire(value: CtyValue, path: string): Wire {
  if (typeof value === "number") {
    if (Number.isNaN(value)) throw new CtyCodecError(path, "NaN is not a number Terraform can hold");
    return value;
  }
  if (!isCtyNumber(value)) throw mismatch(path, "number", value);
  if (/^-?\d+$/.test(value.text)) {
    const big = BigInt(value.text);
    if (big >= INT64_MIN && big <= INT64_MAX) return big;
  }
  return value.text;
}

function unknownToWire(value: Unknown, type: CtyType): Wire {
  const r = value.refinements;
  const entries: [number, Wire][] = [];
  if (type !== "dynamic") {
    if (r.notNull === true) entries.push([REFINE_NULLNESS, false]);
    if (type === "string" && r.stringPrefix !== undefined && r.stringPrefix !== "") entries.push([REFINE_STRING_PREFIX, r.stringPrefix]);
    if (type === "number") {
      if (r.numberMin !== undefined) entries.push([REFINE_NUMBER_MIN, [r.numberMin.value, r.numberMin.inclusive]]);
      if (r.numberMax !== undefined) entries.push([REFINE_NUMBER_MAX, [r.numberMax.value, r.numberMax.inclusive]]);
    }
    if (collectionElement(type) !== undefined) {
      if (r.lengthMin !== undefined && r.lengthMin > 0) entries.push([REFINE_LENGTH_MIN, r.lengthMin]);
      if (r.lengthMax !== undefined) entries.push([REFINE_LENGTH_MAX, r.lengthMax]);
    }
  }
  // No refinement: the compact form every Terraform version reads.
  if (entries.length === 0) return new ExtData(EXT_UNKNOWN, new Uint8Array([0]));
  return new ExtData(EXT_REFINED_UNKNOWN, refinementMap(entries));
}

function fromWire(wire: unknown, type: CtyType, path: string): CtyValue {
  if (wire instanceof ExtData || isExtData(wire)) return unknownFromWire(wire as ExtData, type, path);
  if (type === "dynamic") return dynamicFromWire(wire, path);
  if (wire === null || wire === undefined) return null;
  if (type === "string") {
    if (typeof wire !== "string") throw mismatch(path, type, wire);
    return wire;
  }
  if (type === "bool") {
    if (typeof wire !== "boolean") throw mismatch(path, type, wire);
    return wire;
  }
  if (type === "number") return numberFromWire(wire, path);
  if ("list" in type || "set" in type) {
    if (!Array.isArray(wire)) throw mismatch(path, type, wire);
    const element = collectionElement(type)!;
    return wire.map((item, index) => fromWire(item, element, `${path}[${index}]`));
  }
  if ("tuple" in type) {
    if (!Array.isArray(wire) || wire.length !== type.tuple.length) throw mismatch(path, type, wire);
    return wire.map((item, index) => fromWire(item, type.tuple[index]!, `${path}[${index}]`));
  }
  if (typeof wire !== "object" || Array.isArray(wire) || wire instanceof Uint8Array || wire instanceof Map) throw mismatch(path, type, wire);
  const entries = wire as Record<string, unknown>;
  if ("map" in type) {
    return record(Object.keys(entries).map((key) => [key, fromWire(entries[key], type.map, `${path}[${JSON.stringify(key)}]`)] as const));
  }
  for (const key of Object.keys(entries)) {
    if (!(key in type.object)) throw new CtyCodecError(path, `unsupported attribute ${JSON.stringify(key)} for ${describeType(type)}`);
  }
  return record(Object.keys(type.object).map((name) => [name, fromWire(entries[name] ?? null, type.object[name]!, `${path}.${name}`)] as const));
}

function isExtData(value: unknown): boolean {
  // ExtData from another realm (jest's VM contexts load the module twice).
  return typeof value === "object" && value !== null && (value as ExtData).constructor?.name === "ExtData" && "type" in value && "data" in value;
}

function numberFromWire(wire: unknown, path: string): number | CtyNumber {
  if (typeof wire === "number") return wire;
  if (typeof wire === "bigint") return Number.isSafeInteger(Number(wire)) ? Number(wire) : new CtyNumber(wire.toString());
  if (typeof wire === "string") {
    if (wire === "Infinity" || wire === "+Infinity") return Infinity;
    if (wire === "-Infinity") return -Infinity;
    try {
      return ctyNumber(wire);
    } catch {
      throw new CtyCodecError(path, `${JSON.stringify(wire)} is not a number`);
    }
  }
  throw mismatch(path, "number", wire);
}

function dynamicFromWire(wire: unknown, path: string): CtyValue {
  if (wire === null || wire === undefined) return null;
  if (!Array.isArray(wire) || wire.length !== 2) throw new CtyCodecError(path, "a dynamic value must be a 2-array [type, value]");
  const [typeBytes, inner] = wire as [unknown, unknown];
  let typeJson: unknown;
  try {
    const text = typeof typeBytes === "string" ? typeBytes : new TextDecoder("utf-8", { fatal: true }).decode(typeBytes as Uint8Array);
    typeJson = JSON.parse(text);
  } catch {
    throw new CtyCodecError(path, "a dynamic value's type is not JSON");
  }
  let type: CtyType;
  try {
    type = typeFromJson(typeJson);
  } catch (error) {
    throw new CtyCodecError(path, (error as Error).message);
  }
  return new Dynamic(type, fromWire(inner, type, path));
}

function unknownFromWire(ext: ExtData, type: CtyType, path: string): CtyValue {
  const data = ext.data instanceof Uint8Array ? ext.data : new Uint8Array(0);
  // Zero or one byte: an unknown without refinements, whatever the code.
  if (data.length <= 1 || type === "dynamic") return new Unknown();
  if (ext.type !== EXT_REFINED_UNKNOWN) throw new CtyCodecError(path, `unsupported msgpack extension ${ext.type} with ${data.length} bytes`);
  if (data.length > MAX_REFINEMENT_BYTES) throw new CtyCodecError(path, "oversize unknown value refinement");
  let refinementsWire: unknown;
  try {
    // Only the first msgpack item counts; trailing bytes are reserved for later use.
    refinementsWire = decodeFirst(data);
  } catch {
    throw new CtyCodecError(path, "an unknown value's refinements are not msgpack");
  }
  const entries = refinementEntries(refinementsWire, path);
  const r: { -readonly [K in keyof Refinements]: Refinements[K] } = {};
  for (const [key, raw] of entries) {
    switch (key) {
      case REFINE_NULLNESS:
        if (typeof raw !== "boolean") throw new CtyCodecError(path, "the nullness refinement must be a bool");
        // "definitely null" collapses to a known null.
        if (raw) return null;
        r.notNull = true;
        break;
      case REFINE_STRING_PREFIX:
        if (type !== "string") throw new CtyCodecError(path, "a string prefix refinement on a non-string value");
        if (typeof raw !== "string") throw new CtyCodecError(path, "the string prefix refinement must be a string");
        r.stringPrefix = raw;
        break;
      case REFINE_NUMBER_MIN:
      case REFINE_NUMBER_MAX: {
        if (type !== "number") throw new CtyCodecError(path, "a number bound refinement on a non-number value");
        if (!Array.isArray(raw) || raw.length !== 2 || typeof raw[1] !== "boolean") {
          throw new CtyCodecError(path, "a number bound refinement must be [number, bool]");
        }
        const bound = numberFromWire(raw[0], path);
        const value = typeof bound === "number" ? bound : Number(bound.text);
        if (key === REFINE_NUMBER_MIN) r.numberMin = { value, inclusive: raw[1] };
        else r.numberMax = { value, inclusive: raw[1] };
        break;
      }
      case REFINE_LENGTH_MIN:
      case REFINE_LENGTH_MAX: {
        if (collectionElement(type) === undefined) throw new CtyCodecError(path, "a length refinement on a non-collection value");
        const bound = typeof raw === "bigint" ? Number(raw) : raw;
        if (typeof bound !== "number" || !Number.isInteger(bound)) throw new CtyCodecError(path, "a length refinement must be an integer");
        if (key === REFINE_LENGTH_MIN) r.lengthMin = bound;
        else r.lengthMax = bound;
        break;
      }
      default:
        // Refinements added by later versions are ignored, as go-cty does.
        break;
    }
  }
  return new Unknown(r);
}

/** Only the first msgpack item counts; trailing bytes are reserved for later use (go-cty). */
function decodeFirst(data: Uint8Array): unknown {
  for (const item of decodeMulti(data, { useBigInt64: true })) return item;
  throw new Error("empty");
}

/**
 * A msgpack map with small integer keys, written by hand: @msgpack/msgpack writes only
 * string-keyed objects. Fewer than 16 entries (a fixmap); keys are positive fixints.
 */
function refinementMap(entries: readonly [number, Wire][]): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([0x80 | entries.length])];
  for (const [key, value] of entries) parts.push(new Uint8Array([key]), encode(value, { useBigInt64: true }));
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function refinementEntries(wire: unknown, path: string): [number, unknown][] {
  if (wire instanceof Map) return [...wire.entries()].map(([k, v]) => [Number(k), v]);
  if (typeof wire === "object" && wire !== null && !Array.isArray(wire)) {
    // @msgpack/msgpack decodes integer map keys into object keys ("1").
    return Object.entries(wire).map(([k, v]) => [Number(k), v]);
  }
  throw new CtyCodecError(path, "an unknown value's refinements must be a map");
}

function mismatch(path: string, type: CtyType, value: unknown): CtyCodecError {
  return new CtyCodecError(path, `expected ${describeType(type)}, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return "bytes";
  if (typeof value === "bigint") return "a number";
  if (typeof value === "object") return "a map";
  return `a ${typeof value}`;
}
