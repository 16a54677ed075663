/**
 * Terraform values in JavaScript, for the codec (msgpack.ts) and the resources:
 *
 *   null                    a null of any type
 *   Unknown                 a value known only after apply, with its refinements
 *   string, boolean         string, bool
 *   number | CtyNumber      number: a JS number when it is exact, else the decimal text
 *   CtyValue[]              list, set, tuple
 *   CtyObject               map, object (own enumerable keys; a null prototype)
 *   Dynamic                 a value of type `dynamic`, carrying its own type
 */
import type { CtyType } from "./types.js";

/** What an unknown value is already known to be (go-cty's "refinements"). */
export interface Refinements {
  /** The value will not be null. */
  readonly notNull?: boolean;
  /** Strings: the value will start with this. */
  readonly stringPrefix?: string;
  /** Numbers: lower and upper bounds. */
  readonly numberMin?: { readonly value: number; readonly inclusive: boolean };
  readonly numberMax?: { readonly value: number; readonly inclusive: boolean };
  /** Collections: bounds on the length. */
  readonly lengthMin?: number;
  readonly lengthMax?: number;
}

const UNKNOWN = Symbol.for("jobgate.cty.unknown");

export class Unknown {
  readonly [UNKNOWN] = true;
  constructor(readonly refinements: Refinements = {}) {}
}

/** An unknown value; with refinements, a promise about what it will be. */
export function unknown(refinements: Refinements = {}): Unknown {
  return new Unknown(refinements);
}

/** Works across realms (jest runs tests in another VM context). */
export function isUnknown(value: unknown): value is Unknown {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[UNKNOWN] === true;
}

/** A number JavaScript cannot hold exactly (a big integer or a long decimal), as decimal text. */
export class CtyNumber {
  readonly ctyNumber = true;
  constructor(readonly text: string) {
    if (!/^-?(\d+)(\.\d+)?([eE][-+]?\d+)?$/.test(text)) throw new Error(`not a decimal number: ${JSON.stringify(text)}`);
  }
  toString(): string {
    return this.text;
  }
}

export function isCtyNumber(value: unknown): value is CtyNumber {
  return typeof value === "object" && value !== null && (value as CtyNumber).ctyNumber === true && typeof (value as CtyNumber).text === "string";
}

/** A value whose type is only known at run time (type constraint `dynamic`). */
export class Dynamic {
  readonly ctyDynamic = true;
  constructor(
    readonly type: CtyType,
    readonly value: CtyValue,
  ) {}
}

export function isDynamic(value: unknown): value is Dynamic {
  return typeof value === "object" && value !== null && (value as Dynamic).ctyDynamic === true;
}

export type CtyObject = { [name: string]: CtyValue };
export type CtyValue = null | Unknown | string | boolean | number | CtyNumber | CtyValue[] | CtyObject | Dynamic;

/** An object with no prototype, so that any key (even `constructor`) is just a key. */
export function record(entries: Iterable<readonly [string, CtyValue]> = []): CtyObject {
  const out = Object.create(null) as CtyObject;
  for (const [key, value] of entries) out[key] = value;
  return out;
}

export function isObjectValue(value: CtyValue): value is CtyObject {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !isUnknown(value) && !isCtyNumber(value) && !isDynamic(value);
}
