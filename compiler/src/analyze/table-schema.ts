// A Table's declared schema, read from its type: `Table<typeof WineRow>` with
// `const WineRow = z.object({ ph: z.number(), quality: z.int(), grape: z.string().nullable() })`.
// The columns come from the row type the SDK derives (`z.output` of the schema), so whatever zod
// can say about a field (coercion, enums, transforms) reaches the compiler as the value it yields;
// the field's own schema says what its output type cannot: an integer (`z.int()`,
// `z.number().int()`) and an ISO date-time string (`z.iso.datetime()`).

import type { ColumnType, TableSchemaType } from "@canal/ir";
import { type Symbol as MorphSymbol, Node, type Type, type TypeNode } from "ts-morph";
import { isSdkSymbol, resolveAlias } from "./sdk.js";

/** Where a declared schema is written, for messages that name both ends of a binding. */
export interface SchemaOrigin {
  /** Absolute path of the file declaring the zod schema. */
  file: string;
  line: number;
}

/** The place each table schema of the IR was read from (kept beside the IR, not in it). */
const origins = new WeakMap<TableSchemaType, SchemaOrigin>();

export function schemaOrigin(schema: TableSchemaType): SchemaOrigin | undefined {
  return origins.get(schema);
}

export type TableReading =
  | { table: TableSchemaType | undefined }
  | { reason: string; fix: string; path: string[] };

const columnFix =
  "declare the column as z.string(), z.number(), z.int(), z.boolean() or z.date(), optionally .nullable()";

/** The schema argument of the SDK's Table in `type` or its bases, or undefined when it has none. */
function schemaArgument(type: Type): Type | undefined {
  let current: Type | undefined = type;
  for (let depth = 0; current && depth < 32; depth++) {
    const symbol = current.getSymbol();
    if (symbol?.getName() === "Table" && isSdkSymbol(symbol)) {
      const argument = current.getTypeArguments()[0];
      return argument && !argument.isAny() && !argument.isUndefined() ? argument : undefined;
    }
    current = (current.getTargetType() ?? current).getBaseTypes()[0];
  }
  return undefined;
}

/** The type a property of `type` has, seen from `at`. */
function propertyType(type: Type, name: string, at: Node): Type | undefined {
  return type.getProperty(name)?.getTypeAtLocation(at);
}

/** `z.number().int()`, `z.coerce.number().int().min(0)`: a call chain that asks for an integer. */
function chainAsksForInteger(node: Node | undefined): boolean {
  let current = node;
  for (let depth = 0; current && depth < 64; depth++) {
    if (Node.isCallExpression(current)) {
      const callee = current.getExpression();
      if (Node.isPropertyAccessExpression(callee)) {
        if (["int", "safe", "int32", "uint32"].includes(callee.getName())) return true;
        current = callee.getExpression();
        continue;
      }
      return false;
    }
    if (Node.isPropertyAccessExpression(current)) {
      current = current.getExpression();
      continue;
    }
    return false;
  }
  return false;
}

const integerSchemas = new Set(["ZodInt", "ZodInt32", "ZodUInt32", "ZodBigInt", "ZodCoercedBigInt"]);
const dateTimeSchemas = new Set(["ZodISODateTime", "ZodISODate", "ZodDate", "ZodCoercedDate"]);
const wrappers = new Set([
  "ZodOptional",
  "ZodNullable",
  "ZodDefault",
  "ZodPrefault",
  "ZodCatch",
  "ZodReadonly",
]);

/** The zod schema type of a field, unwrapped from optional/nullable/default. */
function unwrapped(schema: Type | undefined): Type | undefined {
  let current = schema;
  for (let depth = 0; current && depth < 16; depth++) {
    const name = current.getSymbol()?.getName() ?? "";
    if (!wrappers.has(name)) return current;
    current = current.getTypeArguments()[0];
  }
  return current;
}

function declarationNode(symbol: MorphSymbol | undefined): Node | undefined {
  const declaration = symbol?.getValueDeclaration() ?? symbol?.getDeclarations()[0];
  if (Node.isPropertyAssignment(declaration)) return declaration.getInitializer();
  return undefined;
}

/** The column type of one row field, from its output type and its schema; undefined if none fits. */
function columnType(
  output: Type,
  schema: Type | undefined,
  fieldNode: Node | undefined,
): ColumnType | undefined {
  const inner = unwrapped(schema);
  const schemaName = inner?.getSymbol()?.getName() ?? "";
  const members = output.isUnion() ? output.getUnionTypes() : [output];
  const present = members.filter((t) => !t.isNull() && !t.isUndefined());
  if (present.length === 0) return undefined;
  if (present.every((t) => t.isBoolean() || t.isBooleanLiteral())) return "boolean";
  if (present.every((t) => t.isNumber() || t.isNumberLiteral())) {
    if (integerSchemas.has(schemaName) || chainAsksForInteger(fieldNode)) return "integer";
    return "number";
  }
  if (present.every((t) => t.isBigInt() || t.isBigIntLiteral())) return "integer";
  if (present.every((t) => t.isString() || t.isStringLiteral() || t.isTemplateLiteral())) {
    return dateTimeSchemas.has(schemaName) ? "datetime" : "string";
  }
  if (present.length === 1 && present[0]?.getSymbol()?.getName() === "Date") return "datetime";
  return undefined;
}

/**
 * The columns a Table type declares: undefined for a Table without a schema, a reason when a
 * column's type is not one a table can hold.
 */
export function readTableSchema(type: Type, at: Node, typeNode: TypeNode | undefined): TableReading {
  const schema = schemaArgument(type);
  if (!schema) return { table: undefined };
  const row = propertyType(type, "row", at)?.getNonNullableType();
  if (!row || row.isAny() || row.isUnknown()) return { table: undefined };
  const shape = propertyType(schema, "shape", at);
  const columns: TableSchemaType["columns"] = [];
  for (const property of row.getProperties()) {
    const name = property.getName();
    const output = property.getTypeAtLocation(at);
    const fieldSymbol = shape?.getProperty(name);
    const fieldSchema = fieldSymbol?.getTypeAtLocation(at);
    const type = columnType(output, fieldSchema, declarationNode(fieldSymbol));
    if (!type) {
      return {
        reason: `column \`${name}\` has type \`${output.getText(at)}\`, which a table column cannot hold`,
        fix: columnFix,
        path: [name],
      };
    }
    const optional = property.isOptional();
    const nullable =
      optional || (output.isUnion() && output.getUnionTypes().some((t) => t.isNull() || t.isUndefined()));
    columns.push(nullable ? { name, type, nullable: true } : { name, type });
  }
  if (columns.length === 0) {
    return {
      reason: "the table schema has no columns",
      fix: "list the columns in z.object({ … })",
      path: [],
    };
  }
  const table: TableSchemaType = { columns };
  const named = schemaVariable(typeNode);
  if (named) {
    table.schemaName = named.name;
    origins.set(table, { file: named.file, line: named.line });
  }
  return { table };
}

/**
 * The zod schema variable that a Table type names, and where it is declared: `Table<typeof
 * WineRow>` as written, or through a class that extends it (`class Wine extends Table<typeof
 * WineRow> {}`) or a type alias.
 */
function schemaVariable(
  typeNode: TypeNode | undefined,
  depth = 0,
): { name: string; file: string; line: number } | undefined {
  if (!typeNode || depth > 8 || !Node.isTypeReference(typeNode)) return undefined;
  const argument = typeNode.getTypeArguments()[0];
  if (Node.isTypeQuery(argument)) {
    const name = argument.getExprName();
    const symbol = resolveAlias(name.getSymbol());
    const declaration = symbol?.getValueDeclaration() ?? symbol?.getDeclarations()[0];
    const text = Node.isQualifiedName(name) ? name.getRight().getText() : name.getText();
    if (!declaration) return undefined;
    return {
      name: text,
      file: declaration.getSourceFile().getFilePath(),
      line: declaration.getStartLineNumber(),
    };
  }
  const declaration = resolveAlias(typeNode.getTypeName().getSymbol())?.getDeclarations()[0];
  if (Node.isTypeAliasDeclaration(declaration)) return schemaVariable(declaration.getTypeNode(), depth + 1);
  if (Node.isClassDeclaration(declaration)) {
    const base = declaration.getHeritageClauses()[0]?.getTypeNodes()[0];
    if (base && base.getTypeArguments().length > 0) {
      const argumentNode = base.getTypeArguments()[0];
      if (Node.isTypeQuery(argumentNode)) {
        const symbol = resolveAlias(argumentNode.getExprName().getSymbol());
        const found = symbol?.getValueDeclaration() ?? symbol?.getDeclarations()[0];
        if (found)
          return {
            name: argumentNode.getExprName().getText(),
            file: found.getSourceFile().getFilePath(),
            line: found.getStartLineNumber(),
          };
      }
    }
  }
  return undefined;
}
