// The vocabulary of tables: a Table artifact's or a registered Table dataset's format and columns.
// The compiler writes a declared schema into the IR, a registered dataset records the schema it was
// given or inferred, and a step's input is checked against its declared schema before it starts:
// all three speak these types.

/** A column's type, as wide as CSV and Parquet both can say. */
export type ColumnType = "string" | "integer" | "number" | "boolean" | "datetime";

export const COLUMN_TYPES: readonly ColumnType[] = ["string", "integer", "number", "boolean", "datetime"];

/** How a table's bytes are laid out: delimited text with a header row, or Parquet. */
export type TableFormat = "csv" | "tsv" | "parquet";

export const TABLE_FORMATS: readonly TableFormat[] = ["csv", "tsv", "parquet"];

/** One column: its name as the header (or Parquet schema) spells it, its type, whether it may be empty. */
export interface TableColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

/** The columns a table has or must have, in order. */
export interface TableSchema {
  columns: TableColumn[];
}

// One rule for whether a column fits, used wherever a table meets a declared schema: the compiler
// (a step's output where another step's input is declared), the run (a registered dataset version
// where a parameter is declared) and the step start (a Parquet file's own schema).

/** A column as any schema speaks of it; the IR's declared columns write the type as text and leave `nullable` out when false. */
export interface ColumnShape {
  name: string;
  type: string;
  nullable?: boolean | undefined;
}

/** Whether values of type `given` read as type `declared`: the same type, or integers where numbers are declared. */
export function typeFits(declared: string, given: string): boolean {
  return given === declared || (declared === "number" && given === "integer");
}

/**
 * Why a column `given` cannot be read where `declared` is declared: of another type, or one that
 * may be empty where the reader declares it never is; undefined when it fits.
 */
export function columnMisfit(
  declared: Omit<ColumnShape, "name">,
  given: Omit<ColumnShape, "name">,
): "type" | "nullable" | undefined {
  if (!typeFits(declared.type, given.type)) return "type";
  if (given.nullable && !declared.nullable) return "nullable";
  return undefined;
}

/** Whether a column `given` may be read where `declared` is declared (see {@link columnMisfit}). */
export function columnFits(declared: Omit<ColumnShape, "name">, given: Omit<ColumnShape, "name">): boolean {
  return columnMisfit(declared, given) === undefined;
}

/** Why a table with columns `given` cannot be read where columns `declared` are declared. */
export type SchemaMismatch<C extends ColumnShape = ColumnShape> =
  | { problem: "missing"; expected: C }
  | { problem: "type" | "nullable"; expected: C; actual: C };

/**
 * The first declared column that a table of columns `given` does not provide as `declared`
 * declares it, matched by name: missing, of another type, or nullable where it must not be.
 * Extra columns are allowed.
 */
export function schemaMismatch<C extends ColumnShape>(
  declared: { columns: readonly C[] },
  given: { columns: readonly C[] },
): SchemaMismatch<C> | undefined {
  const byName = new Map(given.columns.map((c) => [c.name, c]));
  for (const column of declared.columns) {
    const found = byName.get(column.name);
    if (!found) return { problem: "missing", expected: column };
    const misfit = columnMisfit(column, found);
    if (misfit) return { problem: misfit, expected: column, actual: found };
  }
  return undefined;
}

// One grammar for what a CSV or TSV cell's text holds: the store infers a registered table's
// column types with it and checks a table against a schema file with it, and a step's Table input
// is checked with it before the step starts.

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:inf|infinity|nan)$/i;
const BOOLEAN = /^(?:true|false|t|f|yes|no|y|n|0|1)$/i;
const DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
/** What pandas and Arrow read as a missing value in any column; `nan` too, except in a number column. */
const MISSING = /^(?:|na|n\/a|null|none)$/i;
const NAN = /^nan$/i;

/**
 * Whether a cell's text stands for no value in a column of type `type` (undefined: not yet
 * known, as when inferring, where `nan` is read as a number).
 */
export function cellIsEmpty(text: string, type?: string): boolean {
  return MISSING.test(text) || (type !== undefined && type !== "number" && NAN.test(text));
}

/** Whether a non-empty cell's text reads as type `type` (every text reads as a string). */
export function cellReadsAs(text: string, type: string): boolean {
  switch (type) {
    case "string":
      return true;
    case "integer":
      return INTEGER.test(text);
    case "number":
      return NUMBER.test(text);
    case "boolean":
      return BOOLEAN.test(text);
    case "datetime":
      return DATETIME.test(text) && !Number.isNaN(Date.parse(text.replace(" ", "T")));
    default:
      return false;
  }
}

/** The narrowest type a non-empty cell's text reads as, tried as integer, number, boolean, datetime. */
export function cellType(text: string): ColumnType {
  for (const type of ["integer", "number", "boolean", "datetime"] as const)
    if (cellReadsAs(text, type)) return type;
  return "string";
}

/**
 * Why a cell does not fit a declared column: `empty` where the column is declared never empty,
 * `type` where its text does not read as the column's type; undefined when it fits. An empty
 * cell fits a string column (it reads as the empty string).
 */
export function cellMisfit(text: string, column: Omit<ColumnShape, "name">): "empty" | "type" | undefined {
  if (cellIsEmpty(text, column.type))
    return column.nullable || column.type === "string" ? undefined : "empty";
  return cellReadsAs(text, column.type) ? undefined : "type";
}
