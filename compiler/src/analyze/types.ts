import type { Type as IrType } from "@canal/ir";
import { Node, SymbolFlags, type Type, TypeFlags, type TypeNode } from "ts-morph";
import { isSdkSymbol } from "./sdk.js";
import { readTableSchema } from "./table-schema.js";

/** The IR type of a checker type, or why it has none (and how to fix that). */
export type Conversion = { type: IrType } | { reason: string; fix: string; path: string[] };

export interface ConvertOptions {
  /** The type as written, for enum order and zod schema names. */
  typeNode?: TypeNode | undefined;
  /** An optional parameter or field: `undefined` in its type is its absence, not a value. */
  optional?: boolean;
}

const unionFix = "split it into two steps or use one type";

function fail(reason: string, fix: string, path: string[] = []): Conversion {
  return { reason, fix, path };
}

/** Lineage of an artifact class instance type, or undefined when the type is not an artifact. */
export function artifactLineage(type: Type): string[] | undefined {
  const lineage: string[] = [];
  let current: Type | undefined = type;
  for (let depth = 0; current && depth < 32; depth++) {
    const symbol = current.getSymbol();
    if (!symbol || !(symbol.getFlags() & SymbolFlags.Class)) return undefined;
    lineage.push(symbol.getName());
    if (symbol.getName() === "Artifact" && isSdkSymbol(symbol)) return lineage;
    // A generic class's instance (`Table<typeof Row>`) has its bases on its target.
    current = (current.getTargetType() ?? current).getBaseTypes()[0];
  }
  return undefined;
}

function literalJson(type: Type): string | undefined {
  if (type.isStringLiteral() || type.isNumberLiteral() || type.isEnumLiteral()) {
    const value = type.getLiteralValue();
    if (typeof value === "string" || typeof value === "number") return JSON.stringify(value);
  }
  return undefined;
}

/** Literal values in the order the type was written, when the annotation spells them out. */
function writtenLiteralOrder(typeNode: TypeNode | undefined, depth = 0): string[] | undefined {
  if (!typeNode || depth > 8) return undefined;
  if (Node.isParenthesizedTypeNode(typeNode)) return writtenLiteralOrder(typeNode.getTypeNode(), depth + 1);
  if (Node.isUnionTypeNode(typeNode)) {
    const values: string[] = [];
    for (const member of typeNode.getTypeNodes()) {
      const inner = writtenLiteralOrder(member, depth + 1);
      if (!inner) return undefined;
      values.push(...inner);
    }
    return values;
  }
  if (Node.isLiteralTypeNode(typeNode)) {
    const json = literalJson(typeNode.getType());
    return json === undefined ? undefined : [json];
  }
  if (Node.isTypeReference(typeNode)) {
    const declaration = typeNode.getTypeName().getSymbol()?.getDeclarations()[0];
    if (Node.isTypeAliasDeclaration(declaration))
      return writtenLiteralOrder(declaration.getTypeNode(), depth + 1);
  }
  return undefined;
}

/** `z.infer<typeof Schema>` (or z.input/z.output), also behind a type alias: "Schema". */
export function zodSchemaName(typeNode: TypeNode | undefined, depth = 0): string | undefined {
  if (!typeNode || depth > 8 || !Node.isTypeReference(typeNode)) return undefined;
  const name = typeNode.getTypeName();
  const argument = typeNode.getTypeArguments()[0];
  if (Node.isQualifiedName(name) && ["infer", "input", "output"].includes(name.getRight().getText())) {
    if (Node.isTypeQuery(argument)) return argument.getExprName().getText();
  }
  const declaration = name.getSymbol()?.getDeclarations()[0];
  if (Node.isTypeAliasDeclaration(declaration)) return zodSchemaName(declaration.getTypeNode(), depth + 1);
  return undefined;
}

function isDefaultLibrary(type: Type, at: Node): boolean {
  const declaration = type.getSymbol()?.getDeclarations()[0];
  if (!declaration) return false;
  const program = at.getProject().getProgram().compilerObject;
  return program.isSourceFileDefaultLibrary(declaration.getSourceFile().compilerNode);
}

const libraryFixes: Record<string, string> = {
  Date: "pass an ISO 8601 string",
  Map: "use an object or an array of pairs",
  Set: "use an array",
  Promise: "await the value in a step and pass the result",
  RegExp: "pass the pattern as a string",
};

class Converter {
  private readonly active = new Set<Type>();

  constructor(private readonly at: Node) {}

  convert(type: Type, options: ConvertOptions, path: string[]): Conversion {
    let current = type;
    if (options.optional && current.isUnion()) {
      const present = current.getUnionTypes().filter((t) => !t.isUndefined());
      if (present.length === 1 && present[0]) current = present[0];
      else if (present.length !== current.getUnionTypes().length) current = current.getNonNullableType();
    }
    if (current.isAny())
      return fail("`any` cannot be checked or serialised", "give it a concrete type", path);
    if (current.isUnknown())
      return fail("`unknown` cannot be checked or serialised", "give it a concrete type", path);
    if (current.isBoolean() || current.isBooleanLiteral()) return { type: { primitive: "BOOLEAN" } };
    if (current.isString() || current.isTemplateLiteral()) return { type: { primitive: "STRING" } };
    if (current.isNumber()) return { type: { primitive: "NUMBER" } };
    const single = literalJson(current);
    if (single !== undefined) return { type: { enum: { valuesJson: [single] } } };
    if (current.isUnion()) return this.union(current, options, path);
    const flags = current.getFlags();
    if (flags & (TypeFlags.BigInt | TypeFlags.BigIntLiteral)) {
      return fail("bigint values cannot be serialised", "use number, or a string holding the digits", path);
    }
    if (flags & (TypeFlags.ESSymbol | TypeFlags.UniqueESSymbol)) {
      return fail("symbols cannot be serialised", "use a string", path);
    }
    if (current.isNull() || current.isUndefined() || current.isVoid() || current.isNever()) {
      return fail(`\`${current.getText()}\` carries no value`, "give it a value type", path);
    }
    if (current.isTuple())
      return fail(
        "tuples are not supported",
        "use an array of one type or an object with named fields",
        path,
      );
    if (current.isArray() || current.isReadonlyArray()) {
      const element = current.getArrayElementType() ?? current.getTypeArguments()[0];
      if (!element) return fail("the array's element type is unknown", "annotate the element type", path);
      const inner = this.convert(element, {}, [...path, "[]"]);
      return "type" in inner ? { type: { list: { element: inner.type } } } : inner;
    }
    if (current.isIntersection() && !current.getIntersectionTypes().every((t) => t.isObject())) {
      return fail("intersections with non-object types are not supported", "use a plain object type", path);
    }
    if (current.isObject() || current.isIntersection()) return this.object(current, options, path);
    return fail(
      `\`${current.getText(this.at)}\` is not a supported type`,
      "use number, string, boolean, an array, an object or an artifact",
      path,
    );
  }

  private union(type: Type, options: ConvertOptions, path: string[]): Conversion {
    const members = type.getUnionTypes();
    const values = members.map(literalJson);
    const allStrings = values.every((v) => v?.startsWith('"'));
    const allNumbers = values.every((v) => v !== undefined && !v.startsWith('"'));
    if (!allStrings && !allNumbers) return fail("unions are not supported", unionFix, path);
    const checked = values as string[];
    const written = writtenLiteralOrder(options.typeNode);
    const ordered =
      written && written.length === checked.length && written.every((v) => checked.includes(v))
        ? written
        : checked;
    return { type: { enum: { valuesJson: ordered } } };
  }

  private object(type: Type, options: ConvertOptions, path: string[]): Conversion {
    if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) {
      return fail(
        "functions cannot be serialised",
        "pass the values the function needs, or make it a step",
        path,
      );
    }
    const lineage = artifactLineage(type);
    if (lineage) {
      if (!lineage.includes("Table")) return { type: { artifact: { lineage } } };
      const reading = readTableSchema(type, this.at, options.typeNode);
      if (!("table" in reading)) return fail(reading.reason, reading.fix, path);
      return { type: { artifact: reading.table ? { lineage, table: reading.table } : { lineage } } };
    }
    const symbol = type.getSymbol();
    const name = symbol?.getName() ?? "";
    if (type.getStringIndexType() || type.getNumberIndexType()) {
      return fail(
        "index signatures (Record<string, T>) are not supported",
        "list the fields in an interface",
        path,
      );
    }
    if (isDefaultLibrary(type, this.at)) {
      const fix = libraryFixes[name] ?? "use numbers, strings, booleans, arrays and plain objects";
      return fail(`${name} values cannot be serialised`, fix, path);
    }
    if (symbol && symbol.getFlags() & SymbolFlags.Class) {
      return fail(
        `instances of class \`${name}\` are neither artifacts nor plain values`,
        "pass the values it holds, or extend an artifact class (File, Directory, Model, ...)",
        path,
      );
    }
    if (this.active.has(type))
      return fail("recursive types are not supported", "describe a fixed depth", path);
    const properties = type.getProperties();
    if (properties.length === 0) return fail("an empty object type has no fields", "list the fields", path);
    this.active.add(type);
    try {
      const fields: Array<{ name: string; type: IrType; optional?: boolean }> = [];
      for (const property of properties) {
        const optional = (property.getFlags() & SymbolFlags.Optional) !== 0;
        const declaration = property.getValueDeclaration();
        const fieldNode =
          Node.isPropertySignature(declaration) || Node.isPropertyDeclaration(declaration)
            ? declaration.getTypeNode()
            : undefined;
        const inner = this.convert(property.getTypeAtLocation(this.at), { optional, typeNode: fieldNode }, [
          ...path,
          property.getName(),
        ]);
        if (!("type" in inner)) return inner;
        fields.push(
          optional
            ? { name: property.getName(), type: inner.type, optional }
            : { name: property.getName(), type: inner.type },
        );
      }
      const schemaName = zodSchemaName(options.typeNode);
      return { type: { object: schemaName ? { fields, schemaName } : { fields } } };
    } finally {
      this.active.delete(type);
    }
  }
}

/**
 * The IR type the checker's view of a value maps to: number/string/boolean, literal unions as
 * enums, arrays as lists, plain object types (interfaces, type literals, zod-inferred types) as
 * objects, artifact classes with their lineage. Anything a runtime cannot pass between processes
 * is refused with the reason.
 */
export function toIrType(type: Type, at: Node, options: ConvertOptions = {}): Conversion {
  return new Converter(at).convert(type, options, []);
}

/** "step `train` input `cfg` has type `Config`: field `when`: Date values cannot ...; pass ..." */
export function conversionMessage(
  subject: string,
  typeText: string,
  failure: Exclude<Conversion, { type: IrType }>,
): string {
  const text = failure.path.join(".").replaceAll(".[]", "[]");
  let where = "";
  if (text.startsWith("[]"))
    where = text.length > 2 ? `array element field \`${text.slice(3)}\`: ` : "array elements: ";
  else if (text !== "") where = `field \`${text}\`: `;
  return `${subject} has type \`${typeText}\`: ${where}${failure.reason}; ${failure.fix}`;
}
