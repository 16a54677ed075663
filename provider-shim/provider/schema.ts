/**
 * Schemas as this provider declares them, and their two projections: the protocol's
 * `Schema` message (GetProviderSchema) and the cty object type every value of the
 * resource has on the wire. Nested blocks are SINGLE-nested (`timeouts { … }`), which
 * read as an object or null.
 */
import { typeToJson, type CtyType } from "./cty/types.js";

export interface AttributeSpec {
  readonly name: string;
  readonly type: CtyType;
  /** Markdown; shown by `terraform providers schema -json` and registries. */
  readonly description: string;
  readonly required?: boolean;
  readonly optional?: boolean;
  readonly computed?: boolean;
  readonly sensitive?: boolean;
}

export interface BlockSpec {
  readonly description: string;
  readonly attributes: readonly AttributeSpec[];
  readonly blocks?: readonly NestedBlockSpec[];
}

export interface NestedBlockSpec {
  readonly typeName: string;
  /** Only SINGLE: at most one block, an object or null. */
  readonly nesting: "single";
  readonly block: BlockSpec;
}

export interface SchemaSpec {
  readonly version: number;
  readonly block: BlockSpec;
}

const NESTING_SINGLE = 1;
const STRING_KIND_MARKDOWN = 1;

export function objectTypeOf(block: BlockSpec): CtyType {
  const attributes: Record<string, CtyType> = {};
  for (const attr of block.attributes) attributes[attr.name] = attr.type;
  for (const nested of block.blocks ?? []) attributes[nested.typeName] = objectTypeOf(nested.block);
  return { object: attributes };
}

export function schemaMessage(schema: SchemaSpec): object {
  return { version: schema.version, block: blockMessage(schema.block) };
}

function blockMessage(block: BlockSpec): object {
  return {
    version: 0,
    description: block.description,
    description_kind: STRING_KIND_MARKDOWN,
    attributes: block.attributes.map((attr) => ({
      name: attr.name,
      type: Buffer.from(JSON.stringify(typeToJson(attr.type))),
      description: attr.description,
      description_kind: STRING_KIND_MARKDOWN,
      required: attr.required === true,
      optional: attr.optional === true,
      computed: attr.computed === true,
      sensitive: attr.sensitive === true,
    })),
    block_types: (block.blocks ?? []).map((nested) => ({
      type_name: nested.typeName,
      nesting: NESTING_SINGLE,
      block: blockMessage(nested.block),
    })),
  };
}
