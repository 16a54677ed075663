/**
 * The cty value codec (provider-shim/provider/cty): round trips by property (fast-check)
 * over random types and values, and the wire facts Terraform relies on, byte for byte.
 */
import { decode, encode, ExtData } from "@msgpack/msgpack";
import fc from "fast-check";
import { valueFromJsonText } from "../provider-shim/provider/cty/json.js";
import { CtyCodecError, decodeValue, encodeValue } from "../provider-shim/provider/cty/msgpack.js";
import { typeFromJson, typeToJson, type CtyType } from "../provider-shim/provider/cty/types.js";
import { CtyNumber, Dynamic, isUnknown, record, unknown, type CtyValue, type Refinements } from "../provider-shim/provider/cty/values.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** Attribute and map keys: any string but "__proto__", which @msgpack/msgpack refuses to decode. */
const key = fc.string({ maxLength: 8 }).filter((k) => k !== "__proto__");

const typeArb: fc.Arbitrary<CtyType> = fc.letrec<{ type: CtyType }>((tie) => ({
  type: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom<CtyType>("string", "number", "bool", "dynamic"),
    tie("type").map((t) => ({ list: t })),
    tie("type").map((t) => ({ set: t })),
    tie("type").map((t) => ({ map: t })),
    fc.dictionary(key, tie("type"), { maxKeys: 4 }).map((attrs) => ({ object: attrs })),
    fc.array(tie("type"), { maxLength: 3 }).map((ts) => ({ tuple: ts })),
  ),
})).type;

/** Doubles cty can hold (no NaN; -0 reads back as 0, both in cty and here). */
const double = fc.double({ noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n));
/** Numbers a double cannot hold exactly: big integers and long decimals, as text. */
const bigNumber = fc.oneof(
  fc.bigInt({ min: 2n ** 60n, max: 2n ** 90n }).map((n) => new CtyNumber(n.toString())),
  fc.bigInt({ min: -(2n ** 90n), max: -(2n ** 60n) }).map((n) => new CtyNumber(n.toString())),
  fc
    .tuple(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 17, max: 30 }))
    .map(([n, scale]) => new CtyNumber(`0.${n.toString().padStart(scale, "0")}1`)),
);

function refinementsFor(type: CtyType): fc.Arbitrary<Refinements> {
  const notNull = fc.option(fc.constant(true), { nil: undefined });
  if (type === "string")
    return fc.record({ notNull, stringPrefix: fc.option(fc.string({ minLength: 1, maxLength: 6 }), { nil: undefined }) }, { requiredKeys: [] });
  if (type === "number") {
    const bound = fc.option(fc.record({ value: fc.integer({ min: -1000, max: 1000 }), inclusive: fc.boolean() }), { nil: undefined });
    return fc.record({ notNull, numberMin: bound, numberMax: bound }, { requiredKeys: [] });
  }
  if (typeof type !== "string" && ("list" in type || "set" in type || "map" in type)) {
    const length = fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined });
    return fc.record({ notNull, lengthMin: length, lengthMax: length }, { requiredKeys: [] });
  }
  if (type === "dynamic") return fc.constant({});
  return fc.record({ notNull }, { requiredKeys: [] });
}

function strip(r: Refinements): Refinements {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
}

function valueOf(type: CtyType, depth = 0): fc.Arbitrary<CtyValue> {
  const special = fc.oneof(
    fc.constant(null),
    refinementsFor(type).map((r) => unknown(strip(r))),
  );
  return fc.oneof({ weight: 1, arbitrary: special }, { weight: 4, arbitrary: knownOf(type, depth) });
}

function knownOf(type: CtyType, depth: number): fc.Arbitrary<CtyValue> {
  if (type === "string") return fc.string({ unit: "binary", maxLength: 12 });
  if (type === "bool") return fc.boolean();
  if (type === "number") return fc.oneof(fc.integer(), fc.maxSafeInteger(), double, bigNumber);
  if (type === "dynamic") {
    if (depth > 2) return fc.string().map((s) => new Dynamic("string", s));
    return typeArb.chain((inner) => valueOf(inner, depth + 1).map((v) => new Dynamic(inner, v)));
  }
  if ("list" in type || "set" in type) return fc.array(valueOf("list" in type ? type.list : type.set, depth + 1), { maxLength: 4 });
  if ("tuple" in type) return fc.tuple(...type.tuple.map((t) => valueOf(t, depth + 1)));
  if ("map" in type) return fc.dictionary(key, valueOf(type.map, depth + 1), { maxKeys: 4 }).map((o) => record(Object.entries(o)));
  const names = Object.keys(type.object);
  return fc.tuple(...names.map((n) => valueOf(type.object[n]!, depth + 1))).map((vs) => record(names.map((n, i) => [n, vs[i]!])));
}

/** Plain data for comparison (class instances as tagged objects). */
function plain(value: CtyValue): unknown {
  if (isUnknown(value)) return { unknown: strip(value.refinements) };
  if (value instanceof Dynamic) return { dynamic: typeToJson(value.type), value: plain(value.value) };
  if (value instanceof CtyNumber) return { number: value.text };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

describe("cty msgpack codec", () => {
  test("decode(encode(v)) is v, for random types and values", () => {
    fc.assert(
      fc.property(
        typeArb.chain((type) => fc.tuple(fc.constant(type), valueOf(type))),
        ([type, value]) => {
          const bytes = encodeValue(value, type);
          expect(plain(decodeValue(bytes, type))).toEqual(plain(value));
        },
      ),
      { numRuns: 400 },
    );
  });

  test("type JSON round-trips", () => {
    fc.assert(
      fc.property(typeArb, (type) => expect(typeToJson(typeFromJson(typeToJson(type)))).toEqual(typeToJson(type))),
      { numRuns: 300 },
    );
  });

  test("an unknown is extension 0 with one zero byte (d4 00 00), as go-cty writes it", () => {
    expect(hex(encodeValue(unknown(), "string"))).toBe("d40000");
    // A refinement that does not apply to the type is left out, so the compact form is used.
    expect(hex(encodeValue(unknown({ stringPrefix: "job_" }), "number"))).toBe("d40000");
  });

  test("any extension code with an empty or one-byte payload reads as unknown", () => {
    for (const code of [0, 1, 5, 12, 127]) {
      for (const data of [new Uint8Array(0), new Uint8Array([7])]) {
        expect(isUnknown(decodeValue(encode(new ExtData(code, data)), "string"))).toBe(true);
      }
    }
    expect(isUnknown(decodeValue(encode(new ExtData(3, new Uint8Array(0))), { list: "number" }))).toBe(true);
  });

  test("a refined unknown is extension 12 holding a map of refinements", () => {
    const bytes = encodeValue(unknown({ notNull: true, stringPrefix: "job_" }), "string");
    // c7 09 0c | 82 | 01 c2 | 02 a4 "job_"
    expect(hex(bytes)).toBe("c7090c" + "82" + "01c2" + "02a46a6f625f");
    const back = decodeValue(bytes, "string");
    expect(isUnknown(back) && back.refinements).toEqual({ notNull: true, stringPrefix: "job_" });
    const range = decodeValue(
      encodeValue(unknown({ notNull: true, numberMin: { value: 0, inclusive: true }, numberMax: { value: 1, inclusive: true } }), "number"),
      "number",
    );
    expect(isUnknown(range) && range.refinements).toEqual({
      notNull: true,
      numberMin: { value: 0, inclusive: true },
      numberMax: { value: 1, inclusive: true },
    });
  });

  test("refinement maps ignore keys they do not know and bytes after the map", () => {
    // { 1: false, 99: "later" } then a trailing byte
    const payload = new Uint8Array([0x82, 0x01, 0xc2, 0x63, ...encode("later"), 0xc0]);
    const value = decodeValue(encode(new ExtData(12, payload)), "string");
    expect(isUnknown(value) && value.refinements).toEqual({ notNull: true });
    // A refinement for another kind of value is an error, naming the path.
    const bad = new Uint8Array([0x81, 0x02, ...encode("x")]);
    expect(() => decodeValue(encode({ a: new ExtData(12, bad) }), { object: { a: "number" } })).toThrow(".a: a string prefix refinement on a non-string value");
  });

  test("numbers: int, float64 and the big-decimal string form", () => {
    expect(hex(encodeValue(42, "number"))).toBe("2a");
    expect(hex(encodeValue(0.5, "number"))).toBe("cb3fe0000000000000");
    expect(hex(encodeValue(new CtyNumber("18446744073709551617"), "number"))).toBe(hex(encode("18446744073709551617")));
    expect(hex(encodeValue(new CtyNumber("9007199254740993"), "number"))).toBe("cf0020000000000001");
    expect(decodeValue(encode("0.1"), "number")).toBe(0.1);
    expect(decodeValue(encode("123456789012345678901234567890"), "number")).toEqual(new CtyNumber("123456789012345678901234567890"));
    expect(decodeValue(encode(2n ** 62n, { useBigInt64: true }), "number")).toEqual(new CtyNumber(String(2n ** 62n)));
    expect(() => decodeValue(encode("ten"), "number")).toThrow('"ten" is not a number');
  });

  test("dynamic values are [type JSON, value]; the type may come as bin or str", () => {
    const bytes = encodeValue(new Dynamic({ list: "string" }, ["a"]), "dynamic");
    const wire = decode(bytes) as [Uint8Array, string[]];
    expect(new TextDecoder().decode(wire[0])).toBe('["list","string"]');
    expect(wire[1]).toEqual(["a"]);
    expect(plain(decodeValue(encode(['"number"', 3]), "dynamic"))).toEqual({ dynamic: "number", value: 3 });
    expect(isUnknown(decodeValue(encodeValue(unknown(), "dynamic"), "dynamic"))).toBe(true);
    expect(decodeValue(encode(null), "dynamic")).toBeNull();
  });

  test("objects carry every attribute; maps keep any key", () => {
    const type: CtyType = { object: { a: "string", b: { map: "string" } } };
    expect(decode(encodeValue(record([["a", "x"]]), type))).toEqual({ a: "x", b: null });
    expect(plain(decodeValue(encodeValue(record([["b", record([["constructor", "y"]])]]), type), type))).toEqual({ a: null, b: { constructor: "y" } });
  });

  test("errors name the path and what was expected", () => {
    const type: CtyType = { object: { triggers: { map: "string" } } };
    expect(() => decodeValue(encode({ triggers: { k: 3 } }), type)).toThrow(CtyCodecError);
    expect(() => decodeValue(encode({ triggers: { k: 3 } }), type)).toThrow('.triggers["k"]: expected string, got a number');
    expect(() => decodeValue(encode({ other: 1 }), type)).toThrow('unsupported attribute "other"');
    expect(() => encodeValue(record([["a", 1]]), { object: { a: "string" } })).toThrow(".a: expected string, got a number");
    expect(() => decodeValue(new Uint8Array([0xc1]), "string")).toThrow("not valid msgpack");
  });

  test("state JSON reads into the schema's type, dropping attributes it no longer has", () => {
    const type: CtyType = { object: { job_id: "string", progress: "number", triggers: { map: "string" }, timeouts: { object: { create: "string" } } } };
    const value = valueFromJsonText('{"job_id":"job_1","progress":0.5,"triggers":{"a":"b"},"timeouts":null,"gone":true}', type);
    expect(plain(value)).toEqual({ job_id: "job_1", progress: 0.5, triggers: { a: "b" }, timeouts: null });
  });
});
