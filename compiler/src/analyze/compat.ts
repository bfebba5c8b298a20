import { type Type as IrType, type SchemaMismatch, schemaMismatch, type TableSchemaType } from "@canal/ir";

/** How a type reads in a message: `Table`, `number[]`, `"a" | "b"`, `{ lr: number }`. */
export function describeType(type: IrType): string {
  if ("primitive" in type) return type.primitive.toLowerCase();
  if ("artifact" in type) {
    const name = type.artifact.lineage[0] ?? "Artifact";
    // A Table declared with a schema, as it was written: `Table<typeof WineRow>`.
    const schema = type.artifact.table?.schemaName;
    return schema && name === "Table" ? `Table<typeof ${schema}>` : name;
  }
  if ("list" in type) {
    const element = describeType(type.list.element);
    return element.includes(" ") ? `(${element})[]` : `${element}[]`;
  }
  if ("enum" in type) return type.enum.valuesJson.join(" | ");
  if (type.object.schemaName) return type.object.schemaName;
  const fields = type.object.fields.map((f) => `${f.name}${f.optional ? "?" : ""}: ${describeType(f.type)}`);
  return `{ ${fields.join("; ")} }`;
}

function enumPrimitive(valuesJson: string[]): "STRING" | "NUMBER" {
  return valuesJson.every((v) => v.startsWith('"')) ? "STRING" : "NUMBER";
}

/**
 * Whether a value of type `actual` may be bound where `expected` is declared: artifacts by
 * lineage (a Checkpoint is a Model), enums within their primitive or a wider enum, lists
 * element-wise, objects field by field (extra fields allowed).
 */
export function accepts(expected: IrType, actual: IrType): boolean {
  if ("artifact" in expected) {
    const wanted = expected.artifact.lineage[0];
    if (!("artifact" in actual) || wanted === undefined || !actual.artifact.lineage.includes(wanted))
      return false;
    const [want, have] = [expected.artifact.table, actual.artifact.table];
    return !want || !have || tableMismatch(want, have) === undefined;
  }
  if ("primitive" in expected) {
    if ("primitive" in actual) return actual.primitive === expected.primitive;
    return "enum" in actual && enumPrimitive(actual.enum.valuesJson) === expected.primitive;
  }
  if ("enum" in expected) {
    return "enum" in actual && actual.enum.valuesJson.every((v) => expected.enum.valuesJson.includes(v));
  }
  if ("list" in expected) return "list" in actual && accepts(expected.list.element, actual.list.element);
  if (!("object" in actual)) return false;
  return expected.object.fields.every((field) => {
    const given = actual.object.fields.find((f) => f.name === field.name);
    if (!given) return field.optional === true;
    return accepts(field.type, given.type);
  });
}

/** The type of a member of a value: `cfg.model.depth` -> the type of field `depth`. */
export function memberType(type: IrType, path: string[]): IrType | undefined {
  let current: IrType | undefined = type;
  for (const name of path) {
    if (!current || !("object" in current)) return undefined;
    current = current.object.fields.find((f) => f.name === name)?.type;
  }
  return current;
}

/** The narrowest IR type of a literal written in a pipeline body (`0.1` is an enum of one number). */
export function literalType(value: unknown): IrType | undefined {
  if (typeof value === "boolean") return { primitive: "BOOLEAN" };
  if (typeof value === "string" || typeof value === "number")
    return { enum: { valuesJson: [JSON.stringify(value)] } };
  if (Array.isArray(value)) {
    const elements = value.map(literalType);
    if (elements.some((e) => e === undefined)) return undefined;
    const first = elements[0];
    if (!first) return { list: { element: { primitive: "NUMBER" } } };
    const merged = elements
      .slice(1)
      .reduce<IrType | undefined>((acc, e) => (acc ? widen(acc, e as IrType) : acc), first);
    return merged ? { list: { element: merged } } : undefined;
  }
  if (value !== null && typeof value === "object") {
    const fields = [];
    for (const [name, field] of Object.entries(value)) {
      const type = literalType(field);
      if (!type) return undefined;
      fields.push({ name, type });
    }
    return { object: { fields } };
  }
  return undefined;
}

/** The smallest type holding both (used for the elements of a literal array). */
function widen(a: IrType, b: IrType): IrType | undefined {
  if ("enum" in a && "enum" in b) {
    if (enumPrimitive(a.enum.valuesJson) !== enumPrimitive(b.enum.valuesJson)) return undefined;
    const values = [...a.enum.valuesJson];
    for (const v of b.enum.valuesJson) if (!values.includes(v)) values.push(v);
    return { enum: { valuesJson: values } };
  }
  if (accepts(a, b)) return a;
  if (accepts(b, a)) return b;
  return undefined;
}

/** Whether a literal written in the pipeline body fits a declared type. */
export function acceptsValue(expected: IrType, value: unknown): boolean {
  if ("artifact" in expected) return false;
  if ("primitive" in expected) return typeof value === expected.primitive.toLowerCase();
  if ("enum" in expected) return expected.enum.valuesJson.includes(JSON.stringify(value));
  if ("list" in expected)
    return Array.isArray(value) && value.every((v) => acceptsValue(expected.list.element, v));
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return expected.object.fields.every((field) =>
    field.name in record ? acceptsValue(field.type, record[field.name]) : field.optional === true,
  );
}

/** Why a table with columns `actual` cannot be read where columns `expected` are declared. */
export type TableMismatch = SchemaMismatch<TableSchemaType["columns"][number]>;

/**
 * The first declared column that a table of schema `actual` does not provide as `expected`
 * declares it (the one rule of `@canal/ir`'s `columnFits`). Extra columns are allowed.
 */
export function tableMismatch(expected: TableSchemaType, actual: TableSchemaType): TableMismatch | undefined {
  return schemaMismatch(expected, actual);
}

/** The artifact table schema a type declares, directly or as a list's element. */
export function tableSchemaOf(type: IrType | undefined): TableSchemaType | undefined {
  if (!type) return undefined;
  if ("list" in type) return tableSchemaOf(type.list.element);
  return "artifact" in type ? type.artifact.table : undefined;
}
